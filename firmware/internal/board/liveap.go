package board

import (
	"slices"
	"sync"

	"github.com/nniescope/nniescope/shared/dataset"
	"github.com/nniescope/nniescope/shared/eval"
	"github.com/nniescope/nniescope/shared/metrics/coco"
	"github.com/nniescope/nniescope/shared/yolo"
)

// liveAP scores each variant's boxes against the source's ground truth as
// frames stream by: AP over the images seen so far (latest boxes per
// image), recomputed every few frames that changed something. A
// deterministic engine looping over a folder changes nothing after the
// first pass, so scoring (megabytes of garbage each time) stops there.
type liveAP struct {
	mu     sync.Mutex
	set    *dataset.Set
	index  map[string]int                // image path → index in set
	runs   map[string][][]yolo.Detection // variant → boxes per image
	seen   []bool
	unseen int // images not seen yet
	ap     map[string]float64
	n      int // frames that changed boxes or added an image since the last score
	scored int // times scored (tests)
}

func newLiveAP(set *dataset.Set) *liveAP {
	l := &liveAP{set: set, index: map[string]int{}, runs: map[string][][]yolo.Detection{}, seen: make([]bool, len(set.Images)), unseen: len(set.Images), ap: map[string]float64{}}
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
	changed := false
	for variant, ds := range dets {
		run := l.runs[variant]
		if run == nil {
			run = make([][]yolo.Detection, len(l.set.Images))
			l.runs[variant] = run
		}
		if !l.seen[i] || !slices.Equal(run[i], ds) {
			changed = true
		}
		run[i] = ds
	}
	first := !l.seen[i]
	if changed {
		if first {
			l.seen[i] = true
			l.unseen--
		}
		l.n++
	}
	// Score every 10 changing frames, at the end of the first pass, and
	// once things settle (a frame that changed nothing) with changes
	// pending.
	if l.n >= 10 || (l.n > 0 && (!changed || (first && l.unseen == 0))) {
		l.score()
		l.n = 0
	}
}

// score recomputes AP over the seen images.
func (l *liveAP) score() {
	l.scored++
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
