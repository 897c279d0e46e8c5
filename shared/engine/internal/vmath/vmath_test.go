package vmath

import (
	"math"
	"testing"
)

func TestSigmoidAgainstFloat64(t *testing.T) {
	var src []float32
	for x := -120.0; x <= 120; x += 0.0137 {
		src = append(src, float32(x))
	}
	src = append(src, 0, -0, 1e-30, -1e-30, 88.5, -88.5, 103, -103)
	check := func(name string, got []float32) {
		for i, x := range src {
			want := 1 / (1 + math.Exp(-float64(x)))
			if d := math.Abs(float64(got[i]) - want); d > 2e-7*math.Max(want, 1e-30)+1e-37 && d > 1e-7 {
				t.Fatalf("%s: sigmoid(%g) = %g, want %g", name, x, got[i], want)
			}
		}
	}
	got := make([]float32, len(src))
	Sigmoid(got, src) // vector path where available, scalar tail
	check("Sigmoid", got)
	for i, x := range src {
		got[i] = 1 / (1 + Exp(-x))
	}
	check("scalar", got)
}

func TestExp(t *testing.T) {
	for x := float32(-87); x < 88; x += 0.37 { // normal results; subnormals lose relative precision by nature
		want := math.Exp(float64(x))
		if d := math.Abs(float64(Exp(x))-want) / want; d > 3e-7 {
			t.Fatalf("Exp(%g) = %g, want %g (rel %g)", x, Exp(x), want, d)
		}
	}
	if !math.IsInf(float64(Exp(100)), 1) || Exp(-200) != 0 {
		t.Fatal("range ends wrong")
	}
}

func TestSiLUMatchesSigmoidTimesX(t *testing.T) {
	var src []float32
	for x := float32(-30); x < 30; x += 0.0371 {
		src = append(src, x)
	}
	sig := make([]float32, len(src))
	Sigmoid(sig, src)
	got := append([]float32(nil), src...)
	SiLU(got, got) // in place, as the fused convolution uses it
	for i, x := range src {
		want := float64(x) * float64(sig[i])
		if d := math.Abs(float64(got[i]) - want); d > 1e-6*math.Max(1, math.Abs(want)) {
			t.Fatalf("SiLU(%g) = %g, want %g", x, got[i], want)
		}
	}
}

func TestExpSlice(t *testing.T) {
	var src []float32
	for x := float32(-80); x < 80; x += 0.173 {
		src = append(src, x)
	}
	got := make([]float32, len(src))
	ExpSlice(got, src)
	for i, x := range src {
		want := math.Exp(float64(x))
		if d := math.Abs(float64(got[i])-want) / want; d > 3e-7 {
			t.Fatalf("ExpSlice(%g) = %g, want %g (rel %g)", x, got[i], want, d)
		}
	}
}

func BenchmarkSigmoid(b *testing.B) {
	src := make([]float32, 1<<16)
	dst := make([]float32, len(src))
	for i := range src {
		src[i] = float32(i%200)/10 - 10
	}
	b.SetBytes(int64(4 * len(src)))
	for b.Loop() {
		Sigmoid(dst, src)
	}
}

// SiLURows16 gives what SiLU gives on each 16-float row.
func TestSiLURows16(t *testing.T) {
	const rows, stride = 5, 37
	p := make([]float32, (rows-1)*stride+16+3)
	for i := range p {
		p[i] = float32(i%29)*0.7 - 9
	}
	want := append([]float32(nil), p...)
	for r := range rows {
		row := want[r*stride : r*stride+16]
		SiLU(row, row)
	}
	SiLURows16(p, rows, stride)
	for i := range p {
		if math.Float32bits(p[i]) != math.Float32bits(want[i]) {
			t.Fatalf("element %d = %v, SiLU per row %v", i, p[i], want[i])
		}
	}
}
