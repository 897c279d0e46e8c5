// Package gemm is the engine's matrix-multiply core: C += A·B on packed
// panels, with AVX-512 and AVX2/FMA micro-kernels on amd64 and a portable
// Go kernel everywhere (and as the reference the assembly is tested
// against).
//
// A is packed once per weight tensor into panels of MR rows (K×MR each,
// k-major); B is packed per call into panels of NR columns (K×NR each).
// Ragged edges are zero-padded in the panels, so the kernel always computes
// a full MR×NR tile.
package gemm

import "fmt"

// NR is the micro-kernel's columns: B panels are NR wide for every kernel.
const NR = 16

// maxMR bounds the rows of any kernel.
const maxMR = 16

// kernelImpl is a micro-kernel and its tile height: A panels are packed
// for the kernel in use (PackA), so its MR is fixed for the process.
// Kernels are called directly by id (run), not through a func value: an
// indirect call would make every caller's tile escape to the heap.
type kernelImpl struct {
	name string
	mr   int
	id   kernelID
}

type kernelID int

const (
	goID kernelID = iota
	avx2ID
	avx512ID
)

// goKernel is the portable kernel, 6 rows like the AVX2 one.
var goKernel = kernelImpl{"go", 6, goID}

// active is the fastest kernel the CPU has (kernels[0]), chosen once.
var active = kernels[0]

// MR is the rows of the micro-kernel in use: 16 with AVX-512 (sixteen
// 16-wide ZMM accumulators), 6 with AVX2 (twelve 8-wide YMM accumulators)
// and in portable Go.
func MR() int { return active.mr }

// Impl names the micro-kernel in use, for benchmark reports.
func Impl() string { return active.name }

// PackA packs the m×k row-major matrix a (row stride lda) into
// ceil(m/MR) panels of k×MR values, rows beyond m zero.
func PackA(a []float32, m, k, lda int) []float32 { return packA(a, m, k, lda, active.mr) }

func packA(a []float32, m, k, lda, mr int) []float32 {
	panels := (m + mr - 1) / mr
	out := make([]float32, panels*k*mr)
	for p := range panels {
		dst := out[p*k*mr:]
		for i := range mr {
			row := p*mr + i
			if row >= m {
				break
			}
			src := a[row*lda : row*lda+k]
			for kk, v := range src {
				dst[kk*mr+i] = v
			}
		}
	}
	return out
}

// Kernel computes the full tile C[0:MR, 0:NR] += Apanel·Bpanel, where
// c[i*ldc+j] addresses C. len(a) ≥ k*MR, len(b) ≥ k*NR.
func Kernel(k int, a, b, c []float32, ldc int) {
	if k == 0 {
		return
	}
	mr := active.mr
	_ = a[k*mr-1]
	_ = b[k*NR-1]
	_ = c[(mr-1)*ldc+NR-1]
	active.run(k, a, b, c, ldc)
}

// KernelBias sets the full tile C[0:MR, 0:NR] = bias[i] + Apanel·Bpanel
// (len(bias) ≥ MR): the bits Kernel gives on C filled with the bias, with
// neither the fill nor the read of C.
func KernelBias(k int, a, b, c []float32, ldc int, bias []float32) {
	mr := active.mr
	_ = bias[mr-1]
	if k == 0 {
		for i := range mr {
			ci := c[i*ldc : i*ldc+NR]
			for j := range ci {
				ci[j] = bias[i]
			}
		}
		return
	}
	_ = a[k*mr-1]
	_ = b[k*NR-1]
	_ = c[(mr-1)*ldc+NR-1]
	active.runBias(k, a, b, c, ldc, bias)
}

// KernelBiasSiLU is KernelBias followed by SiLU on the tile, in the
// kernel's registers where the kernel has that form (AVX-512); it reports
// false, having done KernelBias only, where it has not: the caller then
// applies SiLU (the same values either way: the fused form runs the
// engine's vector SiLU sequence).
func KernelBiasSiLU(k int, a, b, c []float32, ldc int, bias []float32) bool {
	mr := active.mr
	if k == 0 {
		KernelBias(k, a, b, c, ldc, bias)
		return false
	}
	_ = bias[mr-1]
	_ = a[k*mr-1]
	_ = b[k*NR-1]
	_ = c[(mr-1)*ldc+NR-1]
	if active.runBiasSiLU(k, a, b, c, ldc, bias) {
		return true
	}
	active.runBias(k, a, b, c, ldc, bias)
	return false
}

// Taps are the rows of an implicit-GEMM panel: row kk of B is the NR
// floats at src[taps[kk]:] of the slice a kernel is given, so a
// convolution's taps are read from its input where they lie instead of
// being packed. They are checked once, here, so the kernels read them
// without bounds checks.
type Taps struct {
	off []int32
	max int
}

// NewTaps takes the row offsets (each ≥ 0).
func NewTaps(off []int32) (*Taps, error) {
	t := &Taps{off: off}
	for _, o := range off {
		if o < 0 {
			return nil, fmt.Errorf("gemm: tap offset %d", o)
		}
		t.max = max(t.max, int(o))
	}
	return t, nil
}

// HasTaps reports whether the kernel in use reads B by taps
// (KernelBiasSiLUTaps does something); without it, callers pack.
func HasTaps() bool { return active.id == avx512ID }

// Split is where a taps panel's pixels lie: columns [0, At) at each
// row's offset, columns [At, NR) Gap floats further on (a panel across
// two output rows of a zero-bordered copy, whose rows are Gap floats
// longer than the output's). At NR (or more): all in one row.
type Split struct{ At, Gap int }

// Whole is a panel within one output row.
var Whole = Split{At: NR}

// KernelBiasTaps is KernelBias over a full tile with row kk of B read at
// src[t's kk-th offset:] (NR floats, placed as sp says): the same values
// in the same order as on the packed panel of those rows, so the same
// bits. It reports false, doing nothing, where the kernel has no such
// form (HasTaps).
func KernelBiasTaps(a, src []float32, t *Taps, sp Split, c []float32, ldc int, bias []float32) bool {
	k, ok := checkTaps(a, src, t, sp, c, ldc, bias)
	return ok && active.runTaps(false, k, a, src, t.off, sp.At, sp.Gap, c, ldc, bias)
}

// KernelBiasSiLUTaps is KernelBiasTaps followed by SiLU on the tile in
// the kernel's registers (KernelBiasSiLU's values).
func KernelBiasSiLUTaps(a, src []float32, t *Taps, sp Split, c []float32, ldc int, bias []float32) bool {
	k, ok := checkTaps(a, src, t, sp, c, ldc, bias)
	return ok && active.runTaps(true, k, a, src, t.off, sp.At, sp.Gap, c, ldc, bias)
}

// checkTaps bounds-checks a taps call once, so the kernel need not.
func checkTaps(a, src []float32, t *Taps, sp Split, c []float32, ldc int, bias []float32) (int, bool) {
	k, mr := len(t.off), active.mr
	if k == 0 || sp.At <= 0 || sp.Gap < 0 {
		return 0, false
	}
	last := t.max + NR - 1
	if sp.At < NR {
		last += sp.Gap
	}
	_ = bias[mr-1]
	_ = a[k*mr-1]
	_ = src[last]
	_ = c[(mr-1)*ldc+NR-1]
	return k, true
}

// KernelEdgeBias sets only the top-left rows×cols of the tile to bias[i]
// plus the product (len(bias) ≥ rows), the bits KernelBias gives there.
func KernelEdgeBias(k int, a, b, c []float32, ldc, rows, cols int, bias []float32) {
	var tmp [maxMR * NR]float32
	Kernel(k, a, b, tmp[:], NR)
	for i := range rows {
		ci := c[i*ldc : i*ldc+cols]
		for j := range ci {
			ci[j] = tmp[i*NR+j] + bias[i]
		}
	}
}

// KernelEdge accumulates only the top-left rows×cols of the tile into c;
// the panels are still full (zero-padded).
func KernelEdge(k int, a, b, c []float32, ldc, rows, cols int) {
	var tmp [maxMR * NR]float32
	Kernel(k, a, b, tmp[:], NR)
	for i := range rows {
		ci := c[i*ldc : i*ldc+cols]
		for j := range ci {
			ci[j] += tmp[i*NR+j]
		}
	}
}

// kernelGo is the portable micro-kernel, for mr ≤ maxMR rows.
func kernelGo(k, mr int, a, b, c []float32, ldc int) {
	var acc [maxMR][NR]float32
	for p := range k {
		bp := b[p*NR : p*NR+NR : p*NR+NR]
		ap := a[p*mr : p*mr+mr : p*mr+mr]
		for i := range mr {
			ai := ap[i]
			row := &acc[i]
			for j := range NR {
				row[j] += ai * bp[j]
			}
		}
	}
	for i := range mr {
		ci := c[i*ldc : i*ldc+NR]
		for j := range NR {
			ci[j] += acc[i][j]
		}
	}
}

// kernelGoBias is kernelGo adding its sums to each row's bias.
func kernelGoBias(k, mr int, a, b, c []float32, ldc int, bias []float32) {
	var acc [maxMR * NR]float32
	kernelGo(k, mr, a, b, acc[:], NR)
	for i := range mr {
		ci := c[i*ldc : i*ldc+NR]
		for j := range ci {
			ci[j] = acc[i*NR+j] + bias[i]
		}
	}
}
