package board

import (
	"testing"

	"github.com/nniescope/nniescope/shared/synth"
	"github.com/nniescope/nniescope/shared/yolo"
)

// TestLiveAPScoresOnlyWhatChanged: looping over the same images with the
// same boxes scores once per pass at most (the AP cannot change), a
// changed box is scored once things settle, and the AP is the same as
// scoring everything each frame.
func TestLiveAPScoresOnlyWhatChanged(t *testing.T) {
	const n = 15
	set := synth.GroundTruth(7, 0, n, 320, 240)
	// Perfect boxes for every image from its ground truth, one wrong.
	boxes := make([][]yolo.Detection, n)
	for _, a := range set.GT.Annotations {
		i := int(a.ImageID - 1)
		b := a.BBox
		boxes[i] = append(boxes[i], yolo.Detection{ClassID: int(a.CategoryID), Score: 0.9, Box: [4]float32{float32(b[0]), float32(b[1]), float32(b[0] + b[2]), float32(b[1] + b[3])}})
	}
	frame := func(l *liveAP, i int, ds []yolo.Detection) {
		l.add(set.Images[i].Path, map[string][]yolo.Detection{"float": ds})
	}
	l := newLiveAP(set)
	for pass := range 3 {
		for i := range n {
			frame(l, i, boxes[i])
		}
		if pass == 0 && l.scored != 2 { // after 10 new images, after the last
			t.Fatalf("first pass scored %d times, want 2", l.scored)
		}
	}
	if l.scored != 2 {
		t.Fatalf("two more passes with the same boxes scored %d more times, want 0", l.scored-2)
	}
	if ap := l.get("float"); ap == nil || *ap < 0.99 {
		t.Fatalf("AP of the ground truth itself: %v, want 1", ap)
	}
	// One image's boxes go missing: scored when the next frame changes
	// nothing, and the AP drops.
	frame(l, 3, nil)
	frame(l, 4, boxes[4])
	if l.scored != 3 {
		t.Fatalf("after a changed image and a stable one: scored %d times, want 3", l.scored)
	}
	if ap := l.get("float"); ap == nil || *ap >= 0.99 {
		t.Fatalf("AP with one image's boxes gone: %v, want below 1", ap)
	}
}
