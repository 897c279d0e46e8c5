package yolo

import (
	"math"

	"github.com/nniescope/nniescope/shared/internal/errfmt"
	"github.com/nniescope/nniescope/shared/internal/le"
	"github.com/nniescope/nniescope/shared/tensor"
)

// RegMax is the number of DFL bins per box side in YOLOv8.
const RegMax = 16

// Level is one stride of a six-branch export: the raw box branch (4·16
// DFL logits per cell) and the raw class branch (nc logits per cell).
type Level struct {
	Stride int
	Reg    *tensor.Tensor // [1, 64, H, W]
	Cls    *tensor.Tensor // [1, nc, H, W]
}

// DecodeHeads decodes raw heads into boxes in model-input pixels: the
// same decoder as board tensors take (decodeRawHeads), on float32 views of
// the levels, so host and board results cannot drift apart.
func DecodeHeads(levels []Level, p Params) ([]Detection, error) {
	raws := make([]Raw, 0, 2*len(levels))
	strides := make([]int, len(levels))
	for li, l := range levels {
		if l.Reg == nil || l.Cls == nil || l.Reg.DType != tensor.Float32 || l.Cls.DType != tensor.Float32 {
			return nil, errfmt.Errorf("yolo: level %d: reg and cls must be float32 tensors", li)
		}
		if l.Stride <= 0 {
			return nil, errfmt.Errorf("yolo: level %d: stride %d", li, l.Stride)
		}
		raws = append(raws, f32Raw(l.Reg), f32Raw(l.Cls))
		strides[li] = l.Stride
	}
	return decodeRawHeads(raws, 0, strides, p)
}

// f32Raw is a float32 tensor as F32 board bytes (little-endian, packed).
func f32Raw(t *tensor.Tensor) Raw {
	b := make([]byte, 4*len(t.F))
	for i, v := range t.F {
		le.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return Raw{Type: RawF32, Shape: t.Shape, Scale: 1, Data: b}
}

func sigmoid(x float32) float32 { return float32(1 / (1 + math.Exp(-float64(x)))) }

func logit(p float32) float32 {
	if p <= 0 {
		return float32(math.Inf(-1))
	}
	if p >= 1 {
		return float32(math.Inf(1))
	}
	return float32(math.Log(float64(p) / (1 - float64(p))))
}
