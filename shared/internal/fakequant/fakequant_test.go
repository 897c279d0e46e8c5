package fakequant

import (
	"math"
	"testing"

	"github.com/nniescope/nniescope/shared/tensor"
)

// patterns returns float32 values spread over every exponent (bit
// patterns step apart), the special values, and the rounding ties of a
// grid of the given scale.
func patterns(step uint32, scale float32) []float32 {
	var v []float32
	for b := uint64(0); b < 1<<32; b += uint64(step) {
		v = append(v, math.Float32frombits(uint32(b)))
	}
	v = append(v, 0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()),
		math.Float32frombits(1), math.Float32frombits(0x807fffff), 65504, 65520, -65520, 65519.996, 6.1035156e-05, 5.9604645e-08, 2.9802322e-08)
	for k := -300; k <= 300; k++ {
		v = append(v, (float32(k)+0.5)/scale, float32(k)/scale)
	}
	return v
}

func same(a, b float32) bool {
	if a != a || b != b {
		return a != a && b != b
	}
	return math.Float32bits(a) == math.Float32bits(b)
}

// The vector kernels equal the Go references bit for bit (NaN stays NaN)
// over a spread of bit patterns, whatever the split into vector body and
// scalar tail.
func TestVectorMatchesGo(t *testing.T) {
	grids := []struct {
		name                  string
		scale, offset, lo, hi float32
	}{
		{"S8 asymmetric", 2.05345917, -1, -128, 127},
		{"S8 symmetric", 31.75, 0, -128, 127},
		{"U8", 255, 0, 0, 255},
		{"U8 offset -0", 255, float32(math.Copysign(0, -1)), 0, 255},
		{"S16", 1031.1, -3, -32768, 32767},
		{"tiny scale", 1e-30, 5, -128, 127},
	}
	for _, g := range grids {
		src := patterns(4099, g.scale)
		want := make([]float32, len(src))
		uniformGo(want, src, g.scale, g.offset, g.lo, g.hi, 1/g.scale)
		got := make([]float32, len(src))
		Uniform(got, src, g.scale, g.offset, g.lo, g.hi)
		for i := range src {
			if !same(got[i], want[i]) {
				t.Fatalf("%s: Uniform(%g (%#08x)) = %g (%#08x), Go gives %g (%#08x)", g.name, src[i], math.Float32bits(src[i]), got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
			}
		}
		// In place, and an odd length (a scalar tail).
		in := append([]float32(nil), src[:1001]...)
		Uniform(in, in, g.scale, g.offset, g.lo, g.hi)
		for i := range in {
			if !same(in[i], want[i]) {
				t.Fatalf("%s: in place, element %d: %g, want %g", g.name, i, in[i], want[i])
			}
		}
	}
	src := patterns(251, 1)
	got := make([]float32, len(src))
	Float16(got, src)
	for i, v := range src {
		if w := tensor.RoundFloat16(v); math.Float32bits(got[i]) != math.Float32bits(w) {
			t.Fatalf("Float16(%g (%#08x)) = %#08x, RoundFloat16 gives %#08x", v, math.Float32bits(v), math.Float32bits(got[i]), math.Float32bits(w))
		}
	}
}

// The formula on values worked by hand: ties to even, clamping, the
// offset, and the float32 arithmetic of the map back.
func TestUniformByHand(t *testing.T) {
	cases := []struct {
		x, scale, offset, lo, hi, want float32
	}{
		{0.5, 1, 0, -128, 127, 0},   // tie to even
		{1.5, 1, 0, -128, 127, 2},   // tie to even
		{-2.5, 1, 0, -128, 127, -2}, // tie to even
		{300, 1, 0, -128, 127, 127},
		{-300, 1, 0, -128, 127, -128},
		{-300, 1, -1, -128, 127, -127}, // q clamps at -128, maps back to -127
		{0.26, 2, 0, -128, 127, 0.5},
		{-0.1, 255, 0, 0, 255, 0}, // U8 has no negatives
	}
	for _, c := range cases {
		for _, n := range []int{1, 8, 9} { // scalar, vector, both
			src := make([]float32, n)
			for i := range src {
				src[i] = c.x
			}
			dst := make([]float32, n)
			Uniform(dst, src, c.scale, c.offset, c.lo, c.hi)
			for i := range dst {
				if dst[i] != c.want {
					t.Fatalf("Uniform(%g; scale %g offset %g [%g, %g]) = %g, want %g (length %d)", c.x, c.scale, c.offset, c.lo, c.hi, dst[i], c.want, n)
				}
			}
		}
	}
}

func BenchmarkKernels(b *testing.B) {
	src := make([]float32, 1<<16)
	for i := range src {
		src[i] = float32(i%1000)/37 - 13
	}
	dst := make([]float32, len(src))
	for _, k := range []struct {
		name string
		f    func()
	}{
		{"Uniform", func() { Uniform(dst, src, 9.7, -1, -128, 127) }},
		{"Float16", func() { Float16(dst, src) }},
	} {
		b.Run(k.name, func(b *testing.B) {
			b.SetBytes(int64(4 * len(src)))
			for b.Loop() {
				k.f()
			}
		})
	}
}
