// Package fakequant holds the elementwise kernels the quantization
// simulators spend their time in: uniform fake quantization (quantize to
// an integer grid, clamp, map back) and rounding to binary16. Each has a
// portable Go reference and, on amd64, an AVX/F16C twin held to it bit
// for bit (tests); both are elementwise, so any split of a slice into
// parts gives the same result.
package fakequant

import (
	"math"

	"github.com/nniescope/nniescope/shared/tensor"
)

// Uniform sets dst[i] to src[i] quantized on the grid q = round(x·scale)
// + offset (round half to even), clamped to [lo, hi] and mapped back:
// (q − offset)/scale, computed as (q − offset)·(1/scale) in float32.
// len(src) ≥ len(dst); dst and src may be the same slice.
func Uniform(dst, src []float32, scale, offset, lo, hi float32) {
	n := len(dst)
	src = src[:n]
	inv := 1 / scale
	done := uniformVec(dst, src, scale, offset, lo, hi, inv)
	uniformGo(dst[done:], src[done:], scale, offset, lo, hi, inv)
}

func uniformGo(dst, src []float32, s, off, lo, hi, inv float32) {
	src = src[:len(dst)]
	for i, v := range src {
		q := float32(math.RoundToEven(float64(v*s))) + off
		q = max(lo, min(hi, q))
		dst[i] = (q - off) * inv
	}
}

// Float16 sets dst[i] to src[i] rounded to the nearest binary16 value
// (tensor.RoundFloat16: half to even, overflow to infinity, NaN to the
// quiet NaN of its sign). len(src) ≥ len(dst); dst may be src.
func Float16(dst, src []float32) {
	n := len(dst)
	src = src[:n]
	done := float16Vec(dst, src)
	float16Go(dst[done:], src[done:])
}

func float16Go(dst, src []float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = tensor.RoundFloat16(v)
	}
}
