package board

import (
	"sync"

	"github.com/nniescope/nniescope/shared/dataset"
	"github.com/nniescope/nniescope/shared/eval"
	"github.com/nniescope/nniescope/shared/metrics/coco"
	"github.com/nniescope/nniescope/shared/yolo"
)

// liveAP scores each variant's boxes against the source's ground truth as
// frames stream by: AP over the images seen so far (latest boxes per
// image), recomputed every few frames.
type liveAP struct {
	mu    sync.Mutex
	set   *dataset.Set
	index map[string]int                // image path → index in set
	runs  map[string][][]yolo.Detection // variant → boxes per image
	seen  []bool
	ap    map[string]float64
	n     int
}

func newLiveAP(set *dataset.Set) *liveAP {
	l := &liveAP{set: set, index: map[string]int{}, runs: map[string][][]yolo.Detection{}, seen: make([]bool, len(set.Images)), ap: map[string]float64{}}
	for i, im := range set.Images {
		l.index[im.Path] = i
	}
	return l
}

// add records a frame's detections (per variant, as the engine decoded
// them) for the image at path. A nil liveAP, or a frame of no known
// image, records nothing.
func (l *liveAP) add(path string, dets map[string][]yolo.Detection) {
	if l == nil || dets == nil {
		return
	}
	i, ok := l.index[path]
	if !ok {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for variant, ds := range dets {
		run := l.runs[variant]
		if run == nil {
			run = make([][]yolo.Detection, len(l.set.Images))
			l.runs[variant] = run
		}
		run[i] = ds
	}
	l.seen[i] = true
	l.n++
	if l.n%10 == 0 || l.n == len(l.set.Images) {
		l.score()
	}
}

// score recomputes AP over the seen images.
func (l *liveAP) score() {
	sub := &dataset.Set{GT: &coco.Dataset{Categories: l.set.GT.Categories}, ClassToCategory: l.set.ClassToCategory}
	keep := map[int64]bool{}
	var idx []int
	for i, s := range l.seen {
		if s {
			idx = append(idx, i)
			sub.Images = append(sub.Images, l.set.Images[i])
			keep[l.set.Images[i].ID] = true
		}
	}
	for _, im := range l.set.GT.Images {
		if keep[im.ID] {
			sub.GT.Images = append(sub.GT.Images, im)
		}
	}
	for _, a := range l.set.GT.Annotations {
		if keep[a.ImageID] {
			sub.GT.Annotations = append(sub.GT.Annotations, a)
		}
	}
	for v, run := range l.runs {
		r := &eval.Run{}
		for _, i := range idx {
			r.Detections = append(r.Detections, run[i])
		}
		if st, err := eval.Score(sub, r); err == nil {
			l.ap[v] = st[0]
		}
	}
}

// get returns a variant's live AP, or nil before the first score.
func (l *liveAP) get(variant string) *float64 {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if v, ok := l.ap[variant]; ok {
		return &v
	}
	return nil
}
