// Package vmath holds the engine's vectorised elementwise math: sigmoid over
// slices, in AVX2 on amd64 and portable Go elsewhere, tested against each
// other and against float64.
package vmath

import "math"

// Sigmoid sets dst[i] = 1/(1+e^-src[i]); len(src) ≥ len(dst).
func Sigmoid(dst, src []float32) {
	n := len(dst)
	src = src[:n]
	done := sigmoidVec(dst, src)
	for i := done; i < n; i++ {
		dst[i] = 1 / (1 + Exp(-src[i]))
	}
}

// SiLU sets dst[i] = src[i]·sigmoid(src[i]), the YOLOv8 activation, in one
// pass; dst and src may be the same slice.
func SiLU(dst, src []float32) {
	n := len(dst)
	src = src[:n]
	for i := siluVec(dst, src); i < n; i++ {
		dst[i] = src[i] / (1 + Exp(-src[i]))
	}
}

// SiLURows16 applies SiLU in place to 16 floats of each of rows rows,
// stride floats apart, starting at p[0] (a GEMM panel's columns): the
// vector kernel on every element, so each equals SiLU over a slice whose
// length is a multiple of 8.
func SiLURows16(p []float32, rows, stride int) {
	if rows == 0 {
		return
	}
	_ = p[(rows-1)*stride+15]
	if siluRowsVec(p, rows, stride) {
		return
	}
	for r := range rows {
		row := p[r*stride : r*stride+16]
		SiLU(row, row)
	}
}

// ExpSlice sets dst[i] = e^src[i]; len(src) ≥ len(dst). Inputs below -87
// give e^-87 in the vector path, not a subnormal: softmax and sigmoid,
// its users, cannot tell.
func ExpSlice(dst, src []float32) {
	n := len(dst)
	src = src[:n]
	for i := expVec(dst, src); i < n; i++ {
		dst[i] = Exp(src[i])
	}
}

// Exp computes e^x in float32: x = k·ln2 + r with |r| ≤ ln2/2, e^r by a
// degree-6 polynomial, scaled by 2^k through the exponent bits (about 2 ulp;
// math.Exp in float64 is several times slower).
func Exp(x float32) float32 {
	const (
		log2e = 1.44269504088896341
		ln2hi = 0.693359375
		ln2lo = -2.12194440e-4
	)
	if x > 88.3762626647949 {
		return float32(math.Inf(1))
	}
	if x < -103.972084045410 {
		return 0
	}
	if x != x {
		return x
	}
	kf := x * log2e
	ki := int32(kf + 0.5)
	if kf+0.5 < 0 {
		ki = int32(kf - 0.5)
	}
	k := float32(ki)
	r := x - k*ln2hi - k*ln2lo
	p := float32(1.9875691500e-4)
	p = p*r + 1.3981999507e-3
	p = p*r + 8.3334519073e-3
	p = p*r + 4.1665795894e-2
	p = p*r + 1.6666665459e-1
	p = p*r + 5.0000001201e-1
	p = p*r*r + r + 1
	if ki < -126 { // subnormal result: scale in two steps
		return p * math.Float32frombits(uint32(ki+127+64)<<23) * math.Float32frombits(uint32(127-64)<<23)
	}
	if ki > 127 {
		return p * 2 * math.Float32frombits(uint32(ki-1+127)<<23)
	}
	return p * math.Float32frombits(uint32(ki+127)<<23)
}
