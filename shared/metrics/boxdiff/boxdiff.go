// Package boxdiff compares two detection sets of one image box by box: the
// reference (usually float) against a variant (8-bit, mixed, the board).
package boxdiff

import (
	"cmp"

	"github.com/nniescope/nniescope/shared/yolo"
)

// Pair is a reference box matched to a variant box.
type Pair struct {
	Ref        int     `json:"ref"`   // index in the reference set
	Other      int     `json:"other"` // index in the variant set
	IoU        float32 `json:"iou"`
	ScoreDelta float32 `json:"score_delta"` // variant − reference
}

// Diff is the comparison of two sets.
type Diff struct {
	Matched []Pair `json:"matched"`
	Missed  []int  `json:"missed"` // reference boxes with no match
	Extra   []int  `json:"extra"`  // variant boxes with no match
}

// Compare matches same-class boxes with IoU ≥ minIoU, best IoU first (each
// box used once), and lists what is left on either side.
func Compare(ref, other []yolo.Detection, minIoU float32) Diff {
	type cand struct {
		i, j int
		iou  float32
	}
	var cs []cand
	for i, a := range ref {
		for j, b := range other {
			if a.ClassID != b.ClassID {
				continue
			}
			if iou := yolo.IoU(a.Box, b.Box); iou >= minIoU {
				cs = append(cs, cand{i, j, iou})
			}
		}
	}
	order := yolo.SortOrder(len(cs), func(x, y int) int { return cmp.Compare(cs[y].iou, cs[x].iou) })
	sorted := make([]cand, len(cs))
	for k, i := range order {
		sorted[k] = cs[i]
	}
	cs = sorted
	usedR := make([]bool, len(ref))
	usedO := make([]bool, len(other))
	d := Diff{Matched: []Pair{}, Missed: []int{}, Extra: []int{}}
	pairOf := make([]int, len(ref)) // reference index → candidate, -1 none
	for i := range pairOf {
		pairOf[i] = -1
	}
	for k, c := range cs {
		if usedR[c.i] || usedO[c.j] {
			continue
		}
		usedR[c.i], usedO[c.j] = true, true
		pairOf[c.i] = k
	}
	for i, k := range pairOf { // in reference order
		if k >= 0 {
			c := cs[k]
			d.Matched = append(d.Matched, Pair{Ref: i, Other: c.j, IoU: c.iou, ScoreDelta: other[c.j].Score - ref[i].Score})
		}
	}
	for i, u := range usedR {
		if !u {
			d.Missed = append(d.Missed, i)
		}
	}
	for j, u := range usedO {
		if !u {
			d.Extra = append(d.Extra, j)
		}
	}
	return d
}
