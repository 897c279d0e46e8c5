package nnie

import (
	"math"
	"testing"
)

// TestGFPQReferenceVectors: HiSilicon's GFPQ library, as published with
// nnieqat, quantizes 0..9 (and, with a negative value in the tensor,
// −9, 0..9) to these values (tolerance 1e-9, as there); the clip is taken
// from the data.
func TestGFPQReferenceVectors(t *testing.T) {
	ref := []float64{0, 1, 2, 2.9536523819, 4, 4.9674310684, 5.9073047638, 7.0250086784, 8, 8.7240619659}
	for _, tc := range []struct {
		name string
		in   []float32
		want []float64
	}{
		{"0..9", []float32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, ref},
		{"-9, 0..9", []float32{-9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, append([]float64{-8.7240619659}, ref...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, err := NewLog8(Clip8(MaxAbs(tc.in)))
			if err != nil {
				t.Fatal(err)
			}
			for i, x := range tc.in {
				if got := float64(q.Quantize(x)); math.Abs(got-tc.want[i]) > 1e-9 {
					t.Errorf("%v -> %.10f, want %.10f", x, got, tc.want[i])
				}
			}
		})
	}
}

// TestLog8Edges: MQBench's formula at its edges, for the clip of the
// reference vector (z = −77: the smallest codes are 2^(−77/16) and
// −2^(−76/16)).
func TestLog8Edges(t *testing.T) {
	c := Clip8(9)
	q, err := NewLog8(c)
	if err != nil {
		t.Fatal(err)
	}
	f := func(x float64) float32 { return float32(x) }
	small, smallNeg, cf := math.Exp2(-77.0/16), math.Exp2(-76.0/16), f(c)
	for _, tc := range []struct {
		name string
		x    float32
		code byte
		want float32
	}{
		{"zero is -0", 0, 0x80, 0},
		{"negative zero", f(math.Copysign(0, -1)), 0x80, 0},
		{"NaN is zero", f(math.NaN()), 0x80, 0},
		{"below half the smallest code: zero", f(small/2 - 1e-6), 0x80, 0},
		{"half the smallest code and up: the smallest code", f(small/2 + 1e-6), 0x00, f(small)},
		{"the negative band is wider: code 1 is the smallest", f(-smallNeg/2 + 1e-6), 0x80, 0},
		{"negative just past the band", f(-smallNeg/2 - 1e-6), 0x81, -f(smallNeg)},
		{"one", 1, 77, 1},
		{"minus one", -1, 0x80 | 77, -1},
		{"past the clip clamps", 1e6, 0x7f, cf},
		{"+Inf clamps", f(math.Inf(1)), 0x7f, cf},
		{"-Inf clamps", f(math.Inf(-1)), 0xff, -cf},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code := q.Code(tc.x)
			if got := q.Value(code); code != tc.code || got != tc.want {
				t.Errorf("%v: code %#02x value %v, want %#02x %v", tc.x, code, got, tc.code, tc.want)
			}
		})
	}
	// The relative error is the same at every magnitude: at most half a
	// 1/16 octave (2.2%).
	for x := float32(0.05); x < cf; x *= 1.013 {
		if e := math.Abs(float64(q.Quantize(x)-x)) / float64(x); e > math.Exp2(1.0/32)-1+1e-6 {
			t.Fatalf("%v: relative error %v", x, e)
		}
	}
	if _, err := NewLog8(0); err == nil {
		t.Error("clip 0 accepted")
	}
	if Clip8(0) != 0 {
		t.Error("a clip for all zeros")
	}
}

// TestLog16: both 16-bit readings keep the clip, zero and NaN as zero, and
// every value within half a code of itself.
func TestLog16(t *testing.T) {
	for _, tc := range []struct {
		f       Format16
		relStep float64 // one code, relatively
	}{{GFPQ16, math.Exp2(1.0/2048) - 1}, {Log157, math.Exp2(1.0/128) - 1}} {
		t.Run(string(tc.f), func(t *testing.T) {
			c := Clip16(9)
			if c != math.Exp2(math.Floor(128*math.Log2(9))/128) || c > 9 {
				t.Fatalf("clip %v", c)
			}
			q, err := NewLog16(tc.f, c)
			if err != nil {
				t.Fatal(err)
			}
			cf, nan := float32(c), float32(math.NaN())
			if q.Quantize(0) != 0 || q.Quantize(nan) != 0 || q.Quantize(1e9) != cf || q.Quantize(-1e9) != -cf {
				t.Fatalf("0 -> %v, NaN -> %v, 1e9 -> %v, -1e9 -> %v; want 0, 0, ±%v", q.Quantize(0), q.Quantize(nan), q.Quantize(1e9), q.Quantize(-1e9), c)
			}
			for x := float32(0.01); x < cf; x *= 1.0007 {
				for _, v := range []float32{x, -x} {
					if e := math.Abs(float64(q.Quantize(v)-v)) / float64(x); e > tc.relStep/2+2e-7 {
						t.Fatalf("%v: relative error %v, want ≤ half a code (%v)", v, e, tc.relStep/2)
					}
				}
			}
		})
	}
	if _, err := Parse16("1.5.7"); err == nil {
		t.Error("unknown 16-bit format accepted")
	}
}

// TestLog8MatchesFormula: the table-driven code equals MQBench's formula
// computed with log2 wherever 16·log2|x| is not within rounding of a
// half step (where the formula's own log2 decides by its last bit).
func TestLog8MatchesFormula(t *testing.T) {
	q, err := NewLog8(Clip8(40))
	if err != nil {
		t.Fatal(err)
	}
	z := float64(q.z)
	for i := range 200000 {
		x := float32(math.Exp2(float64(i%4000)/97-30)) * float32(1-2*(i%2))
		a := math.Abs(float64(x))
		l := 16 * math.Log2(a)
		if math.Abs(l-math.Floor(l)-0.5) < 1e-9 {
			continue
		}
		var want float64
		switch {
		case float64(x) >= math.Exp2(z/16-1):
			want = math.Exp2((max(0, min(127, math.RoundToEven(l)-z)) + z) / 16)
		case float64(x) < -math.Exp2((z+1)/16-1):
			want = -math.Exp2((max(1, min(127, math.RoundToEven(l)-z)) + z) / 16)
		}
		if got := q.Quantize(x); got != float32(want) {
			t.Fatalf("%v: %v, formula %v", x, got, float32(want))
		}
	}
}

// The slice path reads the code from the float's bits; it must equal
// Quantize for every input: a spread of bit patterns over all exponents,
// the mantissas on either side of every half-step boundary, subnormals,
// infinities and NaN, under clips from tiny (codes reaching subnormals) to
// large.
func TestQuantizeSliceMatchesQuantize(t *testing.T) {
	var src []float32
	for b := uint64(0); b < 1<<32; b += 1021 {
		src = append(src, math.Float32frombits(uint32(b)))
	}
	for _, h := range halfSteps {
		t0 := uint32(math.Ceil((h - 1) * (1 << 23)))
		for e := uint32(1); e < 255; e += 3 {
			for _, m := range []uint32{t0 - 1, t0, t0 + 1} {
				for _, sign := range []uint32{0, 1 << 31} {
					src = append(src, math.Float32frombits(sign|e<<23|m))
				}
			}
		}
	}
	src = append(src, 0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), math.Float32frombits(1), math.Float32frombits(0x807fffff))
	for _, c := range []float64{1e-30, 0.01, 1, 7.5, 640, 3e5} {
		q, err := NewLog8(c)
		if err != nil {
			t.Fatal(err)
		}
		got := make([]float32, len(src))
		q.QuantizeSlice(got, src)
		for i, v := range src {
			if w := q.Quantize(v); math.Float32bits(got[i]) != math.Float32bits(w) {
				t.Fatalf("clip %g: QuantizeSlice(%g (%#08x)) = %g, Quantize gives %g", c, v, math.Float32bits(v), got[i], w)
			}
		}
	}
}

// The GFPQ16 slice path equals Quantize bit for bit: every code's power
// of two from the table (all 32769), and values over every exponent, near
// every code boundary and the special values, under several clips; the
// log1.5.7 reading runs Quantize itself.
func TestLog16QuantizeSliceMatchesQuantize(t *testing.T) {
	for l := 0; l <= 32768; l++ {
		if got, want := math.Ldexp(exp2Frac[l&2047], l>>11), math.Exp2(float64(l)/2048); got != want {
			t.Fatalf("2^(%d/2048): table %v, math.Exp2 %v", l, got, want)
		}
	}
	var src []float32
	for b := uint64(0); b < 1<<32; b += 4093 {
		src = append(src, math.Float32frombits(uint32(b)))
	}
	src = append(src, 0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), math.Float32frombits(1))
	for _, f := range Formats16 {
		for _, c := range []float64{1e-3, 0.7, 7.5, 640, 3e5} {
			q, err := NewLog16(f, c)
			if err != nil {
				t.Fatal(err)
			}
			vals := append([]float32(nil), src...)
			for k := 1; k < 32768; k += 7 { // both sides of code boundaries
				b := c / 65536 * math.Exp2((float64(k)+0.5)/2048)
				vals = append(vals, float32(b), math.Nextafter32(float32(b), 0), math.Nextafter32(float32(b), float32(math.Inf(1))))
			}
			got := make([]float32, len(vals))
			q.QuantizeSlice(got, vals)
			for i, v := range vals {
				if w := q.Quantize(v); math.Float32bits(got[i]) != math.Float32bits(w) && !(got[i] != got[i] && w != w) {
					t.Fatalf("%s clip %g: QuantizeSlice(%g (%#08x)) = %g, Quantize gives %g", f, c, v, math.Float32bits(v), got[i], w)
				}
			}
		}
	}
}
