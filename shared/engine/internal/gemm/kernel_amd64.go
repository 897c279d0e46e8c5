package gemm

import "golang.org/x/sys/cpu"

//go:noescape
func kernelAVX2(k int, a, b, c *float32, ldc int)

//go:noescape
func kernelAVX512(k int, a, b, c *float32, ldc int)

//go:noescape
func kernelAVX512Bias(k int, a, b, c *float32, ldc int, bias *float32)

//go:noescape
func kernelAVX512BiasSiLU(k int, a, b, c *float32, ldc int, bias *float32)

//go:noescape
func kernelAVX512BiasTaps2(k int, a, src *float32, taps *int32, c *float32, ldc int, bias *float32, mask, gap int)

//go:noescape
func kernelAVX512BiasSiLUTaps2(k int, a, src *float32, taps *int32, c *float32, ldc int, bias *float32, mask, gap int)

//go:noescape
func kernelAVX512BiasTaps(k int, a, src *float32, taps *int32, c *float32, ldc int, bias *float32)

//go:noescape
func kernelAVX512BiasSiLUTaps(k int, a, src *float32, taps *int32, c *float32, ldc int, bias *float32)

//go:noescape
func kernelAVX2Bias(k int, a, b, c *float32, ldc int, bias *float32)

// kernels lists the micro-kernels this CPU runs, fastest first; all are
// tested against the Go one, and the assembly ones give the same bits
// (each sums a·b into its accumulator with one FMA per k, in k order).
var kernels = func() []kernelImpl {
	var ks []kernelImpl
	if cpu.X86.HasAVX512F {
		ks = append(ks, kernelImpl{"amd64-avx512", 16, avx512ID})
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		ks = append(ks, kernelImpl{"amd64-avx2-fma", 6, avx2ID})
	}
	return append(ks, goKernel)
}()

func (ki kernelImpl) run(k int, a, b, c []float32, ldc int) {
	switch ki.id {
	case avx512ID:
		kernelAVX512(k, &a[0], &b[0], &c[0], ldc)
	case avx2ID:
		kernelAVX2(k, &a[0], &b[0], &c[0], ldc)
	default:
		kernelGo(k, ki.mr, a, b, c, ldc)
	}
}

func (ki kernelImpl) runBias(k int, a, b, c []float32, ldc int, bias []float32) {
	switch ki.id {
	case avx512ID:
		kernelAVX512Bias(k, &a[0], &b[0], &c[0], ldc, &bias[0])
	case avx2ID:
		kernelAVX2Bias(k, &a[0], &b[0], &c[0], ldc, &bias[0])
	default:
		kernelGoBias(k, ki.mr, a, b, c, ldc, bias)
	}
}

// runBiasSiLU is runBias followed by SiLU; it reports false for kernels
// without a fused form (the caller applies SiLU itself).
func (ki kernelImpl) runBiasSiLU(k int, a, b, c []float32, ldc int, bias []float32) bool {
	if ki.id != avx512ID {
		return false
	}
	kernelAVX512BiasSiLU(k, &a[0], &b[0], &c[0], ldc, &bias[0])
	return true
}

// runTaps is runBias, or with silu runBiasSiLU, reading B by taps (split:
// lanes from the first row); false for kernels without that form.
func (ki kernelImpl) runTaps(silu bool, k int, a, src []float32, taps []int32, split, gap int, c []float32, ldc int, bias []float32) bool {
	if ki.id != avx512ID {
		return false
	}
	ap, sp, tp, cp, bp := &a[0], &src[0], &taps[0], &c[0], &bias[0]
	switch {
	case silu && split >= NR:
		kernelAVX512BiasSiLUTaps(k, ap, sp, tp, cp, ldc, bp)
	case silu:
		kernelAVX512BiasSiLUTaps2(k, ap, sp, tp, cp, ldc, bp, 1<<split-1, gap)
	case split >= NR:
		kernelAVX512BiasTaps(k, ap, sp, tp, cp, ldc, bp)
	default:
		kernelAVX512BiasTaps2(k, ap, sp, tp, cp, ldc, bp, 1<<split-1, gap)
	}
	return true
}
