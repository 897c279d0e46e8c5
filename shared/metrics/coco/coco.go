// Package coco evaluates bounding-box detections with the semantics of
// pycocotools' COCOeval (iouType "bbox"): IoU thresholds .50:.05:.95,
// 101-point interpolated precision, maxDets 1/10/100, small/medium/large
// by the ground truth's area field with inclusive bounds, crowd regions
// that absorb detections, per-category results averaged over categories
// with ground truth. Details follow pycocotools line by line where they
// change numbers: stable (mergesort) ordering of equal scores, the
// min(t, 1-1e-10) IoU cap, eps = 2^-52 in precision, searchsorted "left".
package coco

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
)

// Dataset is COCO-format ground truth (the fields evaluation reads).
type Dataset struct {
	Images      []Image      `json:"images"`
	Annotations []Annotation `json:"annotations"`
	Categories  []Category   `json:"categories"`
}

// Image is one image of a Dataset.
type Image struct {
	ID       int64  `json:"id"`
	FileName string `json:"file_name,omitempty"`
	Width    int    `json:"width,omitempty"`
	Height   int    `json:"height,omitempty"`
}

// Annotation is one ground-truth box; BBox is x, y, w, h.
type Annotation struct {
	ID         int64      `json:"id"`
	ImageID    int64      `json:"image_id"`
	CategoryID int64      `json:"category_id"`
	BBox       [4]float64 `json:"bbox"`
	Area       float64    `json:"area"`
	IsCrowd    int        `json:"iscrowd"`
	Ignore     *int       `json:"ignore,omitempty"`
}

// Category is one class.
type Category struct {
	ID   int64  `json:"id"`
	Name string `json:"name,omitempty"`
}

// Result is one detection in COCO results format.
type Result struct {
	ImageID    int64      `json:"image_id"`
	CategoryID int64      `json:"category_id"`
	BBox       [4]float64 `json:"bbox"`
	Score      float64    `json:"score"`
}

// WriteResults writes detections as a COCO results JSON array.
func WriteResults(path string, rs []Result) error {
	w, err := NewResultsWriter(path)
	if err != nil {
		return err
	}
	if err := w.Write(rs...); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// ResultsWriter writes a COCO results JSON array as detections come (an
// image at a time), the same bytes WriteResults writes for them all.
type ResultsWriter struct {
	f     *os.File
	w     *bufio.Writer
	path  string
	first bool
}

// NewResultsWriter creates the file.
func NewResultsWriter(path string) (*ResultsWriter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("coco: %w", err)
	}
	w := &ResultsWriter{f: f, w: bufio.NewWriter(f), path: path, first: true}
	w.w.WriteByte('[')
	return w, nil
}

// Write appends results.
func (w *ResultsWriter) Write(rs ...Result) error {
	for _, r := range rs {
		b, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("coco: %s: %w", w.path, err)
		}
		if !w.first {
			w.w.WriteByte(',')
		}
		w.first = false
		w.w.Write(b)
	}
	return nil
}

// Close ends the array and the file.
func (w *ResultsWriter) Close() error {
	w.w.WriteString("]\n")
	err := w.w.Flush()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("coco: %s: %w", w.path, err)
	}
	return nil
}

// StatNames name the 12 numbers of Stats, in pycocotools' order.
var StatNames = [12]string{"AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"}

// Stats are COCOeval.stats; -1 where no category has ground truth.
type Stats [12]float64

// LoadDataset reads COCO ground-truth JSON.
func LoadDataset(path string) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("coco: %w", err)
	}
	defer f.Close()
	var d Dataset
	if err := decodeStrict(f, &d); err != nil {
		return nil, fmt.Errorf("coco: %s: ground truth: %w", path, err)
	}
	if len(d.Images) == 0 {
		return nil, fmt.Errorf("coco: %s: ground truth has no images", path)
	}
	if err := d.CheckIDs(); err != nil {
		return nil, fmt.Errorf("coco: %s: %w", path, err)
	}
	return &d, nil
}

// CheckIDs refuses annotation ids that pycocotools scores differently from
// what the file means: id 0 (its matching stores the matched id and tests
// it for truth, so a ground truth with id 0 counts as never matched) and
// ids used twice (it looks annotations up by id, so one hides the other).
// Rather than reproduce those quirks or silently differ, such a file is an
// error naming the annotation.
func (d *Dataset) CheckIDs() error {
	seen := make(map[int64]int, len(d.Annotations))
	for i, a := range d.Annotations {
		if a.ID == 0 {
			return fmt.Errorf("annotation %d (image %d): id 0: pycocotools treats a matched id 0 as unmatched, so the AP would differ from pycocotools'; give every annotation a unique non-zero id", i, a.ImageID)
		}
		if j, dup := seen[a.ID]; dup {
			return fmt.Errorf("annotations %d and %d (images %d and %d) share id %d: pycocotools keeps only one of them; give every annotation a unique id", j, i, d.Annotations[j].ImageID, a.ImageID, a.ID)
		}
		seen[a.ID] = i
	}
	return nil
}

// LoadResults reads a COCO results JSON array.
func LoadResults(path string) ([]Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("coco: %w", err)
	}
	defer f.Close()
	var r []Result
	if err := decodeStrict(f, &r); err != nil {
		return nil, fmt.Errorf("coco: %s: detections: %w", path, err)
	}
	return r, nil
}

func decodeStrict(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("invalid JSON: %w", err)
	}
	return nil
}

// linspace reproduces numpy.linspace's float64 values exactly, which
// decides ties at the thresholds.
func linspace(start, stop float64, num int) []float64 {
	out := make([]float64, num)
	step := (stop - start) / float64(num-1)
	for i := range out {
		out[i] = float64(i)*step + start
	}
	out[num-1] = stop
	return out
}

type areaRange [2]float64

var (
	iouThrs  = linspace(0.5, 0.95, int(math.Round((0.95-0.5)/0.05))+1)
	recThrs  = linspace(0, 1, int(math.Round((1.0-0.0)/0.01))+1)
	maxDets  = []int{1, 10, 100}
	areaRngs = []areaRange{{0, 1e10}, {0, 32 * 32}, {32 * 32, 96 * 96}, {96 * 96, 1e10}}
)

type gtBox struct {
	id     int64
	box    [4]float64
	area   float64
	crowd  bool
	ignore bool
}

type dtBox struct {
	box   [4]float64
	area  float64
	score float64
}

// imgEval is evaluateImg's result for one (image, category, area, maxDet).
type imgEval struct {
	scores   []float64
	matched  [][]bool // [iouThr][dt]
	dtIgnore [][]bool
	gtIgnore []bool
}

// Evaluate runs the evaluation and returns the 12 summary numbers. Ground
// truth whose annotation ids pycocotools would misread is an error
// (CheckIDs).
func Evaluate(gt *Dataset, dts []Result) (Stats, error) {
	d, err := EvaluateDetail(gt, dts)
	return d.Stats, err
}

// Detail is an evaluation with what Ultralytics' val shows besides the
// summary, read from the same precision array pycocotools accumulates
// (area all, 100 detections).
type Detail struct {
	Stats Stats
	// Categories are the ground truth's category ids, ascending.
	Categories []int64
	// ClassAP and ClassAP50 are per category (same order): AP over IoU
	// .50:.95 and at .50 (pycocotools' summarize restricted to one
	// category); -1 for a category without ground truth.
	ClassAP, ClassAP50 []float64
	// PR50 is precision at the 101 recall points 0, 0.01, ..., 1 at IoU
	// .50, averaged over the categories with ground truth (the curve whose
	// area is AP50).
	PR50 []float64
}

// EvaluateDetail is Evaluate with the per-category numbers and the
// precision-recall curve.
func EvaluateDetail(gt *Dataset, dts []Result) (Detail, error) {
	acc, err := NewAccumulator(gt)
	if err != nil {
		return Detail{}, err
	}
	byImg := map[int64][]Result{}
	var order []int64
	for i, d := range dts {
		if _, ok := acc.idx.at[d.ImageID]; !ok {
			return Detail{}, fmt.Errorf("coco: detection %d: image_id %d is not in the ground truth", i, d.ImageID)
		}
		if math.IsNaN(d.Score) || math.IsNaN(d.BBox[0]+d.BBox[1]+d.BBox[2]+d.BBox[3]) {
			return Detail{}, fmt.Errorf("coco: detection %d: NaN in bbox or score", i)
		}
		if _, ok := byImg[d.ImageID]; !ok {
			order = append(order, d.ImageID)
		}
		byImg[d.ImageID] = append(byImg[d.ImageID], d)
	}
	defer acc.Close()
	for _, img := range order {
		if err := acc.Add(img, byImg[img]); err != nil {
			return Detail{}, err
		}
	}
	return acc.Detail()
}

// computeIoU is maskUtils.iou on xywh boxes: a crowd ground truth divides
// the intersection by the detection's area only.
func computeIoU(d []dtBox, g []gtBox) [][]float64 {
	ious := make([][]float64, len(d))
	for i, db := range d {
		ious[i] = make([]float64, len(g))
		for j, gb := range g {
			iw := math.Min(db.box[0]+db.box[2], gb.box[0]+gb.box[2]) - math.Max(db.box[0], gb.box[0])
			ih := math.Min(db.box[1]+db.box[3], gb.box[1]+gb.box[3]) - math.Max(db.box[1], gb.box[1])
			if iw <= 0 || ih <= 0 {
				continue
			}
			inter := iw * ih
			u := db.box[2]*db.box[3] + gb.box[2]*gb.box[3] - inter
			if gb.crowd {
				u = db.box[2] * db.box[3]
			}
			if u > 0 {
				ious[i][j] = inter / u
			}
		}
	}
	return ious
}

func evaluateImg(g []gtBox, d []dtBox, ious [][]float64, rng areaRange, maxDet int) *imgEval {
	if len(g) == 0 && len(d) == 0 {
		return nil
	}
	// Ground truth: non-ignored first, stable.
	gIgn := make([]bool, len(g))
	order := make([]int, len(g))
	for i, gb := range g {
		gIgn[i] = gb.ignore || gb.area < rng[0] || gb.area > rng[1]
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return !gIgn[order[a]] && gIgn[order[b]] })
	if len(d) > maxDet {
		d = d[:maxDet]
	}
	T := len(iouThrs)
	e := &imgEval{scores: make([]float64, len(d)), gtIgnore: make([]bool, len(g))}
	for i, o := range order {
		e.gtIgnore[i] = gIgn[o]
	}
	for i, db := range d {
		e.scores[i] = db.score
	}
	e.matched = make([][]bool, T)
	e.dtIgnore = make([][]bool, T)
	for t, thr := range iouThrs {
		gtm := make([]bool, len(g))
		e.matched[t] = make([]bool, len(d))
		e.dtIgnore[t] = make([]bool, len(d))
		for di := range d {
			iou := math.Min(thr, 1-1e-10)
			m := -1
			for gi, o := range order {
				if gtm[gi] && !g[o].crowd {
					continue
				}
				if m > -1 && !e.gtIgnore[m] && e.gtIgnore[gi] {
					break
				}
				if ious[di][o] < iou {
					continue
				}
				iou = ious[di][o]
				m = gi
			}
			if m == -1 {
				continue
			}
			e.dtIgnore[t][di] = e.gtIgnore[m]
			e.matched[t][di] = true
			gtm[m] = true
		}
		for di, db := range d {
			if !e.matched[t][di] && (db.area < rng[0] || db.area > rng[1]) {
				e.dtIgnore[t][di] = true
			}
		}
	}
	return e
}
