//go:build !amd64

package gemm

// kernels lists the micro-kernels this CPU runs, fastest first.
var kernels = []kernelImpl{goKernel}

func (ki kernelImpl) run(k int, a, b, c []float32, ldc int) { kernelGo(k, ki.mr, a, b, c, ldc) }

func (ki kernelImpl) runBias(k int, a, b, c []float32, ldc int, bias []float32) {
	kernelGoBias(k, ki.mr, a, b, c, ldc, bias)
}

func (ki kernelImpl) runBiasSiLU(k int, a, b, c []float32, ldc int, bias []float32) bool {
	return false
}

func (ki kernelImpl) runTaps(silu bool, k int, a, src []float32, taps []int32, split, gap int, c []float32, ldc int, bias []float32) bool {
	return false
}
