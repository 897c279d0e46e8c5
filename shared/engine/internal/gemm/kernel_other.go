//go:build !amd64

package gemm

func kernel(k int, a, b, c []float32, ldc int) { kernelGo(k, a, b, c, ldc) }

// Impl names the micro-kernel in use, for benchmark reports.
func Impl() string { return "go" }
