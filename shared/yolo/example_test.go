package yolo_test

import (
	"fmt"

	"github.com/nniescope/nniescope/shared/yolo"
)

// Filter sorts by score and suppresses same-class overlaps; other classes
// keep their boxes.
func ExampleFilter() {
	dets := []yolo.Detection{
		{ClassID: 0, Score: 0.6, Box: [4]float32{12, 10, 52, 50}},
		{ClassID: 0, Score: 0.9, Box: [4]float32{10, 10, 50, 50}},
		{ClassID: 1, Score: 0.8, Box: [4]float32{10, 10, 50, 50}},
	}
	for _, d := range yolo.Filter(dets, yolo.DefaultParams()) {
		fmt.Println(d.ClassID, d.Score)
	}
	// Output:
	// 0 0.9
	// 1 0.8
}
