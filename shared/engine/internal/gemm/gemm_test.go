package gemm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// naive is the textbook triple loop the kernels must agree with.
func naive(m, n, k int, a, b []float32) []float32 {
	c := make([]float32, m*n)
	for i := range m {
		for j := range n {
			var s float64
			for p := range k {
				s += float64(a[i*k+p]) * float64(b[p*n+j])
			}
			c[i*n+j] = float32(s)
		}
	}
	return c
}

func packB(b []float32, k, n, col0 int) []float32 {
	out := make([]float32, k*NR)
	for p := range k {
		for j := range NR {
			if col0+j < n {
				out[p*NR+j] = b[p*n+col0+j]
			}
		}
	}
	return out
}

// multiply runs a full GEMM through PackA, the kernel under test and edges.
func multiply(m, n, k int, a, b []float32, kern func(k int, a, b, c []float32, ldc int)) []float32 {
	pa := PackA(a, m, k, k)
	c := make([]float32, m*n)
	for j0 := 0; j0 < n; j0 += NR {
		pb := packB(b, k, n, j0)
		for i0 := 0; i0 < m; i0 += MR {
			ap := pa[(i0/MR)*k*MR:]
			rows, cols := min(MR, m-i0), min(NR, n-j0)
			var tmp [MR * NR]float32
			kern(k, ap, pb, tmp[:], NR)
			for i := range rows {
				for j := range cols {
					c[(i0+i)*n+j0+j] += tmp[i*NR+j]
				}
			}
		}
	}
	return c
}

func TestKernelsAgree(t *testing.T) {
	tests := []struct {
		name    string
		m, n, k int
	}{
		{"one tile", MR, NR, 1},
		{"ragged", 7, 17, 5},
		{"conv-like", 64, 300, 288},
		{"thin", 1, 3, 1000},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := make([]float32, tc.m*tc.k)
			b := make([]float32, tc.k*tc.n)
			for i := range a {
				a[i] = rng.Float32()*2 - 1
			}
			for i := range b {
				b[i] = rng.Float32()*2 - 1
			}
			want := naive(tc.m, tc.n, tc.k, a, b)
			impls := map[string]func(int, []float32, []float32, []float32, int){
				"go": kernelGo, "dispatch(" + Impl() + ")": Kernel,
			}
			for name, kern := range impls {
				got := multiply(tc.m, tc.n, tc.k, a, b, kern)
				tol := 1e-5 * float64(tc.k)
				for i := range want {
					if d := math.Abs(float64(got[i] - want[i])); d > tol {
						t.Fatalf("%s: c[%d] = %v, want %v (|d| %g > %g)", name, i, got[i], want[i], d, tol)
					}
				}
			}
		})
	}
}

func BenchmarkKernel(b *testing.B) {
	const k = 576
	a := make([]float32, k*MR)
	bb := make([]float32, k*NR)
	c := make([]float32, MR*NR)
	for i := range a {
		a[i] = 0.5
	}
	for i := range bb {
		bb[i] = 0.25
	}
	for _, impl := range []struct {
		name string
		f    func(int, []float32, []float32, []float32, int)
	}{{"go", kernelGo}, {Impl(), Kernel}} {
		b.Run(impl.name, func(b *testing.B) {
			for b.Loop() {
				impl.f(k, a, bb, c, NR)
			}
			b.ReportMetric(float64(2*k*MR*NR)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
