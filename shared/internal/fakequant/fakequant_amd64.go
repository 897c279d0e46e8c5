package fakequant

import "golang.org/x/sys/cpu"

var (
	hasAVX  = cpu.X86.HasAVX
	hasF16C = cpu.X86.HasAVX && cpu.X86.HasF16C
)

//go:noescape
func uniformAVX(dst, src *float32, n int, scale, offset, lo, hi, inv float32)

// uniformVec handles the largest multiple of 8 and returns how many it did.
func uniformVec(dst, src []float32, scale, offset, lo, hi, inv float32) int {
	n := len(dst) &^ 7
	if !hasAVX || n == 0 {
		return 0
	}
	uniformAVX(&dst[0], &src[0], n, scale, offset, lo, hi, inv)
	return n
}

//go:noescape
func float16F16C(dst, src *float32, n int)

func float16Vec(dst, src []float32) int {
	n := len(dst) &^ 7
	if !hasF16C || n == 0 {
		return 0
	}
	float16F16C(&dst[0], &src[0], n)
	return n
}
