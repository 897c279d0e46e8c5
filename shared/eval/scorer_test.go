package eval_test

import (
	"math/rand/v2"
	"os"
	"reflect"
	"runtime"
	"testing"

	"github.com/nniescope/nniescope/shared/dataset"
	"github.com/nniescope/nniescope/shared/eval"
	"github.com/nniescope/nniescope/shared/metrics/coco"
	"github.com/nniescope/nniescope/shared/metrics/confusion"
	"github.com/nniescope/nniescope/shared/yolo"
)

// randomSet is a set of n images with a few boxes each, and a run whose
// detections jitter around them (some confident, some not, some wrong).
func randomSet(r *rand.Rand, n, nc int) (*dataset.Set, *eval.Run) {
	set := &dataset.Set{GT: &coco.Dataset{}}
	for c := range nc {
		set.GT.Categories = append(set.GT.Categories, coco.Category{ID: int64(c)})
	}
	run := &eval.Run{Detections: make([][]yolo.Detection, n)}
	// Images listed out of id order, annotations of all images shuffled:
	// the index must find each image's wherever they are.
	for i := range n {
		id := int64(1000 - 7*i)
		set.Images = append(set.Images, dataset.Image{ID: id, Path: "img.jpg"})
		set.GT.Images = append(set.GT.Images, coco.Image{ID: id, Width: 320, Height: 240})
		for range r.IntN(5) {
			x, y, w, h := r.Float64()*200, r.Float64()*150, 10+r.Float64()*100, 10+r.Float64()*80
			set.GT.Annotations = append(set.GT.Annotations, coco.Annotation{ImageID: id, CategoryID: int64(r.IntN(nc)), BBox: [4]float64{x, y, w, h}, Area: w * h, IsCrowd: min(1, r.IntN(12)/11)})
			for range r.IntN(3) {
				j := func() float32 { return float32(r.NormFloat64() * 4) }
				run.Detections[i] = append(run.Detections[i], yolo.Detection{ClassID: r.IntN(nc), Score: r.Float32(),
					Box: [4]float32{float32(x) + j(), float32(y) + j(), float32(x+w) + j(), float32(y+h) + j()}})
			}
		}
	}
	r.Shuffle(len(set.GT.Annotations), func(i, j int) {
		set.GT.Annotations[i], set.GT.Annotations[j] = set.GT.Annotations[j], set.GT.Annotations[i]
	})
	for i := range set.GT.Annotations {
		set.GT.Annotations[i].ID = int64(i + 1)
	}
	return set, run
}

// The scorer fed a run image by image gives what scoring the whole runs
// gives: COCO stats, the confusion matrix of each image's own ground
// truth, and box shifts against a reference kept in its file, read back
// image by image (the reference's boxes were held in memory before).
func TestScorerMatchesWholeRuns(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // where the reference's file goes
	r := rand.New(rand.NewPCG(5, 6))
	const nc = 3
	set, ref := randomSet(r, 60, nc)
	other := &eval.Run{Detections: make([][]yolo.Detection, len(ref.Detections))}
	for i, ds := range ref.Detections {
		for _, d := range ds {
			if r.IntN(5) > 0 {
				d.Box[0] += 1.5
				other.Detections[i] = append(other.Detections[i], d)
			}
		}
	}
	first, err := eval.NewScorer(set, nc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Keep(0.25); err != nil {
		t.Fatal(err)
	}
	for i, ds := range ref.Detections {
		if err := first.Add(i, ds); err != nil {
			t.Fatal(err)
		}
	}
	kept := first.Reference()
	defer kept.Close()
	if left, _ := os.ReadDir(tmp); len(left) != 0 && runtime.GOOS != "windows" {
		t.Errorf("the reference's file is visible while open: %v", left)
	}
	second, err := eval.NewScorer(set, nc, kept)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(other.Detections) - 1; i >= 0; i-- { // any order
		if err := second.Add(i, other.Detections[i]); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name string
		sc   *eval.Scorer
		run  *eval.Run
	}{{"reference", first, ref}, {"other", second, other}} {
		want, err := eval.Score(set, tc.run)
		if err != nil {
			t.Fatal(err)
		}
		d, err := tc.sc.Detail()
		if err != nil {
			t.Fatal(err)
		}
		if d.Stats != want {
			t.Errorf("%s: stats %v, whole run %v", tc.name, d.Stats, want)
		}
		cm := confusion.New(nc)
		for i, ds := range tc.run.Detections {
			var truth []confusion.Truth
			for _, a := range set.GT.Annotations {
				if a.ImageID == set.Images[i].ID && a.IsCrowd == 0 {
					b := a.BBox
					truth = append(truth, confusion.Truth{Class: int(a.CategoryID), Box: [4]float64{b[0], b[1], b[0] + b[2], b[1] + b[3]}})
				}
			}
			if err := cm.Add(truth, ds, confusion.Conf, confusion.IoU); err != nil {
				t.Fatal(err)
			}
		}
		if !reflect.DeepEqual(tc.sc.Confusion().Counts, cm.Counts) {
			t.Errorf("%s: confusion %v, by hand %v", tc.name, tc.sc.Confusion().Counts, cm.Counts)
		}
		if err := tc.sc.Close(); err != nil {
			t.Fatal(err)
		}
	}
	wantShift, wantMatched := eval.BoxShift(ref, other, 0.25)
	if shift, matched, ok := second.Shift(); !ok || shift != wantShift || matched != wantMatched || matched == 0 {
		t.Errorf("shift %v matched %v (%v), whole runs %v %v", shift, matched, ok, wantShift, wantMatched)
	}
	if shift, matched, ok := first.Shift(); !ok || shift != 0 || matched != 1 {
		t.Errorf("the reference against itself: shift %v matched %v (%v)", shift, matched, ok)
	}
	if err := kept.Close(); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("files left in the temporary folder: %v", left)
	}
}
