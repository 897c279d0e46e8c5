// Package quant simulates the SVP ACL (Hi3519DV500-class NPU) data path on
// the host: it drives the float engine with a calibration_param.txt,
// fake-quantizing the tensors where the chip is modelled to quantize them,
// quantizing weights per output channel, and rounding float16 compute to
// binary16. It also calibrates (writes such files from images) and
// analyses the error per layer. docs/QUANT.md states every modelling
// choice and what is not known about the real chip.
package quant

import (
	"fmt"
	"math"

	"github.com/nniescope/nniescope/shared/calib"
	"github.com/nniescope/nniescope/shared/internal/fakequant"
	"github.com/nniescope/nniescope/shared/tensor"
)

// point is one quantization point: how a tensor is quantized where a node
// reads it.
type point struct {
	dtype     string
	scale     float32 // 1/step
	offset    float32
	lo, hi    float32 // integer range
	float16   bool    // F16 record: round to binary16 instead
	symmetric bool
}

func newPoint(f calib.Factor) (point, bool) {
	if f.DataType == calib.F16 {
		return point{dtype: f.DataType, float16: true}, true
	}
	lo, hi, ok := calib.Range(f.DataType)
	if !ok || len(f.Scale) == 0 {
		return point{}, false // F32 or a record without scale: no-op
	}
	p := point{dtype: f.DataType, scale: float32(f.Scale[0]), lo: float32(lo), hi: float32(hi)}
	if len(f.Offset) > 0 {
		p.offset = float32(f.Offset[0])
	}
	return p, true
}

// symmetricOf keeps the range a record covers but moves it onto a
// symmetric grid (offset 0, scale = qmax/max|x|): the hypothesis that the
// chip's constant-operand multiply quantizes its input symmetrically.
func symmetricOf(p point) point {
	if p.float16 {
		return p
	}
	xlo := (p.lo - p.offset) / p.scale
	xhi := (p.hi - p.offset) / p.scale
	m := max(float32(math.Abs(float64(xlo))), float32(math.Abs(float64(xhi))))
	s := p
	s.offset = 0
	s.symmetric = true
	if m > 0 {
		s.scale = p.hi / m
	}
	return s
}

// Apply writes the fake-quantized src into dst: round half to even of
// x·scale + offset, clamped to the type's range, mapped back. A point is
// an engine.Transform (a comparable value: readers of a tensor with
// equal points share one application).
func (p point) Apply(dst, src []float32) {
	if p.float16 {
		fakequant.Float16(dst, src)
		return
	}
	fakequant.Uniform(dst, src, p.scale, p.offset, p.lo, p.hi)
}

// float16Compute rounds a node's outputs to binary16: an F16 record's
// compute (calc_data_type F16).
type float16Compute struct{}

func (float16Compute) Apply(dst, src []float32) { fakequant.Float16(dst, src) }

// quantizeWeights quantizes a [M, ...] weight tensor per output channel,
// symmetric: w' = clamp(round(w·s_c), lo, hi) / s_c. scales, when empty,
// are computed as hi / max|w_c| (what ATC writes: 127/15 for the DFL conv).
func quantizeWeights(w *tensor.Tensor, dtype string, scales []float64) (*tensor.Tensor, []float64) {
	lo, hi, ok := calib.Range(dtype)
	if !ok {
		lo, hi = -128, 127
	}
	m := w.Shape[0]
	per := len(w.F) / m
	out := w.Clone()
	if len(scales) != m {
		scales = make([]float64, m)
		for c := range m {
			var mx float64
			for _, v := range w.F[c*per : (c+1)*per] {
				mx = math.Max(mx, math.Abs(float64(v)))
			}
			scales[c] = hi
			if mx > 0 {
				scales[c] = hi / mx
			}
		}
	}
	for c := range m {
		s := scales[c]
		for i := c * per; i < (c+1)*per; i++ {
			q := math.Max(lo, math.Min(hi, math.RoundToEven(float64(w.F[i])*s)))
			out.F[i] = float32(q / s)
		}
	}
	return out, scales
}

// Uniform is what SVP ACL does to values under one factor of a record (a
// data type with its scale and offset): each value's integer code
// q = clamp(round_half_even(x·scale) + offset) and the value that code
// means, (q − offset)/scale — the same arithmetic the simulator applies.
// An F16 factor rounds to binary16 (the codes are then the rounded values).
func Uniform(f calib.Factor, values []float32) (codes, out []float32, err error) {
	p, ok := newPoint(f)
	if !ok {
		return nil, nil, fmt.Errorf("data type %q with scale %v: want S8/U8/S16/U16/S4/U4 with a scale, or F16", f.DataType, f.Scale)
	}
	if !p.float16 && !(p.scale > 0) {
		return nil, nil, fmt.Errorf("scale %v: want a positive number", f.Scale[0])
	}
	out = make([]float32, len(values))
	p.Apply(out, values)
	codes = make([]float32, len(values))
	for i, v := range values {
		if p.float16 {
			codes[i] = out[i]
			continue
		}
		codes[i] = max(p.lo, min(p.hi, float32(math.RoundToEven(float64(v*p.scale)))+p.offset))
	}
	return codes, out, nil
}
