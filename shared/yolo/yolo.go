// Package yolo decodes YOLOv8 detect-head outputs into boxes: score filter,
// class-aware NMS, top-k, and the inverse letterbox to image pixels.
package yolo

import (
	"cmp"
	"slices"

	"github.com/nniescope/nniescope/shared/internal/errfmt"
	"github.com/nniescope/nniescope/shared/letterbox"
	"github.com/nniescope/nniescope/shared/tensor"
)

// Detection is one box. Box is x1, y1, x2, y2 in the pixels of the image
// the decode was mapped to (model input until MapBack, then source image).
type Detection struct {
	ClassID int        `json:"class_id"`
	Score   float32    `json:"score"`
	Box     [4]float32 `json:"box"`
}

// Params mirror the board RPN's rpn_data (nms threshold, score threshold,
// min height, min width) plus a cap on the number of boxes.
type Params struct {
	ScoreThreshold float32 // keep scores ≥ this
	NMSThreshold   float32 // suppress same-class boxes with IoU > this
	MinWidth       float32 // in model-input pixels
	MinHeight      float32
	MaxDetections  int // 0: no cap
}

// DefaultParams are Ultralytics' predict defaults (conf 0.25, IoU 0.7,
// max_det 300).
func DefaultParams() Params {
	return Params{ScoreThreshold: 0.25, NMSThreshold: 0.7, MaxDetections: 300}
}

// DecodeOutput0 decodes the single output [1, 4+nc, A] of an Ultralytics
// export (rows cx, cy, w, h in input pixels, then class scores after
// sigmoid): best class per anchor, then Filter.
func DecodeOutput0(t *tensor.Tensor, p Params) ([]Detection, error) {
	if t == nil || t.DType != tensor.Float32 || len(t.Shape) != 3 || t.Shape[0] != 1 || t.Shape[1] < 5 {
		return nil, errfmt.Errorf("yolo: output0 must be float32 [1, 4+classes, anchors], got %v", t)
	}
	rows, a := t.Shape[1], t.Shape[2]
	if len(t.F) != rows*a {
		return nil, errfmt.Errorf("yolo: output0 %v holds %d values, want %d", t.Shape, len(t.F), rows*a)
	}
	// Row by row (each class row is contiguous) rather than anchor by
	// anchor (a stride of A floats per step): a running maximum first,
	// the class only for the anchors that pass. A NaN score is never a
	// maximum unless it is class 0's, and then the anchor never passes.
	best := make([]float32, a)
	copy(best, t.F[4*a:5*a])
	for c := 5; c < rows; c++ {
		row := t.F[c*a : (c+1)*a]
		row = row[:len(best)]
		for j, s := range row {
			if s > best[j] {
				best[j] = s
			}
		}
	}
	var dets []Detection
	for j, b := range best {
		if !(b >= p.ScoreThreshold) {
			continue
		}
		cls := 0
		for c := 4; c < rows; c++ {
			if t.F[c*a+j] == b {
				cls = c - 4
				break
			}
		}
		cx, cy, w, h := t.F[j], t.F[a+j], t.F[2*a+j], t.F[3*a+j]
		dets = append(dets, Detection{ClassID: cls, Score: b, Box: [4]float32{cx - w/2, cy - h/2, cx + w/2, cy + h/2}})
	}
	return Filter(dets, p), nil
}

// DecodeAnchorMajor decodes YOLOv5's output [1, A, 5+nc] (per anchor cx,
// cy, w, h in input pixels, objectness, class scores, all after sigmoid),
// as Ultralytics' YOLOv5 NMS does with one label per box: an anchor whose
// objectness passes the threshold scores objectness × its best class
// score, then Filter.
func DecodeAnchorMajor(t *tensor.Tensor, p Params) ([]Detection, error) {
	if t == nil || t.DType != tensor.Float32 || len(t.Shape) != 3 || t.Shape[0] != 1 || t.Shape[2] < 6 {
		return nil, errfmt.Errorf("yolo: an anchor-major output must be float32 [1, anchors, 5+classes], got %v", t)
	}
	a, cols := t.Shape[1], t.Shape[2]
	if len(t.F) != a*cols {
		return nil, errfmt.Errorf("yolo: output0 %v holds %d values, want %d", t.Shape, len(t.F), a*cols)
	}
	return Filter(selectAnchorMajor(t.F, cols, p), p), nil
}

// selectAnchorMajor picks the boxes of anchor-major rows (cols floats
// each): objectness gates, the score is objectness × best class.
func selectAnchorMajor(rows []float32, cols int, p Params) []Detection {
	var dets []Detection
	for j := 0; j+cols <= len(rows) && cols > 5; j += cols {
		row := rows[j : j+cols]
		obj := row[4]
		if !(obj >= p.ScoreThreshold) {
			continue
		}
		cls, best := 0, row[5]
		for c, s := range row[6:] {
			if s > best {
				cls, best = c+1, s
			}
		}
		score := obj * best
		if !(score >= p.ScoreThreshold) {
			continue
		}
		cx, cy, w, h := row[0], row[1], row[2], row[3]
		dets = append(dets, Detection{ClassID: cls, Score: score, Box: [4]float32{cx - w/2, cy - h/2, cx + w/2, cy + h/2}})
	}
	return dets
}

// SortOrder returns the indices 0..n-1 stably ordered by cmpIdx: one
// instantiation of the stable sort, on int32 indices, for every sort the
// WASM module does (one per element type cost it 7 KB each).
func SortOrder(n int, cmpIdx func(a, b int) int) []int32 {
	idx := make([]int32, n)
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortStableFunc(idx, func(a, b int32) int { return cmpIdx(int(a), int(b)) })
	return idx
}

// Filter drops boxes below the minimum size or with a coordinate that is
// not a finite number (corrupt tensors: such a box has no place in an
// image, nor in JSON), sorts by score (stable, so ties keep anchor order),
// applies class-aware NMS and the cap.
func Filter(dets []Detection, p Params) []Detection {
	kept := dets[:0]
	for _, d := range dets {
		w, h := d.Box[2]-d.Box[0], d.Box[3]-d.Box[1]
		// w-w is 0 only when w is finite, which needs both edges finite.
		if w >= p.MinWidth && h >= p.MinHeight && w-w == 0 && h-h == 0 {
			kept = append(kept, d)
		}
	}
	order := SortOrder(len(kept), func(a, b int) int { return cmp.Compare(kept[b].Score, kept[a].Score) })
	out := make([]Detection, 0, len(kept))
	for _, i := range order {
		d := kept[i]
		ok := true
		for _, k := range out {
			if k.ClassID == d.ClassID && IoU(k.Box, d.Box) > p.NMSThreshold {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, d)
			if p.MaxDetections > 0 && len(out) == p.MaxDetections {
				break
			}
		}
	}
	return out
}

// IoU is the intersection over union of two x1y1x2y2 boxes.
func IoU(a, b [4]float32) float32 {
	iw := min(a[2], b[2]) - max(a[0], b[0])
	ih := min(a[3], b[3]) - max(a[1], b[1])
	if iw <= 0 || ih <= 0 {
		return 0
	}
	inter := iw * ih
	union := (a[2]-a[0])*(a[3]-a[1]) + (b[2]-b[0])*(b[3]-b[1]) - inter
	if union <= 0 {
		return 0
	}
	return inter / union
}

// MapBack maps boxes from model-input pixels to the picture's, clipped to
// it, in place (letterbox.Geometry.MapBack; Scale 0 leaves them).
func MapBack(dets []Detection, g letterbox.Geometry) {
	for i := range dets {
		g.MapBack(&dets[i].Box)
	}
}
