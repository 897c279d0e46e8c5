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

// Detect runs det over every image of the set and keeps the detections.
// hooks (may be nil) are passed to the engine; progress (may be nil) is
// called after each image.
func Detect(ctx context.Context, set *dataset.Set, det *detect.Detector, p yolo.Params, hooks *engine.Hooks, progress func(done int)) (*Run, error) {
	r := &Run{Detections: make([][]yolo.Detection, len(set.Images))}
	err := DetectEach(ctx, set, det, p, hooks, func(i int, dets []yolo.Detection) error {
		r.Detections[i] = append([]yolo.Detection(nil), dets...)
		if progress != nil {
			progress(i + 1)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// DetectEach runs det over every image of the set in order, handing each
// image's detections to each (valid during the call) instead of keeping
// them: with a Scorer, an evaluation's memory does not hold the run.
func DetectEach(ctx context.Context, set *dataset.Set, det *detect.Detector, p yolo.Params, hooks *engine.Hooks, each func(i int, dets []yolo.Detection) error) error {
	stopped := func(i int) error {
		return fmt.Errorf("eval: stopped after %d of %d images: %w", i, len(set.Images), ctx.Err())
	}
	for i, im := range set.Images {
		if ctx.Err() != nil {
			return stopped(i)
		}
		img, err := preprocess.Open(im.Path)
		if err != nil {
			return err
		}
		res, err := det.Image(ctx, img, p, hooks)
		if err != nil {
			// A cancelled run fails inside whatever image it was on: that
			// image is not to blame.
			if ctx.Err() != nil {
				return stopped(i)
			}
			return fmt.Errorf("eval: %s: %w", im.Path, err)
		}
		if err := each(i, res.Detections); err != nil {
			return err
		}
	}
	return nil
}

// AppendResults appends image i's detections as COCO results.
func AppendResults(out []coco.Result, set *dataset.Set, i int, dets []yolo.Detection) []coco.Result {
	for _, d := range dets {
		b := d.Box
		out = append(out, coco.Result{
			ImageID: set.Images[i].ID, CategoryID: set.Category(d.ClassID), Score: float64(d.Score),
			BBox: [4]float64{float64(b[0]), float64(b[1]), float64(b[2] - b[0]), float64(b[3] - b[1])},
		})
	}
	return out
}

// Score evaluates a run against the set's ground truth (a Scorer fed the
// run's images in order).
func Score(set *dataset.Set, r *Run) (coco.Stats, error) {
	sc, err := NewScorer(set, 0, nil)
	if err != nil {
		return coco.Stats{}, err
	}
	defer sc.Close()
	for i, dets := range r.Detections {
		if err := sc.Add(i, dets); err != nil {
			return coco.Stats{}, err
		}
	}
	d, err := sc.Detail()
	return d.Stats, err
}

// BoxShift compares a run with a reference run: confident reference boxes
// (score ≥ minScore) are matched to the same-class box of highest IoU in
// the other run; it returns the mean absolute coordinate difference in
// pixels over matches with IoU ≥ 0.5 and the share of reference boxes so
// matched.
func BoxShift(ref, other *Run, minScore float32) (meanAbsPx, matched float64) {
	var sh shift
	for i, dets := range other.Detections {
		sh.add(confident(ref.Detections[i], minScore), dets)
	}
	return sh.result()
}

func confident(dets []yolo.Detection, minScore float32) []yolo.Detection {
	var out []yolo.Detection
	for _, d := range dets {
		if d.Score >= minScore {
			out = append(out, d)
		}
	}
	return out
}

// shift accumulates BoxShift image by image.
type shift struct {
	sum      float64
	n, total int
}

func (s *shift) add(ref, other []yolo.Detection) {
	for _, a := range ref {
		s.total++
		best, bi := float32(0), -1
		for j, b := range other {
			if b.ClassID == a.ClassID {
				if iou := yolo.IoU(a.Box, b.Box); iou > best {
					best, bi = iou, j
				}
			}
		}
		if bi < 0 || best < 0.5 {
			continue
		}
		b := other[bi]
		for k := range 4 {
			d := float64(a.Box[k] - b.Box[k])
			if d < 0 {
				d = -d
			}
			s.sum += d / 4
		}
		s.n++
	}
}

func (s *shift) result() (meanAbsPx, matched float64) {
	if s.n == 0 { // no reference box, or none matched
		return 0, 0
	}
	return s.sum / float64(s.n), float64(s.n) / float64(s.total)
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
