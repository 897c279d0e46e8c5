// Package nnie is the arithmetic of the NNIE generation's data formats
// (Hi3516DV300/CV500/AV300, Hi3519AV100): logarithmic codes with one clip
// per layer, where SVP ACL has uniform steps. Sources, and what is
// uncertain, are in docs/NNIE.md.
//
// 8-bit data is sign and magnitude: a magnitude code q in 0..127 means
// 2^((q+z)/16), 16 codes per octave below the clip c, with
// z = round(16·log2 c) − 127, and 0x80 (−0) is zero. Values nearer zero
// than half the smallest code become zero; larger ones take the nearest
// code in the log domain, clamped to the clip. This is MQBench's NNIE
// formula; the clip HiSilicon's GFPQ library takes for data whose largest
// magnitude is m is 2^(floor(16·log2 m)/16) (Clip8). Values are float32,
// as the library computes them: each code means the float32 nearest its
// power of two, which reproduces the library's published test vectors
// exactly (2^(25/16) is 2.9536523819 there, not 2.9536522919).
package nnie

import (
	"errors"
	"fmt"
	"math"
)

// Clip8 is the clip HiSilicon's GFPQ library takes for 8-bit data whose
// largest magnitude is maxAbs: the largest 1/16-octave step not above it,
// 2^(floor(16·log2 maxAbs)/16). It is 0 for maxAbs 0 (nothing to scale).
func Clip8(maxAbs float64) float64 { return clipSteps(maxAbs, 16) }

func clipSteps(maxAbs, perOctave float64) float64 {
	if !(maxAbs > 0) || math.IsInf(maxAbs, 0) {
		return 0
	}
	return math.Exp2(math.Floor(perOctave*math.Log2(maxAbs)) / perOctave)
}

// MaxAbs is the largest finite magnitude among values (NaN ignored).
func MaxAbs(values []float32) float64 {
	m := 0.0
	for _, v := range values {
		if a := math.Abs(float64(v)); a > m && !math.IsInf(a, 0) {
			m = a
		}
	}
	return m
}

// Log8 is the 8-bit quantizer of one layer's data (or weights).
type Log8 struct {
	z        int          // the exponent of the smallest code, in 1/16 octaves
	pos, neg float64      // the band: x ≥ pos or x < −neg are coded
	values   [256]float32 // what each code means
}

// NewLog8 is the quantizer for clip c (> 0, finite).
func NewLog8(c float64) (Log8, error) {
	if !(c > 0) || math.IsInf(c, 0) {
		return Log8{}, fmt.Errorf("clip %v: want a positive, finite number", c)
	}
	z := int(math.RoundToEven(16*math.Log2(c))) - 127
	q := Log8{z: z, pos: math.Exp2(float64(z)/16 - 1), neg: math.Exp2(float64(z+1)/16 - 1)}
	for code := range 256 {
		if code == 0x80 {
			continue
		}
		v := float32(math.Exp2(float64(code&0x7f+z) / 16))
		if code&0x80 != 0 {
			v = -v
		}
		q.values[code] = v
	}
	return q, nil
}

// Code is x's 8-bit code: bit 7 the sign, bits 0-6 the magnitude code.
// NaN is zero.
func (q *Log8) Code(v float32) byte {
	x := float64(v)
	switch {
	case x >= q.pos:
		return byte(max(0, min(127, round16Log2(x)-q.z)))
	case x < -q.neg:
		return 0x80 | byte(max(1, min(127, round16Log2(-x)-q.z)))
	}
	return 0x80 // −0: zero, and the band around it
}

// halfSteps are 2^((k+0.5)/16), k = 0..15: where round(16·log2 m) steps
// up for a mantissa m in [1, 2).
var halfSteps = func() (h [16]float64) {
	for k := range h {
		h[k] = math.Exp2((float64(k) + 0.5) / 16)
	}
	return h
}()

// round16Log2 is round(16·log2 a) for a > 0 (+Inf: a large number): the
// octave from the exponent and the step from comparing the mantissa with
// the half-step boundaries, exact where log2 would round.
func round16Log2(a float64) int {
	if math.IsInf(a, 0) {
		return 1 << 20
	}
	m, e := math.Frexp(a) // a = m·2^e, m in [0.5, 1)
	m, e = 2*m, e-1
	j := 0
	for j < 16 && m >= halfSteps[j] {
		j++
	}
	return 16*e + j
}

// Value is what a code means.
func (q *Log8) Value(code byte) float32 { return q.values[code] }

// Quantize is x as the chip holds it.
func (q *Log8) Quantize(x float32) float32 { return q.values[q.Code(x)] }

// QuantizeSlice sets dst[i] = Quantize(src[i]) (len(src) ≥ len(dst); dst
// may be src), reading round(16·log2 |x|) of a normal float32 from its
// bits: the exponent, and the mantissa against the half-step boundaries
// (stepAt). Subnormals and infinities take Code's path. The result is
// Quantize's, bit for bit (TestQuantizeSliceMatchesQuantize).
func (q *Log8) QuantizeSlice(dst, src []float32) {
	src = src[:len(dst)]
	// The band as magnitudes' bits (float32 order is the bits' order for
	// magnitudes): x ≥ pos and −x > neg.
	// Indexed by the sign bit, so the sign costs no branch (activations
	// change sign unpredictably).
	band := [2]uint32{float32AtLeast(q.pos, false), float32AtLeast(q.neg, true)}
	z := q.z + 16*127
	for i, v := range src {
		b := math.Float32bits(v)
		e := int(b>>23) & 0xff
		if uint(e-1) >= 254 { // subnormal, infinite or NaN
			dst[i] = q.values[q.Code(v)]
			continue
		}
		sign := b >> 31
		c := max(int(sign), min(127, 16*e+stepAt(b&0x7fffff)-z))
		code := byte(c) | byte(sign<<7)
		if b&0x7fffffff < band[sign] {
			code = 0x80
		}
		dst[i] = q.values[code]
	}
}

// float32AtLeast is the bits of the smallest positive float32 ≥ t (> t
// when strict), t > 0.
func float32AtLeast(t float64, strict bool) uint32 {
	f := float32(t)
	if float64(f) < t || (strict && float64(f) == t) {
		return math.Float32bits(f) + 1
	}
	return math.Float32bits(f)
}

// stepAt is how many half-step boundaries 2^((k+0.5)/16) the mantissa
// 1 + m/2^23 reaches: round16Log2's j, from a table of 512 buckets of the
// mantissa's top bits (at most one boundary falls in a bucket: they are
// over 370,000 mantissa units apart, a bucket 16,384 wide).
func stepAt(m uint32) int {
	k := m >> 14
	j := int(stepBase[k])
	if t := stepEdge[k]; t != 0 && m >= t {
		j++
	}
	return j
}

var stepBase, stepEdge = func() (base [512]uint8, edge [512]uint32) {
	// The smallest mantissa whose value reaches each boundary: exact, as
	// 1 + m/2^23 and halfSteps[k] − 1 are exact in float64.
	var thr [16]uint32
	for k, h := range halfSteps {
		thr[k] = uint32(math.Ceil((h - 1) * (1 << 23)))
	}
	for b := range uint32(512) {
		lo, hi := b<<14, (b+1)<<14
		for _, t := range thr {
			switch {
			case t <= lo:
				base[b]++
			case t < hi:
				edge[b] = t
			}
		}
	}
	return base, edge
}()

// Format16 names a reading of NNIE's 16-bit data, which no public source
// specifies (docs/NNIE.md).
type Format16 string

const (
	// GFPQ16 is nnieqat's reimplementation of HiSilicon's GFPQ library:
	// 2048 codes per octave over the 16 octaves below the clip, the clip
	// a 1/128-octave step (floor, as for 8-bit), magnitudes that round
	// to code 0 or below are zero. The default: it is executable code
	// written against the vendor library.
	GFPQ16 Format16 = "gfpq16"
	// Log157 reads a toolkit note that prints 16-bit dumps as "1.5.7":
	// sign, 5 bits of octave, 7 of fraction: 128 codes per octave over
	// the 32 octaves below the clip; magnitudes below half the smallest
	// code are zero.
	Log157 Format16 = "log1.5.7"
)

// Formats16 are the readings Parse16 accepts.
var Formats16 = []Format16{GFPQ16, Log157}

// Parse16 reads a --nnie16 value.
func Parse16(s string) (Format16, error) {
	for _, f := range Formats16 {
		if string(f) == s {
			return f, nil
		}
	}
	return "", fmt.Errorf("16-bit format %q: want %s or %s", s, GFPQ16, Log157)
}

// Clip16 is the clip both 16-bit readings take for data whose largest
// magnitude is maxAbs: a 1/128-octave step, floor (0 for maxAbs 0).
func Clip16(maxAbs float64) float64 { return clipSteps(maxAbs, 128) }

// Log16 is a 16-bit quantizer of one format and clip.
type Log16 struct {
	f Format16
	c float64
}

// NewLog16 is the quantizer for clip c (> 0, finite) in format f.
func NewLog16(f Format16, c float64) (Log16, error) {
	if !(c > 0) || math.IsInf(c, 0) {
		return Log16{}, fmt.Errorf("clip %v: want a positive, finite number", c)
	}
	if _, err := Parse16(string(f)); err != nil {
		return Log16{}, err
	}
	return Log16{f: f, c: c}, nil
}

// Quantize is x as the chip holds it under this reading. NaN is zero.
func (q Log16) Quantize(x float32) float32 {
	a := math.Abs(float64(x))
	if !(a > 0) {
		return 0
	}
	var v float64
	switch q.f {
	case GFPQ16:
		// q = round(2048·log2(65536·a/c)), 1..32768; x' = c/65536·2^(q/2048).
		l := math.RoundToEven(2048 * math.Log2(65536*a/q.c))
		if l <= 0 {
			return 0
		}
		v = q.c / 65536 * math.Exp2(min(l, 32768)/2048)
	default: // Log157
		z := math.RoundToEven(128*math.Log2(q.c)) - 4095
		if a < math.Exp2(z/128-1) {
			return 0
		}
		l := max(0, min(4095, math.RoundToEven(128*math.Log2(a))-z))
		v = math.Exp2((l + z) / 128)
	}
	if x < 0 {
		return -float32(v)
	}
	return float32(v)
}

// QuantizeSlice sets dst[i] = Quantize(src[i]) (len(src) ≥ len(dst); dst
// may be src). For GFPQ16 the code's power of two comes from a table of
// 2^(j/2048) scaled by 2^k (the bits math.Exp2 gives: it splits its
// argument the same way), and round(2048·log2 x) from a table logarithm
// accurate to 1e-8, falling back to math.Log2 within 1e-4 of a rounding
// boundary: Quantize's results bit for bit
// (TestLog16QuantizeSliceMatchesQuantize). Log157 runs Quantize.
func (q Log16) QuantizeSlice(dst, src []float32) {
	src = src[:len(dst)]
	if q.f != GFPQ16 {
		for i, v := range src {
			dst[i] = q.Quantize(v)
		}
		return
	}
	base := q.c / 65536
	// The table logarithm takes x through a multiply (an ulp off at
	// most, far below the margin); the exact fallback divides as
	// Quantize does.
	inv := 65536 / q.c
	for i, v := range src {
		a := math.Abs(float64(v))
		if !(a > 0) || math.IsInf(a, 0) {
			dst[i] = q.Quantize(v)
			continue
		}
		t := 2048 * log2Approx(a*inv)
		l := math.Floor(t + 0.5)
		if d := t - l; d < -0.5+1e-4 || d > 0.5-1e-4 { // within 1e-4 of a rounding boundary
			l = math.RoundToEven(2048 * math.Log2(65536*a/q.c))
		}
		if l <= 0 {
			dst[i] = 0
			continue
		}
		li := int(min(l, 32768))
		w := float32(base * (exp2Frac[li&2047] * math.Float64frombits(uint64(1023+li>>11)<<52)))
		if v < 0 {
			w = -w
		}
		dst[i] = w
	}
}

// exp2Frac[j] is math.Exp2(j/2048).
var exp2Frac = func() (t [2048]float64) {
	for j := range t {
		t[j] = math.Exp2(float64(j) / 2048)
	}
	return t
}()

// log2Tab[i] is log2(1 + i/16384); log2Slope[i] is 1/((1 + i/16384)·ln 2).
var log2Tab, log2Slope = func() (t, s [16384]float64) {
	for i := range t {
		m := 1 + float64(i)/16384
		t[i] = math.Log2(m)
		s[i] = 1 / (m * math.Ln2)
	}
	return t, s
}()

// log2Approx is log2 x for a finite x > 0 to within 3e-9: the exponent,
// then the mantissa's logarithm from the nearest table entry below it and
// the first-order term (the second is under (1/16384)²/(2 ln 2)).
// x must be normal (every positive float32 is, as a float64): the
// exponent and mantissa come from its bits.
func log2Approx(x float64) float64 {
	b := math.Float64bits(x)
	e := int(b>>52&0x7ff) - 1023
	i := int(b >> 38 & 0x3fff) // the mantissa's top 14 bits
	m := math.Float64frombits(b&(1<<52-1) | 1023<<52)
	return float64(e) + log2Tab[i] + (m-(1+float64(i)/16384))*log2Slope[i]
}

// ErrNoData is returned for a clip taken from values that are all zero.
var ErrNoData = errors.New("every value is zero: no clip to take from them")
