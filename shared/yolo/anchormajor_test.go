package yolo

import (
	"math"
	"testing"

	"github.com/nniescope/nniescope/shared/tensor"
)

// TestDecodeAnchorMajor: YOLOv5's rows (cx, cy, w, h, objectness, class
// scores): objectness gates, the score is objectness × best class, boxes
// are corners; NaNs are handled as DecodeOutput0 handles them.
func TestDecodeAnchorMajor(t *testing.T) {
	nan := float32(math.NaN())
	rows := [][]float32{
		{50, 40, 20, 10, 0.9, 0.1, 0.8}, // class 1, 0.72
		{10, 10, 4, 4, 0.2, 0.9, 0.1},   // objectness under 0.25: dropped
		{30, 30, 10, 10, 0.5, 0.4, 0.3}, // 0.2 < 0.25: dropped
		{70, 70, 6, 8, nan, 0.9, 0.9},   // NaN objectness
		{80, 20, 8, 8, 0.99, nan, 0.6},  // NaN first class: never passes (as DecodeOutput0)
		{80, 20, 8, 8, 0.9, 0.7, nan},   // a later NaN is never the maximum
	}
	tt := tensor.New(1, len(rows), 7)
	for i, r := range rows {
		copy(tt.F[i*7:], r)
	}
	got, err := DecodeAnchorMajor(tt, DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	want := []Detection{
		{ClassID: 1, Score: 0.72, Box: [4]float32{40, 35, 60, 45}},
		{ClassID: 0, Score: 0.9 * 0.7, Box: [4]float32{76, 16, 84, 24}},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.ClassID != w.ClassID || math.Abs(float64(g.Score-w.Score)) > 1e-6 || g.Box != w.Box {
			t.Fatalf("detection %d: %+v, want %+v", i, g, w)
		}
	}
	if _, err := DecodeAnchorMajor(tensor.New(1, 84, 5), DefaultParams()); err == nil {
		t.Fatal("a [1,84,5] tensor (no class column) accepted")
	}
}
