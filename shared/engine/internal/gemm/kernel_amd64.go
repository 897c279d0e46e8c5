package gemm

import "golang.org/x/sys/cpu"

// hasAVX2 selects the assembly kernel; both are tested against each other.
var hasAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func kernelAVX2(k int, a, b, c *float32, ldc int)

func kernel(k int, a, b, c []float32, ldc int) {
	if hasAVX2 {
		kernelAVX2(k, &a[0], &b[0], &c[0], ldc)
		return
	}
	kernelGo(k, a, b, c, ldc)
}

// Impl names the micro-kernel in use, for benchmark reports.
func Impl() string {
	if hasAVX2 {
		return "amd64-avx2-fma"
	}
	return "go"
}
