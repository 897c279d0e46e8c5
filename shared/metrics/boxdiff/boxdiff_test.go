package boxdiff

import (
	"testing"

	"github.com/nniescope/nniescope/shared/yolo"
)

func TestCompare(t *testing.T) {
	ref := []yolo.Detection{
		{ClassID: 0, Score: 0.9, Box: [4]float32{0, 0, 10, 10}},
		{ClassID: 1, Score: 0.8, Box: [4]float32{20, 20, 30, 30}},
		{ClassID: 0, Score: 0.7, Box: [4]float32{50, 50, 60, 60}},
	}
	other := []yolo.Detection{
		{ClassID: 0, Score: 0.85, Box: [4]float32{1, 0, 11, 10}},   // matches ref 0
		{ClassID: 2, Score: 0.8, Box: [4]float32{20, 20, 30, 30}},  // wrong class: extra, ref 1 missed
		{ClassID: 0, Score: 0.6, Box: [4]float32{80, 80, 90, 90}},  // nowhere: extra
		{ClassID: 0, Score: 0.65, Box: [4]float32{50, 52, 60, 62}}, // matches ref 2
	}
	d := Compare(ref, other, 0.5)
	if len(d.Matched) != 2 || d.Matched[0].Ref != 0 || d.Matched[0].Other != 0 || d.Matched[1].Ref != 2 || d.Matched[1].Other != 3 {
		t.Fatalf("matched %+v", d.Matched)
	}
	if d.Matched[0].ScoreDelta > -0.049 || d.Matched[0].ScoreDelta < -0.051 || d.Matched[0].IoU < 0.81 || d.Matched[0].IoU > 0.82 {
		t.Fatalf("pair %+v: IoU 90/110, Δscore −0.05", d.Matched[0])
	}
	if len(d.Missed) != 1 || d.Missed[0] != 1 || len(d.Extra) != 2 {
		t.Fatalf("missed %v extra %v", d.Missed, d.Extra)
	}
	empty := Compare(nil, nil, 0.5)
	if len(empty.Matched)+len(empty.Missed)+len(empty.Extra) != 0 || empty.Matched == nil {
		t.Fatalf("empty sets: %+v (slices must be non-nil for JSON [])", empty)
	}
}
