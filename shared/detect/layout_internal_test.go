package detect

import (
	"testing"

	"github.com/nniescope/nniescope/shared/yolo"
)

func TestSingleLayout(t *testing.T) {
	for _, tc := range []struct {
		name  string
		w, h  int
		shape []int
		want  yolo.Layout
	}{
		{"YOLOv8 512x288", 512, 288, []int{1, 84, 3024}, yolo.Output0},
		{"YOLO11 640", 640, 640, []int{1, 84, 8400}, yolo.Output0},
		{"YOLOv5 640", 640, 640, []int{1, 25200, 85}, yolo.AnchorMajor},
		{"one class, YOLOv8", 320, 192, []int{1, 5, 1260}, yolo.Output0},
		{"one class, YOLOv5", 320, 192, []int{1, 3780, 6}, yolo.AnchorMajor},
		{"YOLOv8 at 64x64, 80 classes (both dims 84)", 64, 64, []int{1, 84, 84}, yolo.Output0},
		{"YOLOv5 at 64x64, 80 classes", 64, 64, []int{1, 252, 85}, yolo.AnchorMajor},
		{"input not a multiple of 32", 100, 100, []int{1, 84, 13*13 + 7*7 + 4*4}, yolo.Output0},
		{"anchors of another input", 640, 640, []int{1, 84, 3024}, 0},
		{"rank 2", 640, 640, []int{84, 8400}, 0},
		{"batch 2", 640, 640, []int{2, 84, 8400}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := singleLayout(tc.shape, gridCells(tc.w, tc.h)); got != tc.want {
				t.Fatalf("%v for %dx%d: layout %d, want %d", tc.shape, tc.w, tc.h, got, tc.want)
			}
		})
	}
}
