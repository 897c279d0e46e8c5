package eval

import (
	"fmt"

	"github.com/nniescope/nniescope/shared/dataset"
	"github.com/nniescope/nniescope/shared/metrics/coco"
	"github.com/nniescope/nniescope/shared/metrics/confusion"
	"github.com/nniescope/nniescope/shared/yolo"
)

// Scorer evaluates a run an image at a time, as DetectEach produces it:
// COCO AP (coco.Accumulator: a small record per detection, spilled to a
// temporary file past a bound), Ultralytics' confusion matrix and, against
// a reference run's confident boxes, the box shift. It holds nothing else
// of the run, so an evaluation's memory does not grow with its images;
// Keep makes it also write this run's confident boxes, to be the next
// runs' reference. Close removes its temporary file.
type Scorer struct {
	set     *dataset.Set
	acc     *coco.Accumulator
	cm      *confusion.Matrix // nil when nc is 0
	gt      *coco.ImageIndex  // the confusion matrix's ground truth by image
	classOf map[int64]int
	ref     *Reference
	sh      shift
	keep    *Reference
	rs      []coco.Result     // one image's, reused
	truth   []confusion.Truth // one image's, reused
}

// NewScorer prepares the scoring of one run over set; nc is the model's
// class count for the confusion matrix (0: none), ref a reference run's
// confident boxes for the box shift (nil: none).
func NewScorer(set *dataset.Set, nc int, ref *Reference) (*Scorer, error) {
	if ref != nil && len(ref.spans) != len(set.Images) {
		return nil, fmt.Errorf("eval: the reference has boxes for %d images, the set %d", len(ref.spans), len(set.Images))
	}
	acc, err := coco.NewAccumulator(set.GT)
	if err != nil {
		return nil, err
	}
	s := &Scorer{set: set, acc: acc, ref: ref}
	if nc > 0 {
		s.gt = acc.Index()
		s.cm = confusion.New(nc)
		s.classOf = Classes(set, nc)
	}
	return s, nil
}

// Close removes the scorer's temporary file (not a kept Reference's: that
// is the next runs', closed by whoever holds it last).
func (s *Scorer) Close() error { return s.acc.Close() }

// Keep makes the scorer write this run's boxes scoring at least minScore
// to a temporary file (Reference returns them). A kept run without a
// reference of its own is shifted against itself (BoxShift(r, r): 0 px,
// every box matched).
func (s *Scorer) Keep(minScore float32) error {
	r, err := newReference(minScore, len(s.set.Images))
	if err != nil {
		return err
	}
	s.keep = r
	return nil
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
		s.truth = s.truth[:0]
		for a := range s.gt.Annotations(im.ID) {
			k, ok := s.classOf[a.CategoryID]
			if a.IsCrowd != 0 || !ok || k < 0 {
				continue
			}
			b := a.BBox
			s.truth = append(s.truth, confusion.Truth{Class: k, Box: [4]float64{b[0], b[1], b[0] + b[2], b[1] + b[3]}})
		}
		if err := s.cm.Add(s.truth, dets, confusion.Conf, confusion.IoU); err != nil {
			return fmt.Errorf("eval: %s: %w", im.Path, err)
		}
	}
	if s.ref != nil {
		ref, err := s.ref.boxes(i)
		if err != nil {
			return fmt.Errorf("eval: %s: %w", im.Path, err)
		}
		s.sh.add(ref, dets)
	}
	if s.keep != nil {
		kept, err := s.keep.put(i, dets)
		if err != nil {
			return fmt.Errorf("eval: %s: %w", im.Path, err)
		}
		if s.ref == nil {
			s.sh.add(kept, dets)
		}
	}
	return nil
}

// Detail is the COCO evaluation of what was added.
func (s *Scorer) Detail() (coco.Detail, error) { return s.acc.Detail() }

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
