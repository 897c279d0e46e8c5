package gemm

import (
	"github.com/nniescope/nniescope/shared/engine/internal/vmath"
	"math"
	"math/rand/v2"
	"strings"
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

// multiply runs a full GEMM through packA, the kernel under test and edges.
func multiply(m, n, k int, a, b []float32, kern kernelImpl) []float32 {
	mr := kern.mr
	pa := packA(a, m, k, k, mr)
	c := make([]float32, m*n)
	for j0 := 0; j0 < n; j0 += NR {
		pb := packB(b, k, n, j0)
		for i0 := 0; i0 < m; i0 += mr {
			ap := pa[(i0/mr)*k*mr:]
			rows, cols := min(mr, m-i0), min(NR, n-j0)
			var tmp [maxMR * NR]float32
			kern.run(k, ap, pb, tmp[:], NR)
			for i := range rows {
				for j := range cols {
					c[(i0+i)*n+j0+j] += tmp[i*NR+j]
				}
			}
		}
	}
	return c
}

// Every kernel this CPU has (AVX-512, AVX2, Go) computes the product; the
// assembly kernels agree bit for bit (one FMA per k, in k order), so the
// engine's results do not depend on which one the machine runs.
func TestKernelsAgree(t *testing.T) {
	tests := []struct {
		name    string
		m, n, k int
	}{
		{"one tile", maxMR, NR, 1},
		{"ragged", 7, 17, 5},
		{"conv-like", 64, 300, 288},
		{"thin", 1, 3, 1000},
		{"odd rows", 37, 33, 75},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	t.Logf("kernels on this CPU: %v, in use: %s (MR %d)", names(), Impl(), MR())
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
			var asm []float32
			for _, kern := range append(kernels, kernelImpl{"go, 16 rows", 16, goID}) {
				got := multiply(tc.m, tc.n, tc.k, a, b, kern)
				tol := 1e-5 * float64(tc.k)
				for i := range want {
					if d := math.Abs(float64(got[i] - want[i])); d > tol {
						t.Fatalf("%s: c[%d] = %v, want %v (|d| %g > %g)", kern.name, i, got[i], want[i], d, tol)
					}
				}
				if !strings.HasPrefix(kern.name, "amd64") {
					continue
				}
				if asm == nil {
					asm = got
					continue
				}
				for i := range asm {
					if math.Float32bits(asm[i]) != math.Float32bits(got[i]) {
						t.Fatalf("%s: c[%d] = %v, the other assembly kernel %v: not the same bits", kern.name, i, got[i], asm[i])
					}
				}
			}
		})
	}
}

func names() []string {
	var out []string
	for _, k := range kernels {
		out = append(out, k.name)
	}
	return out
}

func BenchmarkKernel(b *testing.B) {
	const k = 576
	for _, kern := range kernels {
		a := make([]float32, k*kern.mr)
		bb := make([]float32, k*NR)
		c := make([]float32, kern.mr*NR)
		for i := range a {
			a[i] = 0.5
		}
		for i := range bb {
			bb[i] = 0.25
		}
		b.Run(kern.name, func(b *testing.B) {
			for b.Loop() {
				kern.run(k, a, bb, c, NR)
			}
			b.ReportMetric(float64(2*k*kern.mr*NR)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// The bias kernels give the bits of the plain ones run on C filled with
// the bias, full tiles and edges, for every kernel this CPU has.
func TestBiasKernelsMatchFill(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, kern := range kernels {
		for _, k := range []int{1, 27, 144} {
			a := make([]float32, k*kern.mr)
			b := make([]float32, k*NR)
			bias := make([]float32, kern.mr)
			for i := range a {
				a[i] = rng.Float32()*2 - 1
			}
			for i := range b {
				b[i] = rng.Float32()*2 - 1
			}
			for i := range bias {
				bias[i] = rng.Float32()*4 - 2
			}
			want := make([]float32, kern.mr*NR)
			for i := range kern.mr {
				for j := range NR {
					want[i*NR+j] = bias[i]
				}
			}
			kern.run(k, a, b, want, NR)
			got := make([]float32, kern.mr*NR)
			kern.runBias(k, a, b, got, NR, bias)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%s, k %d: c[%d] = %v, filled with the bias %v", kern.name, k, i, got[i], want[i])
				}
			}
		}
	}
	// The dispatching edge function against the full tile.
	mr := MR()
	k := 9
	a := make([]float32, k*mr)
	b := make([]float32, k*NR)
	bias := make([]float32, mr)
	for i := range a {
		a[i] = rng.Float32()
	}
	for i := range b {
		b[i] = rng.Float32()
	}
	for i := range bias {
		bias[i] = float32(i)
	}
	full := make([]float32, mr*NR)
	KernelBias(k, a, b, full, NR, bias)
	edge := make([]float32, mr*NR)
	KernelEdgeBias(k, a, b, edge, NR, mr-1, NR-3, bias)
	for i := range mr - 1 {
		for j := range NR - 3 {
			if edge[i*NR+j] != full[i*NR+j] {
				t.Fatalf("edge c[%d][%d] = %v, full tile %v", i, j, edge[i*NR+j], full[i*NR+j])
			}
		}
		if edge[i*NR+NR-1] != 0 {
			t.Fatal("the edge wrote outside its columns")
		}
	}
}

// The fused SiLU store gives vmath.SiLU of the bias kernel's tile, bit for
// bit, over sums from large negative to large positive (both of SiLU's
// clamps).
func TestBiasSiLUMatchesSiLU(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	fused := 0
	for _, kern := range kernels {
		for n := range 60 {
			scale := []float32{0.1, 3, 40}[n%3]
			k := 64
			a := make([]float32, k*kern.mr)
			b := make([]float32, k*NR)
			bias := make([]float32, kern.mr)
			for i := range a {
				a[i] = (rng.Float32()*2 - 1) * scale
			}
			for i := range b {
				b[i] = rng.Float32()*2 - 1
			}
			for i := range bias {
				bias[i] = (rng.Float32()*2 - 1) * scale
			}
			want := make([]float32, kern.mr*NR)
			kern.runBias(k, a, b, want, NR, bias)
			vmath.SiLU(want, want)
			got := make([]float32, kern.mr*NR)
			if !kern.runBiasSiLU(k, a, b, got, NR, bias) {
				continue // no fused form: the caller applies vmath.SiLU
			}
			fused++
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%s, scale %g: c[%d] = %v, SiLU of the tile %v", kern.name, scale, i, got[i], want[i])
				}
			}
		}
	}
	if fused == 0 {
		t.Skipf("no kernel on this CPU (%v) has a fused SiLU: the engine applies vmath.SiLU after the bias kernel", names())
	}
}

// The taps kernels give the bits of KernelBias(SiLU) on the packed panel of
// the same rows, for scattered and overlapping taps (a 3x3 convolution's
// rows overlap by all but one float); it declines where the kernel has no
// such form, and refuses negative taps.
func TestTapsMatchPackedPanel(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	if _, err := NewTaps([]int32{0, -1}); err == nil {
		t.Error("a negative tap was taken")
	}
	for _, k := range []int{1, 9, 27, 144, 577} {
		mr := active.mr
		src := make([]float32, 4000)
		for i := range src {
			src[i] = rng.Float32()*8 - 4
		}
		off := make([]int32, k)
		for i := range off {
			off[i] = int32(rng.IntN(len(src) - NR - 7))
			if i%3 != 0 {
				off[i] = off[i-1] + 1 // overlapping rows, as a 3x3's taps
				if int(off[i])+NR+7 > len(src) {
					off[i] = 0
				}
			}
		}
		taps, err := NewTaps(off)
		if err != nil {
			t.Fatal(err)
		}
		a := make([]float32, k*mr)
		for i := range a {
			a[i] = rng.Float32()*2 - 1
		}
		bias := make([]float32, mr)
		for i := range bias {
			bias[i] = rng.Float32() - 0.5
		}
		const ldc = NR + 5
		for _, sp := range []Split{Whole, {At: 1, Gap: 2}, {At: 9, Gap: 2}, {At: 15, Gap: 7}} {
			b := make([]float32, k*NR)
			for kk, o := range off {
				for j := range NR {
					if j < sp.At {
						b[kk*NR+j] = src[int(o)+j]
					} else {
						b[kk*NR+j] = src[int(o)+sp.Gap+j]
					}
				}
			}
			for _, silu := range []bool{false, true} {
				want := make([]float32, (mr-1)*ldc+NR)
				got := make([]float32, len(want))
				var ok bool
				if silu {
					if !KernelBiasSiLU(k, a, b, want, ldc, bias) && HasTaps() {
						t.Fatalf("k %d: the taps kernel exists but the fused one does not", k)
					}
					ok = KernelBiasSiLUTaps(a, src, taps, sp, got, ldc, bias)
				} else {
					KernelBias(k, a, b, want, ldc, bias)
					ok = KernelBiasTaps(a, src, taps, sp, got, ldc, bias)
				}
				if ok != HasTaps() {
					t.Fatalf("k %d, SiLU %v: the taps kernel reported %v, HasTaps %v", k, silu, ok, HasTaps())
				}
				if !ok {
					continue // the caller packs: nothing to compare
				}
				for i := range mr {
					for j := range NR {
						w, g := want[i*ldc+j], got[i*ldc+j]
						if math.Float32bits(w) != math.Float32bits(g) {
							t.Fatalf("k %d, %+v, SiLU %v: c[%d][%d] = %v by taps, %v packed", k, sp, silu, i, j, g, w)
						}
					}
				}
			}
		}
	}
}
