// Package pack builds the GEMM's B panels from NCHW activations: the
// layouts YOLOv8 spends its packing time on (3x3 stride-1 and stride-2
// strips of a zero-bordered input, and 1x1 strips), in AVX2 on amd64 with portable Go twins that the tests
// hold them to.
package pack

// Strip is the panel width, gemm.NR.
const Strip = 16

// Im2col3x3 writes channels·9 rows of 16 floats for a strip of 16 output
// pixels of a 3x3 stride-1 convolution whose taps are all inside the image.
// src[0] is the top-left tap of the first pixel in channel 0; plane and row
// are the channel and row strides of the input in floats.
func Im2col3x3(dst, src []float32, channels, plane, row int) {
	if channels == 0 {
		return
	}
	_ = dst[channels*9*Strip-1]
	_ = src[(channels-1)*plane+2*row+2+Strip-1]
	im2col3x3(dst, src, channels, plane, row)
}

// Im2col3x3S2 is Im2col3x3 for a stride-2 convolution: the taps of a
// strip of 16 output pixels are every other element of 32 (+1) floats of
// an input row. src[0] is the top-left tap of the first pixel in channel
// 0; every tap must be inside src (a zero-bordered input).
func Im2col3x3S2(dst, src []float32, channels, plane, row int) {
	if channels == 0 {
		return
	}
	_ = dst[channels*9*Strip-1]
	// The vector path loads 32 floats from each tap's first: one past
	// the strip's last tap of kx 2.
	_ = src[(channels-1)*plane+2*row+2+2*Strip-1]
	im2col3x3s2(dst, src, channels, plane, row)
}

func im2col3x3s2Go(dst, src []float32, channels, plane, row int) {
	k := 0
	for ch := range channels {
		for ky := range 3 {
			r := src[ch*plane+ky*row:]
			for kx := range 3 {
				d := dst[k*Strip : (k+1)*Strip]
				for j := range d {
					d[j] = r[kx+2*j]
				}
				k++
			}
		}
	}
}

// Rows16 copies rows strips of 16 floats, stride floats apart, into dst.
func Rows16(dst, src []float32, rows, stride int) {
	if rows == 0 {
		return
	}
	_ = dst[rows*Strip-1]
	_ = src[(rows-1)*stride+Strip-1]
	rows16(dst, src, rows, stride)
}

func im2col3x3Go(dst, src []float32, channels, plane, row int) {
	k := 0
	for ch := range channels {
		for ky := range 3 {
			r := src[ch*plane+ky*row:]
			for kx := range 3 {
				copy(dst[k*Strip:(k+1)*Strip], r[kx:kx+Strip])
				k++
			}
		}
	}
}

func rows16Go(dst, src []float32, rows, stride int) {
	for i := range rows {
		copy(dst[i*Strip:(i+1)*Strip], src[i*stride:i*stride+Strip])
	}
}
