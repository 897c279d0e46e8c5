package eval

import (
	"fmt"

	"github.com/nniescope/nniescope/shared/dataset"
	"github.com/nniescope/nniescope/shared/metrics/coco"
	"github.com/nniescope/nniescope/shared/metrics/confusion"
	"github.com/nniescope/nniescope/shared/yolo"
)

// Scorer evaluates a run an image at a time, as DetectEach produces it:
// COCO AP (coco.Accumulator: a small record per detection), Ultralytics'
// confusion matrix and, against a reference run's confident boxes, the
// box shift. It holds nothing else of the run, so an evaluation's memory
// grows with its detections' records, not with the detections; Keep makes
// it also hold this run's confident boxes, to be the next runs' reference.
type Scorer struct {
	set   *dataset.Set
	acc   *coco.Accumulator
	cm    *confusion.Matrix // nil when nc is 0
	truth map[int64][]confusion.Truth
	ref   *Reference
	sh    shift
	keep  *Reference
	rs    []coco.Result // one image's, reused
}

// NewScorer prepares the scoring of one run over set; nc is the model's
// class count for the confusion matrix (0: none), ref a reference run's
// confident boxes for the box shift (nil: none).
func NewScorer(set *dataset.Set, nc int, ref *Reference) (*Scorer, error) {
	acc, err := coco.NewAccumulator(set.GT)
	if err != nil {
		return nil, err
	}
	if ref != nil && len(ref.boxes) != len(set.Images) {
		return nil, fmt.Errorf("eval: the reference has boxes for %d images, the set %d", len(ref.boxes), len(set.Images))
	}
	s := &Scorer{set: set, acc: acc, ref: ref}
	if nc > 0 {
		s.cm = confusion.New(nc)
		classOf := Classes(set, nc)
		s.truth = map[int64][]confusion.Truth{}
		for _, a := range set.GT.Annotations {
			k, ok := classOf[a.CategoryID]
			if a.IsCrowd != 0 || !ok || k < 0 {
				continue
			}
			b := a.BBox
			s.truth[a.ImageID] = append(s.truth[a.ImageID], confusion.Truth{Class: k, Box: [4]float64{b[0], b[1], b[0] + b[2], b[1] + b[3]}})
		}
	}
	return s, nil
}

// Keep makes the scorer hold this run's boxes scoring at least minScore
// (Reference returns them). A kept run without a reference of its own is
// shifted against itself (BoxShift(r, r): 0 px, every box matched).
func (s *Scorer) Keep(minScore float32) {
	s.keep = &Reference{MinScore: minScore, boxes: make([][]yolo.Detection, len(s.set.Images))}
}

// Add scores image i's detections (source-image pixels); each image once.
func (s *Scorer) Add(i int, dets []yolo.Detection) error {
	if i < 0 || i >= len(s.set.Images) {
		return fmt.Errorf("eval: image %d of a set of %d", i, len(s.set.Images))
	}
	im := s.set.Images[i]
	s.rs = AppendResults(s.rs[:0], s.set, i, dets)
	if err := s.acc.Add(im.ID, s.rs); err != nil {
		return fmt.Errorf("eval: %s: %w", im.Path, err)
	}
	if s.cm != nil {
		if err := s.cm.Add(s.truth[im.ID], dets, confusion.Conf, confusion.IoU); err != nil {
			return fmt.Errorf("eval: %s: %w", im.Path, err)
		}
	}
	if s.ref != nil {
		s.sh.add(s.ref.boxes[i], dets)
	}
	if s.keep != nil {
		s.keep.boxes[i] = confident(dets, s.keep.MinScore)
		if s.ref == nil {
			s.sh.add(s.keep.boxes[i], dets)
		}
	}
	return nil
}

// Detail is the COCO evaluation of what was added.
func (s *Scorer) Detail() coco.Detail { return s.acc.Detail() }

// Confusion is the confusion matrix (nil when the scorer has none).
func (s *Scorer) Confusion() *confusion.Matrix { return s.cm }

// Shift is BoxShift against the reference (or itself, when kept); ok is
// false without either.
func (s *Scorer) Shift() (meanAbsPx, matched float64, ok bool) {
	if s.ref == nil && s.keep == nil {
		return 0, 0, false
	}
	m, f := s.sh.result()
	return m, f, true
}

// Reference is the confident boxes Keep asked for (nil without Keep).
func (s *Scorer) Reference() *Reference { return s.keep }
