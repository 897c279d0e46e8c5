// Package confusion is the detection confusion matrix of Ultralytics' val
// (ultralytics.utils.metrics.ConfusionMatrix, detect task): per image,
// boxes above a confidence are matched to ground truth of any class by
// IoU, and a matched pair counts under (predicted class, true class);
// ground truth left unmatched counts under background (a missed object),
// and a prediction left unmatched under its class and background (a
// false positive). Rows are predicted classes, columns true classes,
// index nc is background.
package confusion

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/nniescope/nniescope/shared/yolo"
)

// Ultralytics' val settings for the matrix: it raises val's conf 0.001 to
// 0.25 (ConfusionMatrix: conf = 0.25 if conf in {None, 0.001}).
const (
	Conf = 0.25
	IoU  = 0.45
)

// Truth is one ground-truth box of an image: its class and x1, y1, x2, y2.
type Truth struct {
	Class int
	Box   [4]float64
}

// Matrix is (nc+1)×(nc+1) counts, [predicted][true].
type Matrix struct {
	Classes int
	Counts  [][]int
}

// New is an empty matrix for nc classes.
func New(nc int) *Matrix {
	m := &Matrix{Classes: nc, Counts: make([][]int, nc+1)}
	for i := range m.Counts {
		m.Counts[i] = make([]int, nc+1)
	}
	return m
}

// Add counts one image. Classes outside 0..nc-1 are an error (a label or
// detection the model cannot have produced).
func (m *Matrix) Add(truth []Truth, dets []yolo.Detection, conf, iouThr float64) error {
	var kept []yolo.Detection
	for _, d := range dets {
		if float64(d.Score) > conf {
			if d.ClassID < 0 || d.ClassID >= m.Classes {
				return fmt.Errorf("confusion: detection of class %d, the model has %d", d.ClassID, m.Classes)
			}
			kept = append(kept, d)
		}
	}
	for _, g := range truth {
		if g.Class < 0 || g.Class >= m.Classes {
			return fmt.Errorf("confusion: ground truth of class %d, the model has %d", g.Class, m.Classes)
		}
	}
	bg := m.Classes
	if len(truth) == 0 {
		for _, d := range kept {
			m.Counts[d.ClassID][bg]++
		}
		return nil
	}
	// Pairs over the threshold, best IoU first; each detection keeps its
	// best pair, then each ground truth its best of those (np.unique on
	// IoU-sorted matches, as Ultralytics does).
	type pair struct {
		g, d int
		iou  float64
	}
	var pairs []pair
	for gi, g := range truth {
		for di, d := range kept {
			if v := iou(g.Box, d.Box); v > iouThr {
				pairs = append(pairs, pair{gi, di, v})
			}
		}
	}
	slices.SortStableFunc(pairs, func(a, b pair) int { return cmp.Compare(b.iou, a.iou) })
	byDet := map[int]bool{}
	var best []pair
	for _, p := range pairs {
		if !byDet[p.d] {
			byDet[p.d] = true
			best = append(best, p)
		}
	}
	byTruth := map[int]int{} // truth → detection
	for _, p := range best {
		if _, ok := byTruth[p.g]; !ok {
			byTruth[p.g] = p.d
		}
	}
	matchedDet := map[int]bool{}
	for _, d := range byTruth {
		matchedDet[d] = true
	}
	for gi, g := range truth {
		if d, ok := byTruth[gi]; ok {
			m.Counts[kept[d].ClassID][g.Class]++
		} else {
			m.Counts[bg][g.Class]++
		}
	}
	// As Ultralytics: unmatched detections count only when the image had
	// some match at all.
	if len(byTruth) > 0 {
		for di, d := range kept {
			if !matchedDet[di] {
				m.Counts[d.ClassID][bg]++
			}
		}
	}
	return nil
}

// iou of two x1y1x2y2 boxes, with Ultralytics' box_iou epsilon.
func iou(a [4]float64, b [4]float32) float64 {
	iw := min(a[2], float64(b[2])) - max(a[0], float64(b[0]))
	ih := min(a[3], float64(b[3])) - max(a[1], float64(b[1]))
	if iw <= 0 || ih <= 0 {
		return 0
	}
	inter := iw * ih
	return inter / ((a[2]-a[0])*(a[3]-a[1]) + float64(b[2]-b[0])*float64(b[3]-b[1]) - inter + 1e-7)
}
