package pack

import "golang.org/x/sys/cpu"

var hasAVX2 = cpu.X86.HasAVX2

//go:noescape
func im2col3x3AVX2(dst, src *float32, channels, plane, row int)

//go:noescape
func rows16AVX2(dst, src *float32, rows, stride int)

//go:noescape
func im2col3x3s2AVX2(dst, src *float32, channels, plane, row int)

func im2col3x3s2(dst, src []float32, channels, plane, row int) {
	if hasAVX2 {
		im2col3x3s2AVX2(&dst[0], &src[0], channels, plane, row)
		return
	}
	im2col3x3s2Go(dst, src, channels, plane, row)
}

func im2col3x3(dst, src []float32, channels, plane, row int) {
	if hasAVX2 {
		im2col3x3AVX2(&dst[0], &src[0], channels, plane, row)
		return
	}
	im2col3x3Go(dst, src, channels, plane, row)
}

func rows16(dst, src []float32, rows, stride int) {
	if hasAVX2 {
		rows16AVX2(&dst[0], &src[0], rows, stride)
		return
	}
	rows16Go(dst, src, rows, stride)
}
