// Package eval runs a detector over an evaluation set and scores it: COCO
// AP@[.5:.95], AP50, AP75 (pycocotools semantics) and, against a reference
// run (usually float), how far the boxes moved.
package eval

import (
	"context"
	"fmt"

	"github.com/nniescope/nniescope/shared/dataset"
	"github.com/nniescope/nniescope/shared/detect"
	"github.com/nniescope/nniescope/shared/engine"
	"github.com/nniescope/nniescope/shared/metrics/coco"
	"github.com/nniescope/nniescope/shared/metrics/confusion"
	"github.com/nniescope/nniescope/shared/preprocess"
	"github.com/nniescope/nniescope/shared/yolo"
)

// Params are the accuracy-evaluation thresholds: Ultralytics' val settings
// (conf 0.001, IoU 0.7, 300 boxes), not its predict defaults.
func Params() yolo.Params {
	return yolo.Params{ScoreThreshold: 0.001, NMSThreshold: 0.7, MaxDetections: 300}
}

// Run holds one variant's detections per image (source-image pixels).
type Run struct {
	Detections [][]yolo.Detection // index = image index in the set
}

// Detect runs det over every image of the set. hooks (may be nil) are
// passed to the engine; progress (may be nil) is called after each image.
func Detect(ctx context.Context, set *dataset.Set, det *detect.Detector, p yolo.Params, hooks *engine.Hooks, progress func(done int)) (*Run, error) {
	r := &Run{Detections: make([][]yolo.Detection, len(set.Images))}
	stopped := func(i int) error {
		return fmt.Errorf("eval: stopped after %d of %d images: %w", i, len(set.Images), ctx.Err())
	}
	for i, im := range set.Images {
		if ctx.Err() != nil {
			return nil, stopped(i)
		}
		img, err := preprocess.Open(im.Path)
		if err != nil {
			return nil, err
		}
		res, err := det.Image(ctx, img, p, hooks)
		if err != nil {
			// A cancelled run fails inside whatever image it was on: that
			// image is not to blame.
			if ctx.Err() != nil {
				return nil, stopped(i)
			}
			return nil, fmt.Errorf("eval: %s: %w", im.Path, err)
		}
		r.Detections[i] = append([]yolo.Detection(nil), res.Detections...)
		if progress != nil {
			progress(i + 1)
		}
	}
	return r, nil
}

// Results converts a run to COCO results (category ids per the set).
func (r *Run) Results(set *dataset.Set) []coco.Result {
	var out []coco.Result
	for i, dets := range r.Detections {
		for _, d := range dets {
			b := d.Box
			out = append(out, coco.Result{
				ImageID: set.Images[i].ID, CategoryID: set.Category(d.ClassID), Score: float64(d.Score),
				BBox: [4]float64{float64(b[0]), float64(b[1]), float64(b[2] - b[0]), float64(b[3] - b[1])},
			})
		}
	}
	return out
}

// Score evaluates a run against the set's ground truth.
func Score(set *dataset.Set, r *Run) (coco.Stats, error) {
	return coco.Evaluate(set.GT, r.Results(set))
}

// BoxShift compares a run with a reference run: confident reference boxes
// (score ≥ minScore) are matched to the same-class box of highest IoU in
// the other run; it returns the mean absolute coordinate difference in
// pixels over matches with IoU ≥ 0.5 and the share of reference boxes so
// matched.
func BoxShift(ref, other *Run, minScore float32) (meanAbsPx, matched float64) {
	var sum float64
	var n, total int
	for i, refDets := range ref.Detections {
		for _, a := range refDets {
			if a.Score < minScore {
				continue
			}
			total++
			best, bi := float32(0), -1
			for j, b := range other.Detections[i] {
				if b.ClassID == a.ClassID {
					if iou := yolo.IoU(a.Box, b.Box); iou > best {
						best, bi = iou, j
					}
				}
			}
			if bi < 0 || best < 0.5 {
				continue
			}
			b := other.Detections[i][bi]
			for k := range 4 {
				d := float64(a.Box[k] - b.Box[k])
				if d < 0 {
					d = -d
				}
				sum += d / 4
			}
			n++
		}
	}
	if total == 0 {
		return 0, 0
	}
	if n == 0 {
		return 0, 0
	}
	return sum / float64(n), float64(n) / float64(total)
}

// ScoreDetail is Score with the per-category APs and the PR curve.
func ScoreDetail(set *dataset.Set, r *Run) (coco.Detail, error) {
	return coco.EvaluateDetail(set.GT, r.Results(set))
}

// Classes maps the set's categories back to model classes (the inverse of
// Set.Category): -1 for a category no class maps to.
func Classes(set *dataset.Set, nc int) map[int64]int {
	m := map[int64]int{}
	for _, c := range set.GT.Categories {
		m[c.ID] = -1
	}
	for k := range nc {
		if cat := set.Category(k); cat >= 0 {
			m[cat] = k
		}
	}
	return m
}

// Confusion is Ultralytics val's confusion matrix of a run over the set
// (confusion.Conf, confusion.IoU): ground truth in model classes, crowd
// regions left out (pycocotools ignores them; YOLO labels have none).
func Confusion(set *dataset.Set, r *Run, nc int) (*confusion.Matrix, error) {
	classOf := Classes(set, nc)
	byImage := map[int64][]confusion.Truth{}
	for _, a := range set.GT.Annotations {
		k, ok := classOf[a.CategoryID]
		if a.IsCrowd != 0 || !ok || k < 0 {
			continue
		}
		b := a.BBox
		byImage[a.ImageID] = append(byImage[a.ImageID], confusion.Truth{Class: k, Box: [4]float64{b[0], b[1], b[0] + b[2], b[1] + b[3]}})
	}
	m := confusion.New(nc)
	for i, im := range set.Images {
		if err := m.Add(byImage[im.ID], r.Detections[i], confusion.Conf, confusion.IoU); err != nil {
			return nil, fmt.Errorf("eval: %s: %w", im.Path, err)
		}
	}
	return m, nil
}
