package quant

import (
	"context"
	"fmt"
	"sort"

	"github.com/nniescope/nniescope/shared/engine"
	"github.com/nniescope/nniescope/shared/metrics/tensordiff"
	"github.com/nniescope/nniescope/shared/onnx"
	"github.com/nniescope/nniescope/shared/preprocess"
	"github.com/nniescope/nniescope/shared/tensor"
)

// LayerReport is one row of `nniescope layers` (docs/CLI.md).
type LayerReport struct {
	Name   string `json:"name"`
	Op     string `json:"op"`
	Branch string `json:"branch"` // backbone (feeds both head branches), box, cls
	// Cumulative: this layer's output with the whole model quantized.
	Cumulative tensordiff.Stats `json:"cumulative"`
	// Isolated: this layer alone quantized (its inputs and weights), fed
	// float inputs.
	Isolated tensordiff.Stats `json:"isolated"`
	// Damage is the decoded-box damage of this layer alone quantized (the
	// search's proxy, mixed.Sensitivities): mean (1 − IoU) + |Δscore| over
	// float's confident boxes; absent where it was not measured.
	Damage *float64 `json:"damage,omitempty"`
}

// LayersResult is the per-layer analysis.
type LayersResult struct {
	Images    int           `json:"images"`
	Placement string        `json:"placement"`
	Coverage  string        `json:"coverage,omitempty"` // of the calibration file (Report.Coverage)
	Layers    []LayerReport `json:"layers"`             // ranked (Ranking)
	// Ranking says the order of Layers: "damage" (the decoded-box damage,
	// most first; layers it did not measure after) or "sqnr" (worst
	// isolated SQNR first).
	Ranking string                      `json:"ranking,omitempty"`
	Head    map[string]tensordiff.Stats `json:"head"` // cumulative, at "box" (stride Mul output) and "cls" (class scores)
}

// AnalyseLayers compares the quantized simulation with float layer by layer
// over the image files.
func AnalyseLayers(ctx context.Context, m *onnx.Model, s Simulation, images []string, threads int, progress func(done int)) (*LayersResult, error) {
	float, err := engine.Compile(m, engine.Options{Threads: threads})
	if err != nil {
		return nil, err
	}
	fs, qs := float.NewSession(), s.Program().NewSession()
	defer fs.Close()
	defer qs.Close()
	in := float.Inputs()[0]
	x := tensor.New(in.Shape...)
	g := analyse(float)
	branch := g.branches()
	nodes := s.Changed()
	cum := map[string]*tensordiff.Acc{}
	iso := map[string]*tensordiff.Acc{}
	head := map[string]*tensordiff.Acc{"box": {}, "cls": {}}
	captured := map[string]*tensor.Tensor{}
	capture := engine.Recorder(captured)
	qh := s.NodeHooks()
	compare := &engine.Hooks{BeforeNode: qh.BeforeNode, AfterNode: func(n *onnx.Node, out []*tensor.Tensor) {
		if qh.AfterNode != nil {
			qh.AfterNode(n, out)
		}
		ref := captured[n.Outputs[0]]
		if ref == nil {
			return
		}
		a := cum[n.Name]
		if a == nil {
			a = &tensordiff.Acc{}
			cum[n.Name] = a
		}
		a.Add(out[0].F, ref.F)
		for name, heads := range map[string]map[*onnx.Node]int{"box": g.boxHeads, "cls": g.clsHeads} {
			if k, ok := heads[n]; ok && captured[n.Outputs[k]] != nil {
				head[name].Add(out[k].F, captured[n.Outputs[k]].F)
			}
		}
	}}
	for i, path := range images {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if _, err := preprocess.File(path, in.Shape[3], in.Shape[2], x.F); err != nil {
			return nil, err
		}
		if _, err := fs.Run(ctx, []*tensor.Tensor{x}, capture); err != nil {
			return nil, err
		}
		captured[in.Name] = x
		if _, err := qs.Run(ctx, []*tensor.Tensor{x}, compare); err != nil {
			return nil, err
		}
		for _, n := range nodes {
			out, err := s.RunIsolated(n, captured)
			if err != nil {
				return nil, err
			}
			a := iso[n.Name]
			if a == nil {
				a = &tensordiff.Acc{}
				iso[n.Name] = a
			}
			a.Add(out.F, captured[n.Outputs[0]].F)
		}
		if progress != nil {
			progress(i + 1)
		}
	}
	res := &LayersResult{Images: len(images), Head: map[string]tensordiff.Stats{}}
	for _, n := range nodes {
		r := LayerReport{Name: n.Name, Op: n.OpType, Branch: branch[n]}
		if a := cum[n.Name]; a != nil {
			r.Cumulative = a.Stats()
		}
		if a := iso[n.Name]; a != nil {
			r.Isolated = a.Stats()
		}
		res.Layers = append(res.Layers, r)
	}
	sort.SliceStable(res.Layers, func(i, j int) bool { return res.Layers[i].Isolated.SQNRdB < res.Layers[j].Isolated.SQNRdB })
	for k, a := range head {
		if a.Stats().MSE > 0 || g.strideMul != nil {
			res.Head[k] = a.Stats()
		}
	}
	return res, nil
}

// runIsolated computes node n of the simulation from float inputs: its
// quantization points applied, its quantized weights, its F16 rounding.
// Simulation is what the per-layer analysis measures: the simulator of
// either chip generation (*Sim, SVP ACL; *nnie.Sim).
type Simulation interface {
	Program() *engine.Program
	// Hooks run the simulation (compiled into the kernels where the
	// simulation allows it); NodeHooks run it node by node, for runs that
	// also observe every node.
	Hooks() *engine.Hooks
	NodeHooks() *engine.Hooks
	// Changed lists the nodes of Program the simulation changes, in order.
	Changed() []*onnx.Node
	// RunIsolated runs node n of Program on float's values, quantized as
	// the simulation quantizes n's inputs, and returns its output: n's
	// error alone.
	RunIsolated(n *onnx.Node, float map[string]*tensor.Tensor) (*tensor.Tensor, error)
}

// Changed lists the nodes the simulation changes: quantized inputs, F16
// outputs or quantized weights.
func (s *Sim) Changed() []*onnx.Node {
	var nodes []*onnx.Node
	for _, n := range s.prog.Nodes() {
		if s.points[n] != nil || s.f16out[n] || (isCube(n.OpType) && len(n.Inputs) > 1 && s.quantizedWeights(n)) {
			nodes = append(nodes, n)
		}
	}
	return nodes
}

// RunIsolated runs n alone under the simulation (Simulation).
func (s *Sim) RunIsolated(n *onnx.Node, float map[string]*tensor.Tensor) (*tensor.Tensor, error) {
	pts := s.points[n]
	outs, err := s.prog.RunNode(n, func(name string) *tensor.Tensor {
		t := float[name]
		for i, in := range n.Inputs {
			if in == name && i < len(pts) && pts[i] != nil && t != nil {
				q := &tensor.Tensor{DType: tensor.Float32, Shape: t.Shape, F: make([]float32, len(t.F))}
				pts[i].Apply(q.F, t.F)
				return q
			}
		}
		return t
	})
	if err != nil {
		return nil, fmt.Errorf("quant: isolated %s: %w", n.Name, err)
	}
	if s.f16out[n] {
		for i, v := range outs[0].F {
			outs[0].F[i] = tensor.RoundFloat16(v)
		}
	}
	return outs[0], nil
}

// quantizedWeights reports whether the simulation changed n's weights.
func (s *Sim) quantizedWeights(n *onnx.Node) bool {
	_, ok := s.weights[n.Inputs[1]]
	return ok
}
