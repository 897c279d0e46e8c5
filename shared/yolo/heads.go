package yolo

import (
	"math"

	"github.com/nniescope/nniescope/shared/internal/errfmt"
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

// DecodeHeads decodes raw heads into boxes in model-input pixels. The class
// logit is compared against logit(threshold) and the sigmoid and the DFL
// are computed only for cells that pass: most cells don't.
func DecodeHeads(levels []Level, p Params) ([]Detection, error) {
	thr := logit(p.ScoreThreshold)
	var dets []Detection
	for li, l := range levels {
		if l.Reg == nil || l.Cls == nil || len(l.Reg.Shape) != 4 || len(l.Cls.Shape) != 4 {
			return nil, errfmt.Errorf("yolo: level %d: reg and cls must be [1,C,H,W]", li)
		}
		h, w := l.Reg.Shape[2], l.Reg.Shape[3]
		nc := l.Cls.Shape[1]
		if l.Reg.Shape[1] != 4*RegMax || l.Cls.Shape[2] != h || l.Cls.Shape[3] != w || l.Stride <= 0 {
			return nil, errfmt.Errorf("yolo: level %d: reg %v and cls %v do not form a YOLOv8 head (reg needs %d channels and the same H,W)", li, l.Reg.Shape, l.Cls.Shape, 4*RegMax)
		}
		if len(l.Reg.F) != 4*RegMax*h*w || len(l.Cls.F) != nc*h*w {
			return nil, errfmt.Errorf("yolo: level %d: tensor data does not match its shape", li)
		}
		hw := h * w
		// Best class per cell, walking the class planes in memory order
		// (class-major): the cache-friendly way through nc×H×W logits.
		best := make([]float32, hw)
		cls := make([]int32, hw)
		copy(best, l.Cls.F[:hw])
		for c := 1; c < nc; c++ {
			plane := l.Cls.F[c*hw : (c+1)*hw]
			for cell, v := range plane {
				if v > best[cell] {
					best[cell], cls[cell] = v, int32(c)
				}
			}
		}
		for cell, b := range best {
			if !(b >= thr) {
				continue
			}
			var dist [4]float32
			for side := range 4 {
				dist[side] = dfl(l.Reg.F, side*RegMax, hw, cell)
			}
			ax, ay := float32(cell%w)+0.5, float32(cell/w)+0.5
			s := float32(l.Stride)
			dets = append(dets, Detection{
				ClassID: int(cls[cell]),
				Score:   sigmoid(b),
				Box:     [4]float32{(ax - dist[0]) * s, (ay - dist[1]) * s, (ax + dist[2]) * s, (ay + dist[3]) * s},
			})
		}
	}
	return Filter(dets, p), nil
}

// dfl is the expectation of the softmax over RegMax bins of one side.
func dfl(reg []float32, ch0, hw, cell int) float32 {
	m := float32(math.Inf(-1))
	for b := range RegMax {
		m = max(m, reg[(ch0+b)*hw+cell])
	}
	var sum, acc float32
	for b := range RegMax {
		e := float32(math.Exp(float64(reg[(ch0+b)*hw+cell] - m)))
		sum += e
		acc += e * float32(b)
	}
	return acc / sum
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
