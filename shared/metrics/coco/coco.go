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
		if _, ok := acc.imgAt[d.ImageID]; !ok {
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
	for _, img := range order {
		if err := acc.Add(img, byImg[img]); err != nil {
			return Detail{}, err
		}
	}
	return acc.Detail(), nil
}

// Accumulator evaluates detections an image at a time, as pycocotools'
// evaluateImg does, and keeps of each detection only what accumulate
// reads: its score, its image and rank in it and, per area range, whether
// it matched and whether it is ignored at each IoU threshold (24 bytes,
// where a result is 64; its boxes and the IoU tables are dropped). Evaluating a set then needs memory for its
// detections' records, not for the detections: Detail gives exactly what
// EvaluateDetail gives for the same detections, in any order of images.
type Accumulator struct {
	imgIDs []int64 // ascending: pycocotools' order, which breaks score ties
	imgAt  map[int64]int
	catIDs []int64
	catAt  map[int64]int
	gts    map[[2]int][]gtBox // by (image, category) index
	npig   [][]int            // per category and area: ground truth not ignored
	recs   []records          // per category
	added  []bool             // per image
}

// detRecord is one detection among its image's 100 best of its category,
// in 24 bytes.
type detRecord struct {
	score float64
	at    uint32 // image index << 7 | rank in its image's list (best first)
	f3    uint32 // area range 3's flags
	f012  uint64 // area ranges 0, 1, 2's flags, 20 bits each
}

// maxImages bounds the image index a record holds (25 bits).
const maxImages = 1 << 25

// flags are a record's in area range ar: bit t matched, bit 10+t ignored,
// at IoU threshold t.
func (r *detRecord) flags(ar int) uint32 {
	if ar == 3 {
		return r.f3
	}
	return uint32(r.f012>>(20*ar)) & 0xfffff
}

func (r *detRecord) setFlags(ar int, f uint32) {
	if ar == 3 {
		r.f3 = f
		return
	}
	r.f012 |= uint64(f) << (20 * ar)
}

// records hold a category's records in blocks: growing never copies
// them, nor leaves half a slice's capacity unused.
type records struct {
	blocks [][]detRecord
	n      int
}

const recordBlock = 4096

func (rs *records) add(r detRecord) {
	if rs.n%recordBlock == 0 {
		rs.blocks = append(rs.blocks, make([]detRecord, 0, recordBlock))
	}
	b := &rs.blocks[len(rs.blocks)-1]
	*b = append(*b, r)
	rs.n++
}

func (rs *records) at(i int) *detRecord { return &rs.blocks[i/recordBlock][i%recordBlock] }

// NewAccumulator prepares the evaluation of detections against gt.
func NewAccumulator(gt *Dataset) (*Accumulator, error) {
	if err := gt.CheckIDs(); err != nil {
		return nil, fmt.Errorf("coco: ground truth: %w", err)
	}
	a := &Accumulator{gts: map[[2]int][]gtBox{}}
	imgIDs := make([]int64, len(gt.Images))
	for i, im := range gt.Images {
		imgIDs[i] = im.ID
	}
	catIDs := make([]int64, len(gt.Categories))
	for i, c := range gt.Categories {
		catIDs[i] = c.ID
	}
	a.imgIDs, a.imgAt = sortedIndex(imgIDs)
	a.catIDs, a.catAt = sortedIndex(catIDs)
	a.npig = make([][]int, len(a.catIDs))
	for k := range a.npig {
		a.npig[k] = make([]int, len(areaRngs))
	}
	for _, an := range gt.Annotations {
		i, okI := a.imgAt[an.ImageID]
		k, okK := a.catAt[an.CategoryID]
		if !okI || !okK {
			continue
		}
		ign := an.IsCrowd != 0 // pycocotools: gt['ignore'] = 'iscrowd' in gt and gt['iscrowd']
		a.gts[[2]int{i, k}] = append(a.gts[[2]int{i, k}], gtBox{id: an.ID, box: an.BBox, area: an.Area, crowd: an.IsCrowd != 0, ignore: ign})
		for r, rng := range areaRngs {
			if !(ign || an.Area < rng[0] || an.Area > rng[1]) {
				a.npig[k][r]++
			}
		}
	}
	if len(a.imgIDs) > maxImages {
		return nil, fmt.Errorf("coco: %d images: at most %d can be evaluated at once (shard the set: eval --shard)", len(a.imgIDs), maxImages)
	}
	a.recs = make([]records, len(a.catIDs))
	a.added = make([]bool, len(a.imgIDs))
	return a, nil
}

// sortedIndex is the distinct ids ascending, and each one's position.
func sortedIndex(ids []int64) ([]int64, map[int64]int) {
	at := map[int64]int{}
	var out []int64
	for _, id := range ids {
		if _, ok := at[id]; !ok {
			at[id] = 0
			out = append(out, id)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	for i, id := range out {
		at[id] = i
	}
	return out, at
}

// Add evaluates one image's detections (every category; those of a
// category the ground truth lacks are dropped, as pycocotools does). Each
// image is added at most once.
func (a *Accumulator) Add(imageID int64, dts []Result) error {
	i, ok := a.imgAt[imageID]
	if !ok {
		return fmt.Errorf("coco: image_id %d is not in the ground truth", imageID)
	}
	if a.added[i] {
		return fmt.Errorf("coco: image_id %d added twice", imageID)
	}
	a.added[i] = true
	byCat := map[int][]dtBox{}
	var cats []int
	for j, d := range dts {
		if d.ImageID != imageID {
			return fmt.Errorf("coco: image %d: detection %d is for image_id %d", imageID, j, d.ImageID)
		}
		if math.IsNaN(d.Score) || math.IsNaN(d.BBox[0]+d.BBox[1]+d.BBox[2]+d.BBox[3]) {
			return fmt.Errorf("coco: image %d: detection %d: NaN in bbox or score", imageID, j)
		}
		k, ok := a.catAt[d.CategoryID]
		if !ok {
			continue
		}
		if _, seen := byCat[k]; !seen {
			cats = append(cats, k)
		}
		byCat[k] = append(byCat[k], dtBox{box: d.BBox, area: d.BBox[2] * d.BBox[3], score: d.Score})
	}
	maxDet := maxDets[len(maxDets)-1]
	for _, k := range cats {
		d := byCat[k]
		sort.SliceStable(d, func(x, y int) bool { return d[x].score > d[y].score })
		if len(d) > maxDet {
			d = d[:maxDet]
		}
		g := a.gts[[2]int{i, k}]
		ious := computeIoU(d, g)
		recs := make([]detRecord, len(d))
		for j, db := range d {
			recs[j] = detRecord{score: db.score, at: uint32(i)<<7 | uint32(j)}
		}
		for r, rng := range areaRngs {
			e := evaluateImg(g, d, ious, rng, maxDet)
			for j := range d {
				var f uint32
				for t := range iouThrs {
					if e.matched[t][j] {
						f |= 1 << t
					}
					if e.dtIgnore[t][j] {
						f |= 1 << (10 + t)
					}
				}
				recs[j].setFlags(r, f)
			}
		}
		for _, rec := range recs {
			a.recs[k].add(rec)
		}
	}
	return nil
}

// Detail accumulates what was added: Evaluate's numbers, per category and
// the PR curve. Images never added count as images without detections.
func (a *Accumulator) Detail() Detail {
	catIDs := a.catIDs
	T, R, K, A, M := len(iouThrs), len(recThrs), len(catIDs), len(areaRngs), len(maxDets)
	precision := make([]float64, T*R*K*A*M)
	recall := make([]float64, T*K*A*M)
	for i := range precision {
		precision[i] = -1
	}
	for i := range recall {
		recall[i] = -1
	}
	for k := range catIDs {
		for ar := range A {
			for m, md := range maxDets {
				a.accumulate(k, ar, md, func(t int, rc float64, q []float64) {
					recall[((t*K+k)*A+ar)*M+m] = rc
					for r := range R {
						precision[(((t*R+r)*K+k)*A+ar)*M+m] = q[r]
					}
				})
			}
		}
	}
	summ := func(ap bool, iouThr float64, a, m int) float64 {
		var sum float64
		n := 0
		for t := range T {
			if iouThr >= 0 && math.Abs(iouThrs[t]-iouThr) > 1e-12 {
				continue
			}
			for k := range K {
				if ap {
					for r := range R {
						if v := precision[(((t*R+r)*K+k)*A+a)*M+m]; v > -1 {
							sum += v
							n++
						}
					}
				} else if v := recall[((t*K+k)*A+a)*M+m]; v > -1 {
					sum += v
					n++
				}
			}
		}
		if n == 0 {
			return -1
		}
		return sum / float64(n)
	}
	d := Detail{Stats: Stats{
		summ(true, -1, 0, 2), summ(true, 0.5, 0, 2), summ(true, 0.75, 0, 2),
		summ(true, -1, 1, 2), summ(true, -1, 2, 2), summ(true, -1, 3, 2),
		summ(false, -1, 0, 0), summ(false, -1, 0, 1), summ(false, -1, 0, 2),
		summ(false, -1, 1, 2), summ(false, -1, 2, 2), summ(false, -1, 3, 2),
	}, Categories: catIDs, PR50: make([]float64, R)}
	// One category's AP: summarize's mean over the valid entries, for
	// area all and the most detections.
	classAP := func(k int, only50 bool) float64 {
		var sum float64
		n := 0
		for t := range T {
			if only50 && math.Abs(iouThrs[t]-0.5) > 1e-12 {
				continue
			}
			for r := range R {
				if v := precision[(((t*R+r)*K+k)*A+0)*M+M-1]; v > -1 {
					sum += v
					n++
				}
			}
		}
		if n == 0 {
			return -1
		}
		return sum / float64(n)
	}
	for k := range K {
		d.ClassAP = append(d.ClassAP, classAP(k, false))
		d.ClassAP50 = append(d.ClassAP50, classAP(k, true))
	}
	for r := range R {
		var sum float64
		n := 0
		for k := range K {
			if v := precision[(((0*R+r)*K+k)*A+0)*M+M-1]; v > -1 { // t = 0: IoU .50
				sum += v
				n++
			}
		}
		d.PR50[r] = -1
		if n > 0 {
			d.PR50[r] = sum / float64(n)
		}
	}
	return d
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

// accumulate computes, per IoU threshold, the final recall and the 101
// interpolated precisions of category k in area range ar over all images,
// each image's first maxDet detections taken.
func (a *Accumulator) accumulate(k, ar, maxDet int, set func(t int, rc float64, q []float64)) {
	npig := a.npig[k][ar]
	if npig == 0 {
		return
	}
	// By descending score; ties in pycocotools' concatenation order
	// (image id, then rank), which a stable sort over images in id order
	// gives.
	var ds []int32
	recs := &a.recs[k]
	for j := range recs.n {
		if int(recs.at(j).at&127) < maxDet {
			ds = append(ds, int32(j))
		}
	}
	sort.Slice(ds, func(x, y int) bool {
		p, q := recs.at(int(ds[x])), recs.at(int(ds[y]))
		if p.score != q.score {
			return p.score > q.score
		}
		return p.at < q.at // image, then rank
	})
	eps := math.Nextafter(1, 2) - 1 // np.spacing(1)
	nd := len(ds)
	rc := make([]float64, nd)
	pr := make([]float64, nd)
	q := make([]float64, len(recThrs))
	for t := range iouThrs {
		// Cumulative sums over every detection, as pycocotools does:
		// ignored ones add to neither tp nor fp but still hold a point.
		var tp, fp float64
		for i, j := range ds {
			f := recs.at(int(j)).flags(ar)
			if f&(1<<(10+t)) == 0 {
				if f&(1<<t) != 0 {
					tp++
				} else {
					fp++
				}
			}
			rc[i] = tp / float64(npig)
			pr[i] = tp / (fp + tp + eps)
		}
		last := 0.0
		if nd > 0 {
			last = rc[nd-1]
		}
		for i := nd - 1; i > 0; i-- {
			if pr[i] > pr[i-1] {
				pr[i-1] = pr[i]
			}
		}
		for r, thr := range recThrs {
			// searchsorted(rc, thr, side="left"); past the end stays 0.
			pi := sort.Search(nd, func(i int) bool { return rc[i] >= thr })
			q[r] = 0
			if pi < nd {
				q[r] = pr[pi]
			}
		}
		set(t, last, q)
	}
}
