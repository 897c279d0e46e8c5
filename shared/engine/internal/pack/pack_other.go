//go:build !amd64

package pack

func im2col3x3(dst, src []float32, channels, plane, row int) {
	im2col3x3Go(dst, src, channels, plane, row)
}

func rows16(dst, src []float32, rows, stride int) { rows16Go(dst, src, rows, stride) }

func im2col3x3s2(dst, src []float32, channels, plane, row int) {
	im2col3x3s2Go(dst, src, channels, plane, row)
}
