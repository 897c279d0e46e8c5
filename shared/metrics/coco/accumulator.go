package coco

import (
	"bufio"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"os"
	"slices"
	"sort"

	"github.com/nniescope/nniescope/shared/internal/scratch"
)

// ImageIndex finds a Dataset's annotations by image without copying them:
// the images' ids ascending (pycocotools' order, which breaks score ties)
// and, per image, the positions of its annotations in the file's order.
// It costs a few bytes an image and four an annotation.
type ImageIndex struct {
	d     *Dataset
	ids   []int64 // distinct image ids, ascending
	at    map[int64]int
	start []int32 // image i's annotations are ann[start[i]:start[i+1]]
	ann   []int32 // indices into d.Annotations
}

// NewImageIndex indexes d; annotations of an image d does not list are
// left out (pycocotools never reads them).
func NewImageIndex(d *Dataset) (*ImageIndex, error) {
	if len(d.Annotations) > math.MaxInt32 {
		return nil, fmt.Errorf("coco: %d annotations: at most %d can be indexed", len(d.Annotations), math.MaxInt32)
	}
	ids := make([]int64, len(d.Images))
	for i, im := range d.Images {
		ids[i] = im.ID
	}
	x := &ImageIndex{d: d}
	x.ids, x.at = sortedIndex(ids)
	count := make([]int32, len(x.ids)+1)
	for _, a := range d.Annotations {
		if i, ok := x.at[a.ImageID]; ok {
			count[i+1]++
		}
	}
	for i := range x.ids {
		count[i+1] += count[i]
	}
	x.start = count
	x.ann = make([]int32, count[len(x.ids)])
	next := slices.Clone(count[:len(x.ids)])
	for j, a := range d.Annotations {
		if i, ok := x.at[a.ImageID]; ok {
			x.ann[next[i]] = int32(j)
			next[i]++
		}
	}
	return x, nil
}

// Len is the number of distinct images.
func (x *ImageIndex) Len() int { return len(x.ids) }

// Position is the image's place among the ids ascending; ok is false for
// an id the dataset does not list.
func (x *ImageIndex) Position(imageID int64) (int, bool) {
	i, ok := x.at[imageID]
	return i, ok
}

// Annotations are the image's annotations, in the file's order.
func (x *ImageIndex) Annotations(imageID int64) iter.Seq[*Annotation] {
	return func(yield func(*Annotation) bool) {
		i, ok := x.at[imageID]
		if !ok {
			return
		}
		for _, j := range x.ann[x.start[i]:x.start[i+1]] {
			if !yield(&x.d.Annotations[j]) {
				return
			}
		}
	}
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

// Accumulator evaluates detections an image at a time, as pycocotools'
// evaluateImg does, and keeps of each detection only what accumulate
// reads: its score, its image and rank in it and, per area range, whether
// it matched and whether it is ignored at each IoU threshold (24 bytes,
// where a result is 64; its boxes and the IoU tables are dropped). Past a
// bound (SetSpill) the records are sorted and written to a temporary
// file, and Detail merges the sorted runs as it accumulates, so an
// evaluation's memory does not grow with its detections. Detail gives
// exactly what EvaluateDetail gives for the same detections, in any order
// of images. Close removes the file.
type Accumulator struct {
	idx    *ImageIndex
	catIDs []int64
	catAt  map[int64]int
	npig   [][]int // per category and area: ground truth not ignored
	added  []bool  // per image

	pending  []pendingRecord // added since the last spill
	spillDir string
	spillAt  int
	spill    *spillFile // nil until the first spill
	closed   bool       // its spilled records are gone
}

// pendingRecord is a record not yet spilled, with its category.
type pendingRecord struct {
	detRecord
	cat int32
}

// detRecord is one detection among its image's 100 best of its category,
// in 24 bytes.
type detRecord struct {
	score float64
	at    uint32 // image index << 7 | rank in its image's list (best first)
	f3    uint32 // area range 3's flags
	f012  uint64 // area ranges 0, 1, 2's flags, 20 bits each
}

// before is the accumulation order: descending score; ties in
// pycocotools' concatenation order (image id, then rank), which its
// stable sort over images in id order keeps. at is unique within a
// category, so the order is total and a merge of sorted runs gives the
// sort of the whole.
func (r *detRecord) before(q *detRecord) bool {
	if r.score != q.score {
		return r.score > q.score
	}
	return r.at < q.at
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

const recordSize = 24 // on disk: score bits, at, f3, f012, little-endian

func (r *detRecord) put(b []byte) {
	binary.LittleEndian.PutUint64(b, math.Float64bits(r.score))
	binary.LittleEndian.PutUint32(b[8:], r.at)
	binary.LittleEndian.PutUint32(b[12:], r.f3)
	binary.LittleEndian.PutUint64(b[16:], r.f012)
}

func (r *detRecord) get(b []byte) {
	r.score = math.Float64frombits(binary.LittleEndian.Uint64(b))
	r.at = binary.LittleEndian.Uint32(b[8:])
	r.f3 = binary.LittleEndian.Uint32(b[12:])
	r.f012 = binary.LittleEndian.Uint64(b[16:])
}

// DefaultSpill is how many records (24 bytes each, 32 while pending) an
// Accumulator holds before it spills them: 512 KB, some 60 COCO images
// at Ultralytics' val settings (up to 300 detections an image).
const DefaultSpill = 1 << 14

// NewAccumulator prepares the evaluation of detections against gt; it
// spills to the system's temporary folder (SetSpill changes that).
func NewAccumulator(gt *Dataset) (*Accumulator, error) {
	if err := gt.CheckIDs(); err != nil {
		return nil, fmt.Errorf("coco: ground truth: %w", err)
	}
	idx, err := NewImageIndex(gt)
	if err != nil {
		return nil, err
	}
	if idx.Len() > maxImages {
		return nil, fmt.Errorf("coco: %d images: at most %d can be evaluated at once (shard the set: eval --shard)", idx.Len(), maxImages)
	}
	a := &Accumulator{idx: idx, spillDir: os.TempDir(), spillAt: DefaultSpill}
	catIDs := make([]int64, len(gt.Categories))
	for i, c := range gt.Categories {
		catIDs[i] = c.ID
	}
	a.catIDs, a.catAt = sortedIndex(catIDs)
	a.npig = make([][]int, len(a.catIDs))
	for k := range a.npig {
		a.npig[k] = make([]int, len(areaRngs))
	}
	for _, an := range gt.Annotations {
		_, okI := idx.at[an.ImageID]
		k, okK := a.catAt[an.CategoryID]
		if !okI || !okK {
			continue
		}
		ign := an.IsCrowd != 0 // pycocotools: gt['ignore'] = 'iscrowd' in gt and gt['iscrowd']
		for r, rng := range areaRngs {
			if !(ign || an.Area < rng[0] || an.Area > rng[1]) {
				a.npig[k][r]++
			}
		}
	}
	a.added = make([]bool, idx.Len())
	return a, nil
}

// SetSpill makes the accumulator write its records to a temporary file in
// dir once it holds n of them (n ≥ 1); call it before the first Add.
func (a *Accumulator) SetSpill(dir string, n int) {
	a.spillDir, a.spillAt = dir, max(n, 1)
}

// Index is the ground truth by image the accumulator reads.
func (a *Accumulator) Index() *ImageIndex { return a.idx }

// Held is the number of records in memory (the rest are in the file).
func (a *Accumulator) Held() int { return len(a.pending) }

// Close removes the temporary file, if records were spilled.
func (a *Accumulator) Close() error {
	a.closed = true
	if a.spill == nil {
		return nil
	}
	err := a.spill.close()
	a.spill = nil
	return err
}

// errClosed is an accumulator used after Close: what it spilled is gone,
// so it cannot say what was added.
var errClosed = errors.New("coco: the accumulator is closed")

// Add evaluates one image's detections (every category; those of a
// category the ground truth lacks are dropped, as pycocotools does). Each
// image is added at most once.
func (a *Accumulator) Add(imageID int64, dts []Result) error {
	if a.closed {
		return errClosed
	}
	i, ok := a.idx.at[imageID]
	if !ok {
		return fmt.Errorf("coco: image_id %d is not in the ground truth", imageID)
	}
	if a.added[i] {
		return fmt.Errorf("coco: image_id %d added twice", imageID)
	}
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
	a.added[i] = true
	if len(cats) == 0 {
		return nil
	}
	// This image's ground truth by category, in the file's order (what
	// pycocotools' _gts[imgId, catId] holds).
	gts := map[int][]gtBox{}
	for an := range a.idx.Annotations(imageID) {
		if k, ok := a.catAt[an.CategoryID]; ok {
			gts[k] = append(gts[k], gtBox{id: an.ID, box: an.BBox, area: an.Area, crowd: an.IsCrowd != 0, ignore: an.IsCrowd != 0})
		}
	}
	maxDet := maxDets[len(maxDets)-1]
	for _, k := range cats {
		d := byCat[k]
		sort.SliceStable(d, func(x, y int) bool { return d[x].score > d[y].score })
		if len(d) > maxDet {
			d = d[:maxDet]
		}
		g := gts[k]
		ious := computeIoU(d, g)
		first := len(a.pending)
		for j, db := range d {
			a.pending = append(a.pending, pendingRecord{detRecord{score: db.score, at: uint32(i)<<7 | uint32(j)}, int32(k)})
		}
		recs := a.pending[first:]
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
	}
	if len(a.pending) >= a.spillAt {
		if err := a.spillPending(); err != nil {
			return err
		}
	}
	return nil
}

// sortPending orders the pending records by category, then accumulation
// order, so each category's are one sorted run.
func (a *Accumulator) sortPending() {
	slices.SortFunc(a.pending, func(p, q pendingRecord) int {
		switch {
		case p.cat != q.cat:
			return int(p.cat) - int(q.cat)
		case p.before(&q.detRecord):
			return -1
		case q.before(&p.detRecord):
			return 1
		}
		return 0
	})
}

// spillPending writes the pending records to the file as one sorted run
// per category.
func (a *Accumulator) spillPending() error {
	if a.spill == nil {
		sf, err := newSpillFile(a.spillDir, len(a.catIDs))
		if err != nil {
			return err
		}
		a.spill = sf
	}
	a.sortPending()
	for lo := 0; lo < len(a.pending); {
		k := a.pending[lo].cat
		hi := lo
		for hi < len(a.pending) && a.pending[hi].cat == k {
			hi++
		}
		if err := a.spill.writeRun(int(k), a.pending[lo:hi]); err != nil {
			return err
		}
		lo = hi
	}
	a.pending = a.pending[:0]
	return nil
}

// spillFile holds sorted runs of records, per category.
type spillFile struct {
	f    *scratch.File
	w    *bufio.Writer
	off  int64
	runs [][]spillRun // per category
	buf  [recordSize]byte
}

type spillRun struct{ off, n int64 }

func newSpillFile(dir string, cats int) (*spillFile, error) {
	f, err := scratch.Create(dir, "nniescope-coco-*.records")
	if err != nil {
		return nil, fmt.Errorf("coco: spilling detection records: %w", err)
	}
	return &spillFile{f: f, w: bufio.NewWriterSize(f, 64<<10), runs: make([][]spillRun, cats)}, nil
}

func (sf *spillFile) writeRun(k int, rs []pendingRecord) error {
	for i := range rs {
		rs[i].put(sf.buf[:])
		if _, err := sf.w.Write(sf.buf[:]); err != nil {
			return fmt.Errorf("coco: spilling detection records to %s: %w", sf.f.Name(), err)
		}
	}
	sf.runs[k] = append(sf.runs[k], spillRun{sf.off, int64(len(rs))})
	sf.off += int64(len(rs)) * recordSize
	return nil
}

func (sf *spillFile) close() error { return sf.f.Close() }

// runBuffer is the merge's read buffer per run (85 records).
const runBuffer = 2040

// runCursor reads one sorted run: a spilled one from the file, or the
// pending records of a category.
type runCursor struct {
	head detRecord
	mem  []pendingRecord
	r    *bufio.Reader
	left int64
	buf  [recordSize]byte
}

// next moves to the run's next record; false at its end.
func (c *runCursor) next() (bool, error) {
	if c.r == nil {
		if len(c.mem) == 0 {
			return false, nil
		}
		c.head, c.mem = c.mem[0].detRecord, c.mem[1:]
		return true, nil
	}
	if c.left == 0 {
		return false, nil
	}
	if _, err := io.ReadFull(c.r, c.buf[:]); err != nil {
		return false, err
	}
	c.head.get(c.buf[:])
	c.left--
	return true, nil
}

// cursorHeap orders runs by their heads.
type cursorHeap []*runCursor

func (h cursorHeap) Len() int           { return len(h) }
func (h cursorHeap) Less(i, j int) bool { return h[i].head.before(&h[j].head) }
func (h cursorHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *cursorHeap) Push(x any)        { *h = append(*h, x.(*runCursor)) }
func (h *cursorHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}

// each calls fn with category k's records in accumulation order, merging
// its spilled runs with its pending ones (sorted: sortPending ran).
func (a *Accumulator) each(k int, pending []pendingRecord, fn func(*detRecord)) error {
	var h cursorHeap
	add := func(c *runCursor) error {
		ok, err := c.next()
		if ok {
			h = append(h, c)
		}
		return err
	}
	if a.spill != nil {
		for _, run := range a.spill.runs[k] {
			// A small buffer per run: a spill writes a run per category,
			// so a large set's category has many short ones.
			sr := io.NewSectionReader(a.spill.f, run.off, run.n*recordSize)
			if err := add(&runCursor{r: bufio.NewReaderSize(sr, int(min(run.n*recordSize, runBuffer))), left: run.n}); err != nil {
				return fmt.Errorf("coco: reading spilled detection records from %s: %w", a.spill.f.Name(), err)
			}
		}
	}
	if err := add(&runCursor{mem: pending}); err != nil {
		return err
	}
	heap.Init(&h)
	for len(h) > 0 {
		c := h[0]
		fn(&c.head)
		ok, err := c.next()
		if err != nil {
			return fmt.Errorf("coco: reading spilled detection records from %s: %w", a.spill.f.Name(), err)
		}
		if ok {
			heap.Fix(&h, 0)
		} else {
			heap.Pop(&h)
		}
	}
	return nil
}

// Detail accumulates what was added: Evaluate's numbers, per category and
// the PR curve. Images never added count as images without detections.
// The error is the spilled records' reading.
func (a *Accumulator) Detail() (Detail, error) {
	if a.closed {
		return Detail{}, errClosed
	}
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
	if a.spill != nil {
		if err := a.spill.w.Flush(); err != nil {
			return Detail{}, fmt.Errorf("coco: spilling detection records to %s: %w", a.spill.f.Name(), err)
		}
	}
	a.sortPending()
	curves := make([]curve, A*M*T)
	for lo, k := 0, 0; k < K; k++ {
		hi := lo
		for hi < len(a.pending) && int(a.pending[hi].cat) == k {
			hi++
		}
		pending := a.pending[lo:hi]
		lo = hi
		for i := range curves {
			curves[i].reset()
		}
		err := a.each(k, pending, func(r *detRecord) {
			rank := int(r.at & 127)
			for ar := range A {
				f := r.flags(ar)
				for m, md := range maxDets {
					if rank >= md {
						continue
					}
					c := curves[(ar*M+m)*T : (ar*M+m+1)*T]
					for t := range c {
						c[t].add(f>>t&1 != 0, f>>(10+t)&1 != 0, a.npig[k][ar])
					}
				}
			}
		})
		if err != nil {
			return Detail{}, err
		}
		for ar := range A {
			if a.npig[k][ar] == 0 {
				continue
			}
			for m := range M {
				for t := range T {
					c := &curves[(ar*M+m)*T+t]
					recall[((t*K+k)*A+ar)*M+m] = c.recall(a.npig[k][ar])
					for r, q := range c.precision() {
						precision[(((t*R+r)*K+k)*A+ar)*M+m] = q
					}
				}
			}
		}
	}
	return summarize(catIDs, precision, recall), nil
}

// curve is pycocotools' accumulate for one category, area range, maxDet
// and IoU threshold, fed the detections in order instead of holding
// them: the cumulative tp and fp, and for each level (how many of the 101
// recall thresholds a point's recall reaches) the highest precision at a
// point of that level. The interpolated precision at threshold r is the
// highest precision among the points whose recall reaches it, the
// precision envelope at the first of them (searchsorted "left"), so it is
// the maximum over the levels above r: the same float64 values
// pycocotools compares, hence the same result.
type curve struct {
	tp, fp float64
	level  int
	best   [102]float64 // by level 0..101
	q      [101]float64
}

func (c *curve) reset() { *c = curve{} }

var eps = math.Nextafter(1, 2) - 1 // np.spacing(1)

// add is one detection: ignored ones add to neither tp nor fp but still
// hold a point, as pycocotools' cumulative sums do.
func (c *curve) add(matched, ignored bool, npig int) {
	if !ignored {
		if matched {
			c.tp++
		} else {
			c.fp++
		}
	}
	rc := c.tp / float64(npig)
	pr := c.tp / (c.fp + c.tp + eps)
	for c.level < len(recThrs) && recThrs[c.level] <= rc {
		c.level++
	}
	if pr > c.best[c.level] {
		c.best[c.level] = pr
	}
}

// recall is the last point's recall (0 without detections).
func (c *curve) recall(npig int) float64 { return c.tp / float64(npig) }

// precision is the 101 interpolated precisions; past the last point's
// recall they stay 0.
func (c *curve) precision() []float64 {
	run := 0.0
	for r := len(recThrs) - 1; r >= 0; r-- {
		run = max(run, c.best[r+1])
		c.q[r] = run
	}
	return c.q[:]
}

// summarize is pycocotools' summarize over the accumulated arrays, with
// the per-category APs and the PR curve at IoU .50.
func summarize(catIDs []int64, precision, recall []float64) Detail {
	T, R, K, A, M := len(iouThrs), len(recThrs), len(catIDs), len(areaRngs), len(maxDets)
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
