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
