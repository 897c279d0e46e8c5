package confusion

import (
	"reflect"
	"strings"
	"testing"

	"github.com/nniescope/nniescope/shared/yolo"
)

func det(c int, s float32, x1, y1, x2, y2 float32) yolo.Detection {
	return yolo.Detection{ClassID: c, Score: s, Box: [4]float32{x1, y1, x2, y2}}
}

func TestAdd(t *testing.T) {
	g := func(c int, x1, y1, x2, y2 float64) Truth { return Truth{c, [4]float64{x1, y1, x2, y2}} }
	for _, tc := range []struct {
		name  string
		truth []Truth
		dets  []yolo.Detection
		want  [][]int // [predicted][true], 2 classes + background
	}{
		{"a match", []Truth{g(0, 0, 0, 10, 10)}, []yolo.Detection{det(0, 0.9, 0, 0, 10, 10)}, [][]int{{1, 0, 0}, {0, 0, 0}, {0, 0, 0}}},
		{"the wrong class", []Truth{g(0, 0, 0, 10, 10)}, []yolo.Detection{det(1, 0.9, 0, 0, 10, 10)}, [][]int{{0, 0, 0}, {1, 0, 0}, {0, 0, 0}}},
		{"missed", []Truth{g(1, 0, 0, 10, 10)}, nil, [][]int{{0, 0, 0}, {0, 0, 0}, {0, 1, 0}}},
		{"below the confidence", []Truth{g(1, 0, 0, 10, 10)}, []yolo.Detection{det(1, 0.25, 0, 0, 10, 10)}, [][]int{{0, 0, 0}, {0, 0, 0}, {0, 1, 0}}},
		{"IoU at the threshold is no match", []Truth{g(0, 0, 0, 10, 10)}, []yolo.Detection{det(0, 0.9, 0, 0, 10, 4.5)}, [][]int{{0, 0, 0}, {0, 0, 0}, {1, 0, 0}}},
		{"a duplicate is a false positive", []Truth{g(0, 0, 0, 10, 10)}, []yolo.Detection{det(0, 0.9, 0, 0, 10, 9), det(0, 0.8, 0, 0, 10, 10)}, [][]int{{1, 0, 1}, {0, 0, 0}, {0, 0, 0}}},
		{"no ground truth: all false positives", nil, []yolo.Detection{det(1, 0.9, 0, 0, 10, 10), det(0, 0.3, 5, 5, 9, 9)}, [][]int{{0, 0, 1}, {0, 0, 1}, {0, 0, 0}}},
		// Ultralytics counts unmatched detections only when the image had
		// a match: here the far box is not counted.
		{"no match at all", []Truth{g(0, 0, 0, 10, 10)}, []yolo.Detection{det(1, 0.9, 50, 50, 60, 60)}, [][]int{{0, 0, 0}, {0, 0, 0}, {1, 0, 0}}},
		{"best IoU wins each truth", []Truth{g(0, 0, 0, 10, 10), g(1, 1, 0, 11, 10)}, []yolo.Detection{det(1, 0.9, 1, 0, 11, 10)}, [][]int{{0, 0, 0}, {0, 1, 0}, {1, 0, 0}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := New(2)
			if err := m.Add(tc.truth, tc.dets, Conf, IoU); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(m.Counts, tc.want) {
				t.Fatalf("counts %v, want %v", m.Counts, tc.want)
			}
		})
	}
	if err := New(2).Add([]Truth{g(2, 0, 0, 1, 1)}, nil, Conf, IoU); err == nil || !strings.Contains(err.Error(), "class 2") {
		t.Fatalf("a truth of class 2 in a 2-class matrix: %v", err)
	}
	if err := New(2).Add(nil, []yolo.Detection{det(5, 0.9, 0, 0, 1, 1)}, Conf, IoU); err == nil {
		t.Fatal("a detection of class 5 accepted")
	}
}
