package vmath

import "golang.org/x/sys/cpu"

var hasAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func sigmoidAVX2(dst, src *float32, n int)

// sigmoidVec handles the largest multiple of 8 and returns how many it did.
func sigmoidVec(dst, src []float32) int {
	n := len(dst) &^ 7
	if !hasAVX2 || n == 0 {
		return 0
	}
	sigmoidAVX2(&dst[0], &src[0], n)
	return n
}

//go:noescape
func expAVX2(dst, src *float32, n int)

func expVec(dst, src []float32) int {
	n := len(dst) &^ 7
	if !hasAVX2 || n == 0 {
		return 0
	}
	expAVX2(&dst[0], &src[0], n)
	return n
}

//go:noescape
func siluAVX2(dst, src *float32, n int)

func siluVec(dst, src []float32) int {
	n := len(dst) &^ 7
	if !hasAVX2 || n == 0 {
		return 0
	}
	siluAVX2(&dst[0], &src[0], n)
	return n
}

//go:noescape
func siluRowsAVX2(p *float32, rows, stride int)

func siluRowsVec(p []float32, rows, stride int) bool {
	if !hasAVX2 || rows == 0 {
		return false
	}
	siluRowsAVX2(&p[0], rows, stride)
	return true
}
