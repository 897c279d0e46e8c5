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
// shapes): output0 [1, 4+nc, A], heads ([1,64,H,W] reg, [1,nc,H,W] cls)
// or YOLOv5 levels ([1, A·K, H, W] or [A, H, W, K], then the anchors).
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
	levels, err := planes(ref)
	if err != nil {
		return nil, err
	}
	for _, lp := range levels {
		l := lp.Level
		l.Box, l.Cls = make([]float32, l.W*l.H), make([]float32, l.W*l.H)
		for _, set := range [][]plane{lp.box, lp.cls} {
			for _, p := range set {
				if p.base < 0 || p.base+(l.W*l.H-1)*p.step >= len(floats[0][p.t]) {
					return nil, errfmt.Errorf("headdiff: tensor %v does not hold the %dx%d grid of stride %d", ref.Tensors[p.t].Raw.Shape, l.W, l.H, l.Stride)
				}
			}
		}
		for c := range l.Box {
			for _, p := range lp.box {
				i := p.base + c*p.step
				l.Box[c] += abs(floats[0][p.t][i] - floats[1][p.t][i])
			}
			l.Box[c] /= float32(len(lp.box))
			for _, p := range lp.cls {
				i := p.base + c*p.step
				l.Cls[c] = max(l.Cls[c], abs(floats[0][p.t][i]-floats[1][p.t][i]))
			}
		}
		rep.Levels = append(rep.Levels, l)
	}
	return rep, nil
}

// plane is one value of every cell of a level: cell c's is element
// base + c·step of tensor t.
type plane struct{ t, base, step int }

// levelPlanes are a level and where its box values (averaged per cell)
// and class values (their maximum) are.
type levelPlanes struct {
	Level
	box, cls []plane
}

// planes lays out the levels of a result's layout: one loop in Compare
// then serves every layout (the WASM module pays for each loop).
func planes(r *wire.Result) ([]levelPlanes, error) {
	t0 := r.Tensors[0].Raw.Shape
	var out []levelPlanes
	switch {
	case r.Layout == yolo.AnchorLevels:
		n := len(r.Tensors) - 1
		as := r.Tensors[n].Raw.Shape // [levels, A, 2]
		if n < 1 || len(as) != 3 || as[0] != n || as[1] < 1 {
			return nil, errfmt.Errorf("headdiff: anchor levels: %d tensors end in anchors %v", n+1, as)
		}
		na := as[1]
		for i := range n {
			s := r.Tensors[i].Raw.Shape
			if len(s) != 4 {
				return nil, errfmt.Errorf("headdiff: level %v", s)
			}
			// [1, A·K, H, W] (the convolution), else [A, H, W, K].
			k, h, w, fieldStep, cellStep := s[1]/na, s[2], s[3], s[2]*s[3], 1
			if s[0] == na && !(s[0] == 1 && s[1]%na == 0) {
				k, h, w, fieldStep, cellStep = s[3], s[1], s[2], 1, s[3]
			}
			l := levelPlanes{Level: Level{Stride: r.DstH / max(h, 1), W: w, H: h}}
			for a := range na {
				for f := range k {
					p := plane{i, a*k*h*w + f*fieldStep, cellStep}
					if f < 4 {
						l.box = append(l.box, p)
					} else {
						l.cls = append(l.cls, p)
					}
				}
			}
			out = append(out, l)
		}
	case len(r.Tensors) == 1 && len(t0) == 3 && r.Layout != yolo.AnchorMajor:
		rows, anchors, off := t0[1], t0[2], 0
		for _, s := range []int{8, 16, 32} {
			l := levelPlanes{Level: Level{Stride: s, W: r.DstW / s, H: r.DstH / s}}
			for row := range rows {
				p := plane{0, row*anchors + off, 1}
				if row < 4 {
					l.box = append(l.box, p)
				} else {
					l.cls = append(l.cls, p)
				}
			}
			if off += l.W * l.H; off > anchors {
				return nil, errfmt.Errorf("headdiff: %d anchors do not fit the %dx%d input's grids", anchors, r.DstW, r.DstH)
			}
			out = append(out, l)
		}
	case len(r.Tensors)%2 == 0 && len(t0) == 4:
		for i := 0; i < len(r.Tensors); i += 2 {
			rs, cs := r.Tensors[i].Raw.Shape, r.Tensors[i+1].Raw.Shape
			if len(cs) != 4 || cs[2] != rs[2] || cs[3] != rs[3] {
				return nil, errfmt.Errorf("headdiff: reg %v and cls %v are no head", rs, cs)
			}
			h, w := rs[2], rs[3]
			l := levelPlanes{Level: Level{Stride: r.DstH / max(h, 1), W: w, H: h}}
			for ch := range rs[1] {
				l.box = append(l.box, plane{i, ch * w * h, 1})
			}
			for ch := range cs[1] {
				l.cls = append(l.cls, plane{i + 1, ch * w * h, 1})
			}
			out = append(out, l)
		}
	default:
		return nil, errfmt.Errorf("headdiff: no per-cell maps for tensors %v (layout %d): they are made for output0 [1,4+nc,A], reg/cls heads and YOLOv5 levels", t0, r.Layout)
	}
	return out, nil
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
