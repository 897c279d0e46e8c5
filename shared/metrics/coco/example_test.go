package coco_test

import (
	"fmt"

	"github.com/nniescope/nniescope/shared/metrics/coco"
)

func ExampleEvaluate() {
	gt := &coco.Dataset{
		Images:      []coco.Image{{ID: 1}},
		Categories:  []coco.Category{{ID: 1}},
		Annotations: []coco.Annotation{{ID: 1, ImageID: 1, CategoryID: 1, BBox: [4]float64{10, 10, 40, 40}, Area: 1600}},
	}
	dt := []coco.Result{{ImageID: 1, CategoryID: 1, BBox: [4]float64{12, 10, 40, 40}, Score: 0.8}}
	s, err := coco.Evaluate(gt, dt)
	if err != nil {
		panic(err)
	}
	// IoU = 38·40 / (2·1600 − 38·40) ≈ 0.905: a hit at IoU .50….90, a miss at .95.
	fmt.Printf("AP %.2f AP50 %.2f AP75 %.2f\n", s[0], s[1], s[2])
	// Output: AP 0.90 AP50 1.00 AP75 1.00
}

// An evaluation fed an image at a time, as a run produces them: the
// accumulator keeps a small record per detection, not the detections.
func ExampleAccumulator() {
	gt := &coco.Dataset{
		Images:      []coco.Image{{ID: 1}, {ID: 2}},
		Categories:  []coco.Category{{ID: 1}},
		Annotations: []coco.Annotation{{ID: 1, ImageID: 1, CategoryID: 1, BBox: [4]float64{10, 10, 40, 40}, Area: 1600}, {ID: 2, ImageID: 2, CategoryID: 1, BBox: [4]float64{0, 0, 20, 20}, Area: 400}},
	}
	acc, err := coco.NewAccumulator(gt)
	if err != nil {
		panic(err)
	}
	defer acc.Close() // removes the file a large evaluation's records spill to
	for _, im := range []struct {
		id  int64
		dts []coco.Result
	}{
		{1, []coco.Result{{ImageID: 1, CategoryID: 1, BBox: [4]float64{10, 10, 40, 40}, Score: 0.9}}},
		{2, nil}, // missed
	} {
		if err := acc.Add(im.id, im.dts); err != nil {
			panic(err)
		}
	}
	d, err := acc.Detail()
	if err != nil {
		panic(err)
	}
	// One of two objects found, at the top score: precision 1 up to recall 0.5.
	fmt.Printf("AP %.3f AP50 %.3f\n", d.Stats[0], d.Stats[1])
	// Output: AP 0.505 AP50 0.505
}
