package yolo

import (
	"math"
	"strconv"

	"github.com/nniescope/nniescope/shared/internal/errfmt"
	"github.com/nniescope/nniescope/shared/internal/le"
	"github.com/nniescope/nniescope/shared/tensor"
)

// Anchors are a YOLOv5 head's anchor boxes: per level (strides
// ascending), per anchor, width and height in input pixels (as the
// model's yaml states them).
type Anchors [][][2]float32

// String writes a in the ";" form detect.ParseAnchors reads (which lives
// there: parsing floats and splitting strings would cost the WASM module
// strconv's and unicode's tables).
func (a Anchors) String() string {
	var b []byte
	for li, lv := range a {
		if li > 0 {
			b = append(b, ';')
		}
		for k, wh := range lv {
			if k > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendFloat(b, float64(wh[0]), 'g', -1, 32)
			b = append(b, ',')
			b = strconv.AppendFloat(b, float64(wh[1]), 'g', -1, 32)
		}
	}
	return string(b)
}

// Raw is a as the last tensor of an AnchorLevels request or stream
// result: F32 [levels, anchors, 2], so that a recording decodes without
// the model at hand.
func (a Anchors) Raw() Raw {
	n := 0
	if len(a) > 0 {
		n = len(a[0])
	}
	b := make([]byte, 0, 8*len(a)*n)
	for _, lv := range a {
		for _, wh := range lv {
			b = le.AppendUint32(b, math.Float32bits(wh[0]))
			b = le.AppendUint32(b, math.Float32bits(wh[1]))
		}
	}
	return Raw{Type: RawF32, Shape: []int{len(a), n, 2}, Scale: 1, Data: b}
}

// AnchorLevel is one stride of a YOLOv5 head exported without its decode:
// the level's raw output, before the sigmoid.
type AnchorLevel struct {
	Stride int
	// Out is the level's convolution [1, A·(5+nc), H, W], or the same
	// reshaped and permuted to [1, A, H, W, 5+nc] (a train-mode export).
	Out     *tensor.Tensor
	Anchors [][2]float32 // A anchors (w, h) in input pixels
}

// DecodeAnchorLevels decodes a YOLOv5 head from its raw levels the way
// the export's own decode does (sigmoid; xy = (2σ − 0.5 + grid)·stride;
// wh = (2σ)²·anchor; objectness × best class) and then as
// DecodeAnchorMajor: the same decoder as board tensors take.
func DecodeAnchorLevels(levels []AnchorLevel, p Params) ([]Detection, error) {
	raws := make([]Raw, len(levels))
	strides := make([]int, len(levels))
	var anchors []float32
	for li, l := range levels {
		if len(l.Anchors) != len(levels[0].Anchors) {
			return nil, errfmt.Errorf("yolo: level %d has %d anchors, level 0 %d", li, len(l.Anchors), len(levels[0].Anchors))
		}
		for _, wh := range l.Anchors {
			anchors = append(anchors, wh[0], wh[1])
		}
		if l.Out == nil || l.Out.DType != tensor.Float32 {
			return nil, errfmt.Errorf("yolo: level %d: the output must be a float32 tensor", li)
		}
		if l.Stride <= 0 {
			return nil, errfmt.Errorf("yolo: level %d: stride %d", li, l.Stride)
		}
		raws[li] = f32Raw(l.Out)
		if s := l.Out.Shape; len(s) == 5 && s[0] == 1 {
			raws[li].Shape = s[1:] // [A, H, W, 5+nc]: a board tensor has rank ≤ 4
		}
		strides[li] = l.Stride
	}
	if len(levels) == 0 {
		return nil, nil
	}
	return decodeRawAnchorLevels(raws, anchors, len(levels[0].Anchors), 0, strides, p)
}

// levelView addresses one raw level by (anchor, field, cell y, x) in
// either of its two layouts.
type levelView struct {
	rr            rowReader
	k             int // fields per anchor (5+nc)
	h, w          int
	channelsFirst bool
}

// get reads one field. It is called for every anchor's objectness and
// for the fields of the few that pass; kept out of line, as one call of
// the row reader, because every inlined copy of rowReader.get's type
// switch costs the WASM module kilobytes.
//
//go:noinline
func (v *levelView) get(a, k, y, x int) float32 {
	row, col := (a*v.k+k)*v.h+y, x // [1, A·K, H, W]: rows are (channel, y)
	if !v.channelsFirst {
		row, col = (a*v.h+y)*v.w+x, k // [A, H, W, K]: rows are cells
	}
	return v.rr.get(row, col)
}

// newLevelView reads a level's shape: [1, A·K, H, W] (the convolution, as
// an NPU emits it) or [A, H, W, K]. With one anchor per cell both can be
// [1, ·, ·, ·]; the convolution's form is then assumed.
func newLevelView(r Raw, na int) (levelView, error) {
	rr, err := newRowReader(r)
	if err != nil {
		return levelView{}, err
	}
	s := r.Shape
	switch {
	case len(s) == 4 && s[0] == 1 && s[1]%na == 0 && s[1]/na >= 6:
		return levelView{rr: rr, k: s[1] / na, h: s[2], w: s[3], channelsFirst: true}, nil
	case len(s) == 4 && s[0] == na && s[3] >= 6:
		return levelView{rr: rr, k: s[3], h: s[1], w: s[2]}, nil
	}
	return levelView{}, errfmt.Errorf("%w: %v is neither [1, %d·(5+classes), H, W] nor [%d, H, W, 5+classes] for %d anchors", ErrTensor, s, na, na, na)
}

// decodeRawAnchorLevels is the one YOLOv5 raw-level decoder: anchors
// holds na (w, h) pairs per level; each level's stride is strides[level],
// or the input height over its grid height when strides is nil. It
// decodes the anchors whose objectness passes into anchor-major rows, as
// the export's decode would, and selects from them as DecodeAnchorMajor.
func decodeRawAnchorLevels(tensors []Raw, anchors []float32, na int, inputH int, strides []int, p Params) ([]Detection, error) {
	if na < 1 || len(anchors) != 2*na*len(tensors) {
		return nil, errfmt.Errorf("%w: %d levels but %d anchor values", ErrTensor, len(tensors), len(anchors))
	}
	for _, v := range anchors {
		if !(v > 0 && v <= math.MaxFloat32) {
			return nil, errfmt.Errorf("%w: anchor size %v: want positive finite pixels", ErrTensor, v)
		}
	}
	thr := logit(p.ScoreThreshold)
	var rows []float32
	fields := 0
	for li, r := range tensors {
		v, err := newLevelView(r, na)
		if err != nil {
			return nil, errfmt.Errorf("level %d: %w", li, err)
		}
		if fields != 0 && v.k != fields {
			return nil, errfmt.Errorf("%w: level %d has %d fields per anchor, level 0 has %d", ErrTensor, li, v.k, fields)
		}
		fields = v.k
		stride := inputH / v.h
		if strides != nil {
			stride = strides[li]
		}
		if stride <= 0 {
			return nil, errfmt.Errorf("%w: level %d: grid height %d exceeds the input height %d", ErrTensor, li, v.h, inputH)
		}
		s := float32(stride)
		for a := range na {
			aw, ah := anchors[2*(li*na+a)], anchors[2*(li*na+a)+1]
			for cell := range v.h * v.w {
				y, x := cell/v.w, cell%v.w
				// σ is monotonic: the objectness logit alone says whether
				// σ(obj) can pass, so most anchors end here.
				if !(v.get(a, 4, y, x) >= thr) {
					continue
				}
				n := len(rows)
				for f := range v.k {
					rows = append(rows, sigmoid(v.get(a, f, y, x)))
				}
				row := rows[n:]
				bw, bh := 2*row[2], 2*row[3]
				row[0] = (2*row[0] - 0.5 + float32(x)) * s
				row[1] = (2*row[1] - 0.5 + float32(y)) * s
				row[2], row[3] = bw*bw*aw, bh*bh*ah
			}
		}
	}
	return Filter(selectAnchorMajor(rows, fields, p), p), nil
}
