package mixed

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/nniescope/nniescope/shared/calib"
	"github.com/nniescope/nniescope/shared/dataset"
	"github.com/nniescope/nniescope/shared/detect"
	"github.com/nniescope/nniescope/shared/engine"
	"github.com/nniescope/nniescope/shared/eval"
	"github.com/nniescope/nniescope/shared/onnx"
	"github.com/nniescope/nniescope/shared/preprocess"
	"github.com/nniescope/nniescope/shared/quant"
	"github.com/nniescope/nniescope/shared/tensor"
	"github.com/nniescope/nniescope/shared/yolo"
)

// Options configure a search.
type Options struct {
	MaxDrop     float64 // AP points (1.0 = 0.01 AP) below the reference allowed
	VsFloat     bool    // reference: float instead of the all-16-bit model
	BudgetMS    float64 // 0: no latency budget
	Placement   quant.Placement
	ProxyImages int // images for the sensitivity proxy (default 4)
	MaxLayers   int // stop growing the set beyond this (default 8)
	Threads     int
	Cost        CostModel // default: the chip's (Chip.Cost)
	// Costs per layer, from a real compile (CostsFromPerf); nil: the
	// rule-based counts of Costs.
	Costs []LayerCost
	// AllowMissing simulates calibration files that lack records for some
	// conv/matmul layers (quant.Options.AllowMissing).
	AllowMissing bool
}

// Evaluation is one configuration measured on the data set.
type Evaluation struct {
	Layers    []string `json:"layers"`
	AP        float64  `json:"ap"`
	LatencyMS float64  `json:"latency_ms"`
}

// Sensitivity is the proxy damage of one layer left in 8-bit alone.
type Sensitivity struct {
	Layer  string  `json:"layer"`
	Damage float64 `json:"damage"` // mean (1 − IoU) + |Δscore| over confident float anchors
}

// Result is the `nniescope search --json` shape (docs/CLI.md).
type Result struct {
	Layers      []string      `json:"layers"`
	AP          float64       `json:"ap"`
	TargetAP    float64       `json:"target_ap"`
	Reached     bool          `json:"reached"`
	LatencyMS   float64       `json:"latency_ms"`
	Reference   string        `json:"reference"` // "int16" or "float"
	ReferenceAP float64       `json:"reference_ap"`
	Evaluations []Evaluation  `json:"evaluations"`
	Sensitivity []Sensitivity `json:"sensitivity"`
	// Coverage of the 8- and 16-bit files (quant.Report.Coverage), filled
	// in by the caller that checked them.
	Coverage8  string `json:"calib8_coverage,omitempty"`
	Coverage16 string `json:"calib16_coverage,omitempty"`
	// CostSource says where the board times come from; PerfUnmatched
	// names the atc_perf.csv records that matched no node. Filled in by
	// the caller that chose the costs.
	CostSource string `json:"cost_source,omitempty"`
	// Caffe are the chosen layers under the names of the user's Caffe
	// prototxt (NNIE, --prototxt), in order; CaffeUnmapped those with no
	// Caffe counterpart.
	Caffe         []string `json:"caffe_layers,omitempty"`
	CaffeUnmapped []string `json:"caffe_unmapped,omitempty"`
	PerfUnmatched []string `json:"atc_perf_unmatched,omitempty"`
}

// Progress reports a phase and its completion.
type Progress func(phase string, done, total int)

// Search finds a small set of layers to take from f16 into f8. Method
// (RATIONALE.md): rank layers by a cheap proxy (each layer alone in 8-bit,
// the rest float, scored on the decoded boxes of a few images against
// float), then grow the set greedily in that order, confirming each step
// with AP on the data, and finally step back: drop any layer whose removal
// keeps the target. Every configuration is evaluated once (memoised).
func Search(ctx context.Context, m *onnx.Model, f8, f16 *calib.File, set *dataset.Set, o Options, progress Progress) (*Result, error) {
	if o.Placement == "" {
		o.Placement = quant.DefaultPlacement
	}
	chip, err := NewChip(m, &quant.Calibration{Path: f8.Name, SVP: f8}, &quant.Calibration{Path: f16.Name, SVP: f16},
		quant.Options{Placement: o.Placement, Threads: o.Threads, AllowMissing: o.AllowMissing})
	if err != nil {
		return nil, err
	}
	return SearchChip(ctx, m, chip, set, o, progress)
}

// SearchChip is Search for either chip generation (NewChip).
func SearchChip(ctx context.Context, m *onnx.Model, chip Chip, set *dataset.Set, o Options, progress Progress) (*Result, error) {
	if o.ProxyImages <= 0 {
		o.ProxyImages = 4
	}
	if o.MaxLayers <= 0 {
		o.MaxLayers = 8
	}
	if o.Cost == (CostModel{}) {
		o.Cost = chip.Cost()
	}
	if progress == nil {
		progress = func(string, int, int) {}
	}
	float, err := engine.Compile(m, engine.Options{Threads: o.Threads})
	if err != nil {
		return nil, err
	}
	costs := o.Costs
	if costs == nil {
		costs = Costs(float)
	}
	s := &searcher{ctx: ctx, m: m, chip: chip, set: set, o: o, costs: costs, memo: map[string]float64{}, progress: progress}
	res := &Result{Reference: "int16"}

	// References.
	if o.VsFloat {
		res.Reference = "float"
		if res.ReferenceAP, err = s.apOf(nil, float); err != nil {
			return nil, err
		}
	} else {
		p, h, err := chip.All16()
		if err != nil {
			return nil, err
		}
		if res.ReferenceAP, err = s.run(p, h, "int16"); err != nil {
			return nil, err
		}
	}
	res.TargetAP = res.ReferenceAP - o.MaxDrop/100
	base, err := s.evaluate(nil)
	if err != nil {
		return nil, err
	}
	best := Evaluation{Layers: []string{}, AP: base, LatencyMS: s.latency(nil)}
	if base >= res.TargetAP {
		res.Layers, res.AP, res.Reached, res.LatencyMS = []string{}, base, true, best.LatencyMS
		res.Evaluations = s.evals
		return res, nil
	}

	// Proxy sensitivity.
	sens, err := s.sensitivity(float)
	if err != nil {
		return nil, err
	}
	res.Sensitivity = sens

	ranked := make([]string, len(sens))
	for i, c := range sens {
		ranked[i] = c.Layer
	}
	g, err := greedy(ranked, res.TargetAP, o.MaxLayers, o.BudgetMS, s.evaluate, s.latency)
	if err != nil {
		return nil, err
	}
	if g.AP < best.AP {
		g = best
	}
	res.Layers, res.AP, res.Reached, res.LatencyMS = g.Layers, g.AP, g.AP >= res.TargetAP, g.LatencyMS
	res.Evaluations = s.evals
	return res, nil
}

// greedy grows a layer set in ranked order, confirming each step with
// evaluate (AP), keeping a layer only when it raises AP, until target;
// failing that, it tries the top of the ranking as blocks (layers that
// only help together); then it steps back, dropping any pick the set no
// longer needs. It returns the best configuration it measured.
func greedy(ranked []string, target float64, maxLayers int, budgetMS float64,
	evaluate func([]string) (float64, error), latency func([]string) float64) (Evaluation, error) {
	cur, err := evaluate(nil)
	if err != nil {
		return Evaluation{}, err
	}
	chosen := []string{}
	best := Evaluation{Layers: []string{}, AP: cur, LatencyMS: latency(nil)}
	reached := cur >= target
	for _, l := range ranked {
		if reached || len(chosen) >= maxLayers {
			break
		}
		next := append(append([]string(nil), chosen...), l)
		if budgetMS > 0 && latency(next) > budgetMS {
			continue
		}
		ap, err := evaluate(next)
		if err != nil {
			return Evaluation{}, err
		}
		if ap <= cur {
			continue // a 16-bit record that does not help costs time for nothing
		}
		chosen, cur = next, ap
		if ap > best.AP {
			best = Evaluation{Layers: chosen, AP: ap, LatencyMS: latency(chosen)}
		}
		reached = ap >= target
	}
	if !reached {
		// Layers that only help together (NNIE's decode chain: each of
		// Sub, Add, Div and the stride Mul still carries the others'
		// logarithmic error, so none alone raises AP) defeat one-at-a-
		// time growth: try the proxy's top 2, 4, 8 … as a block.
		for k := 2; k <= min(maxLayers, len(ranked)); k *= 2 {
			block := append([]string(nil), ranked[:k]...)
			if budgetMS > 0 && latency(block) > budgetMS {
				break
			}
			ap, err := evaluate(block)
			if err != nil {
				return Evaluation{}, err
			}
			if ap > best.AP {
				best = Evaluation{Layers: block, AP: ap, LatencyMS: latency(block)}
			}
			if ap >= target {
				chosen, cur, reached = block, ap, true
				break
			}
		}
		if !reached {
			return best, nil
		}
	}
	for i := 0; i < len(chosen)-1; {
		without := append(append([]string(nil), chosen[:i]...), chosen[i+1:]...)
		ap, err := evaluate(without)
		if err != nil {
			return Evaluation{}, err
		}
		if ap >= target {
			chosen, cur = without, ap
			continue
		}
		i++
	}
	return Evaluation{Layers: chosen, AP: cur, LatencyMS: latency(chosen)}, nil
}

type searcher struct {
	ctx      context.Context
	m        *onnx.Model
	chip     Chip
	set      *dataset.Set
	o        Options
	costs    []LayerCost
	memo     map[string]float64
	evals    []Evaluation
	progress Progress
}

func key(layers []string) string {
	s := append([]string(nil), layers...)
	sort.Strings(s)
	return strings.Join(s, "\x00")
}

func (s *searcher) latency(layers []string) float64 {
	in := map[string]bool{}
	for _, l := range layers {
		in[l] = true
	}
	return s.o.Cost.LatencyMS(s.costs, func(n string) bool { return in[n] })
}

// evaluate measures AP with layers in 16-bit, once per set.
func (s *searcher) evaluate(layers []string) (float64, error) {
	k := key(layers)
	if ap, ok := s.memo[k]; ok {
		return ap, nil
	}
	p, h, err := s.chip.Mixed(layers)
	if err != nil {
		return 0, err
	}
	ap, err := s.run(p, h, fmt.Sprintf("%d layer(s)", len(layers)))
	if err != nil {
		return 0, err
	}
	s.memo[k] = ap
	s.evals = append(s.evals, Evaluation{Layers: append([]string{}, layers...), AP: ap, LatencyMS: s.latency(layers)})
	return ap, nil
}

func (s *searcher) apOf(hooks *engine.Hooks, p *engine.Program) (float64, error) {
	return s.run(p, hooks, "float")
}

func (s *searcher) run(p *engine.Program, hooks *engine.Hooks, label string) (float64, error) {
	det, err := detect.New(p)
	if err != nil {
		return 0, err
	}
	defer det.Close()
	n := len(s.set.Images)
	r, err := eval.Detect(s.ctx, s.set, det, eval.Params(), hooks, func(done int) { s.progress("AP "+label, done, n) })
	if err != nil {
		return 0, err
	}
	st, err := eval.Score(s.set, r)
	if err != nil {
		return 0, err
	}
	return st[0], nil
}

// sensitivity scores every layer by the damage it does in 8-bit alone:
// float model, that one layer's 8-bit points and weights applied, decoded
// boxes of a few images compared with float. The float activations of each
// image are recorded once; each layer recomputes only downstream of itself.
func (s *searcher) sensitivity(float *engine.Program) ([]Sensitivity, error) {
	layers, only, err := s.chip.Proxy()
	if err != nil {
		return nil, err
	}
	imgs := s.set.Images
	if len(imgs) > s.o.ProxyImages {
		imgs = imgs[:s.o.ProxyImages]
	}
	paths := make([]string, len(imgs))
	for i, im := range imgs {
		paths[i] = im.Path
	}
	return Sensitivities(s.ctx, float, layers, only, paths, func(done, total int) { s.progress("sensitivity", done, total) })
}

// ErrNotOutput0 is a model the box proxy cannot score: it decodes one
// output0 [1, 4+nc, A] (raw heads and YOLOv5's layouts it does not).
var ErrNotOutput0 = errors.New("mixed: the box proxy needs a single output0 [1,4+nc,A] model")

// Sensitivities is the search's proxy, which `layers` ranks by too: each
// layer's quantization alone on the float program (only(layer): the
// simulation's one-layer hooks), scored by the damage to the decoded
// boxes against float (boxDamage) averaged over the images; the most
// damaging first. It needs a model with one output0 [1, 4+nc, A].
func Sensitivities(ctx context.Context, float *engine.Program, layers []string, only func(string) *engine.Hooks, images []string, progress func(done, total int)) ([]Sensitivity, error) {
	if progress == nil {
		progress = func(int, int) {}
	}
	outs := float.Outputs()
	if len(outs) != 1 || len(outs[0].Shape) != 3 {
		return nil, ErrNotOutput0
	}
	if len(images) == 0 {
		return nil, errors.New("mixed: the box proxy needs images")
	}
	nodes := map[string]*onnx.Node{}
	for _, n := range float.Nodes() {
		nodes[n.Name] = n
	}
	hooks := make([]*engine.Hooks, len(layers))
	for i, l := range layers {
		if nodes[l] == nil {
			return nil, fmt.Errorf("mixed: layer %q is not a node of the model", l)
		}
		hooks[i] = only(l)
	}
	sess := float.NewSession()
	defer sess.Close()
	in := float.Inputs()[0]
	x := tensor.New(in.Shape...)
	// Image by image: one float run records every activation, then each
	// layer re-runs only the graph downstream of itself.
	captured := map[string]*tensor.Tensor{in.Name: x}
	record := engine.Recorder(captured)
	lookup := func(name string) *tensor.Tensor { return captured[name] }
	damage := make([]float64, len(layers))
	for i, path := range images {
		if _, err := preprocess.File(path, in.Shape[3], in.Shape[2], x.F); err != nil {
			return nil, err
		}
		out, err := sess.Run(ctx, []*tensor.Tensor{x}, record)
		if err != nil {
			return nil, err
		}
		ref := append([]float32(nil), out[0].F...)
		for li, l := range layers {
			got, err := sess.RunFrom(ctx, nodes[l], lookup, hooks[li])
			if err != nil {
				return nil, err
			}
			damage[li] += boxDamage(ref, got[0].F, outs[0].Shape[1], outs[0].Shape[2])
			progress(i*len(layers)+li+1, len(images)*len(layers))
		}
	}
	res := make([]Sensitivity, len(layers))
	for li, l := range layers {
		res[li] = Sensitivity{Layer: l, Damage: damage[li] / float64(len(images))}
	}
	sort.SliceStable(res, func(i, j int) bool { return res[i].Damage > res[j].Damage })
	return res, nil
}

// boxDamage compares two output0 tensors on the anchors float is confident
// about (score ≥ 0.25): mean (1 − IoU) of the boxes plus the mean change of
// the float class's score. It sees what per-layer SQNR misses: a few
// pixels on a box cost IoU at .75-.95.
func boxDamage(ref, got []float32, rows, anchors int) float64 {
	var sum float64
	n := 0
	for a := range anchors {
		best, cls := float32(0), 4
		for c := 4; c < rows; c++ {
			if v := ref[c*anchors+a]; v > best {
				best, cls = v, c
			}
		}
		if best < 0.25 {
			continue
		}
		box := func(t []float32) [4]float32 {
			cx, cy, w, h := t[a], t[anchors+a], t[2*anchors+a], t[3*anchors+a]
			return [4]float32{cx - w/2, cy - h/2, cx + w/2, cy + h/2}
		}
		sum += 1 - float64(yolo.IoU(box(ref), box(got)))
		sum += math.Abs(float64(got[cls*anchors+a] - ref[cls*anchors+a]))
		n++
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}
