// Package headdiff compares two variants' head tensors for the same frame
// anchor by anchor — where in the image quantization error concentrates,
// for the box branch and the class branch separately — and histograms the
// error of every tensor. The inspection page draws it as a heat map.
package headdiff

import (
	"math"
	"strconv"

	"github.com/nniescope/nniescope/internal/jsonstr"
	"github.com/nniescope/nniescope/shared/internal/errfmt"
	"github.com/nniescope/nniescope/shared/wire"
	"github.com/nniescope/nniescope/shared/yolo"
)

// Level is one stride's grid of per-anchor errors (row-major H×W).
type Level struct {
	Stride int
	W, H   int
	Box    []float32 // mean |Δ| of the box values (output0: cx, cy, w, h in pixels; heads: DFL logits)
	Cls    []float32 // max |Δ| over the class values (scores or logits)
}

// Hist is the distribution of (variant − reference) over one tensor.
type Hist struct {
	Name   string
	Limit  float64 // bins span [−Limit, Limit]; outliers land in the end bins
	Counts []int
}

// Report is the comparison of two results.
type Report struct {
	Levels []Level
	Hists  []Hist
}

// Bins is the histogram resolution.
const Bins = 41

// Compare needs the two results of the same model (same tensor names and
// shapes): output0 [1, 4+nc, A] or heads ([1,64,H,W] reg, [1,nc,H,W] cls).
func Compare(ref, other *wire.Result) (*Report, error) {
	if len(ref.Tensors) != len(other.Tensors) {
		return nil, errfmt.Errorf("headdiff: %d tensors against %d", len(ref.Tensors), len(other.Tensors))
	}
	rep := &Report{}
	var floats [2][][]float32
	for i := range ref.Tensors {
		a, err := ref.Tensors[i].Raw.Float()
		if err != nil {
			return nil, errfmt.Errorf("headdiff: %s: %w", ref.Tensors[i].Name, err)
		}
		b, err := other.Tensors[i].Raw.Float()
		if err != nil {
			return nil, errfmt.Errorf("headdiff: %s: %w", other.Tensors[i].Name, err)
		}
		if len(a.F) != len(b.F) {
			return nil, errfmt.Errorf("headdiff: %s: %v against %v", ref.Tensors[i].Name, a.Shape, b.Shape)
		}
		floats[0] = append(floats[0], a.F)
		floats[1] = append(floats[1], b.F)
		rep.Hists = append(rep.Hists, histogram(ref.Tensors[i].Name, a.F, b.F))
	}
	t0 := ref.Tensors[0].Raw
	switch {
	case len(ref.Tensors) == 1 && len(t0.Shape) == 3 && ref.Layout != yolo.AnchorMajor:
		rows, anchors := t0.Shape[1], t0.Shape[2]
		a, b := floats[0][0], floats[1][0]
		off := 0
		for _, s := range []int{8, 16, 32} {
			w, h := ref.DstW/s, ref.DstH/s
			l := Level{Stride: s, W: w, H: h, Box: make([]float32, w*h), Cls: make([]float32, w*h)}
			for c := range w * h {
				j := off + c
				if j >= anchors {
					return nil, errfmt.Errorf("headdiff: %d anchors do not fit the %dx%d input's grids", anchors, ref.DstW, ref.DstH)
				}
				var box float32
				for r := range 4 {
					box += abs(a[r*anchors+j] - b[r*anchors+j])
				}
				l.Box[c] = box / 4
				for r := 4; r < rows; r++ {
					l.Cls[c] = max(l.Cls[c], abs(a[r*anchors+j]-b[r*anchors+j]))
				}
			}
			off += w * h
			rep.Levels = append(rep.Levels, l)
		}
	case len(ref.Tensors)%2 == 0 && len(t0.Shape) == 4:
		for i := 0; i < len(ref.Tensors); i += 2 {
			rs, cs := ref.Tensors[i].Raw.Shape, ref.Tensors[i+1].Raw.Shape
			h, w := rs[2], rs[3]
			l := Level{Stride: ref.DstH / max(h, 1), W: w, H: h, Box: make([]float32, w*h), Cls: make([]float32, w*h)}
			for c := range w * h {
				for ch := range rs[1] {
					l.Box[c] += abs(floats[0][i][ch*w*h+c] - floats[1][i][ch*w*h+c])
				}
				l.Box[c] /= float32(rs[1])
				for ch := range cs[1] {
					l.Cls[c] = max(l.Cls[c], abs(floats[0][i+1][ch*w*h+c]-floats[1][i+1][ch*w*h+c]))
				}
			}
			rep.Levels = append(rep.Levels, l)
		}
	default:
		return nil, errfmt.Errorf("headdiff: no per-cell maps for tensors %v (layout %d): they are made for output0 [1,4+nc,A] and reg/cls heads", t0.Shape, ref.Layout)
	}
	return rep, nil
}

func abs(v float32) float32 { return float32(math.Abs(float64(v))) }

// histogram bins b−a over ± the largest |Δ| of the tensor.
func histogram(name string, a, b []float32) Hist {
	var lim float64
	for i := range a {
		lim = math.Max(lim, math.Abs(float64(b[i]-a[i])))
	}
	if lim == 0 {
		lim = 1e-6
	}
	h := Hist{Name: name, Limit: lim, Counts: make([]int, Bins)}
	for i := range a {
		k := int((float64(b[i]-a[i]) + lim) / (2 * lim) * Bins)
		h.Counts[max(0, min(Bins-1, k))]++
	}
	return h
}

// AppendJSON writes {"levels":[{"stride","w","h","box":[...],"cls":[...]}],
// "hists":[{"name","limit","counts":[...]}]} without reflection (it runs in
// the WASM module).
func (r *Report) AppendJSON(b []byte) []byte {
	f := func(b []byte, v float32) []byte { return strconv.AppendFloat(b, float64(v), 'g', 4, 32) }
	b = append(b, `{"levels":[`...)
	for i, l := range r.Levels {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"stride":`...)
		b = strconv.AppendInt(b, int64(l.Stride), 10)
		b = append(b, `,"w":`...)
		b = strconv.AppendInt(b, int64(l.W), 10)
		b = append(b, `,"h":`...)
		b = strconv.AppendInt(b, int64(l.H), 10)
		for _, part := range []struct {
			key string
			v   []float32
		}{{`,"box":[`, l.Box}, {`],"cls":[`, l.Cls}} {
			b = append(b, part.key...)
			for k, v := range part.v {
				if k > 0 {
					b = append(b, ',')
				}
				b = f(b, v)
			}
		}
		b = append(b, "]}"...)
	}
	b = append(b, `],"hists":[`...)
	for i, h := range r.Hists {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"name":`...)
		// Names come from the stream or a recording: quote them.
		b = jsonstr.Append(b, h.Name)
		b = append(b, `,"limit":`...)
		b = strconv.AppendFloat(b, h.Limit, 'g', 4, 64)
		b = append(b, `,"counts":[`...)
		for k, c := range h.Counts {
			if k > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(c), 10)
		}
		b = append(b, "]}"...)
	}
	return append(b, "]}"...)
}
