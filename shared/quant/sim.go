package quant

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/nniescope/nniescope/shared/calib"
	"github.com/nniescope/nniescope/shared/engine"
	"github.com/nniescope/nniescope/shared/internal/fakequant"
	"github.com/nniescope/nniescope/shared/onnx"
	"github.com/nniescope/nniescope/shared/quant/nnie"
	"github.com/nniescope/nniescope/shared/tensor"
)

// Placement is a hypothesis of where the chip quantizes activations. The
// calibration file has an input record for nearly every op, but ATC fuses
// chains of ops on chip, and what a fused chain applies is not documented.
// docs/QUANT.md compares the hypotheses against the published results.
type Placement string

const (
	// Literal applies every input record of every op.
	Literal Placement = "literal"
	// CubeConst quantizes the inputs of CUBE ops (Conv, Gemm, MatMul) and
	// of ops with a constant operand (atc_perf.csv's BinaryMath).
	CubeConst Placement = "cube-const"
	// Fused quantizes every tensor that leaves a fused unit: not inside a
	// Conv+SiLU unit, not inside the YOLOv8 box-decode chain (DFL conv
	// output to the stride Mul, fused on chip per atc_perf.csv), plus the
	// stride Mul's input, asymmetric as recorded.
	Fused Placement = "fused"
	// FusedSym is Fused with the stride Mul's input on a symmetric grid
	// (offset 0, scale qmax/max|x|) covering the recorded range.
	FusedSym Placement = "fused-sym"
)

// Placements lists the hypotheses in the order docs and reports use.
var Placements = []Placement{Literal, CubeConst, Fused, FusedSym}

// DefaultPlacement is the hypothesis that reproduces the published pattern
// (docs/QUANT.md, docs/RESULTS.md).
const DefaultPlacement = FusedSym

// ParsePlacement validates a placement name.
func ParsePlacement(s string) (Placement, error) {
	for _, p := range Placements {
		if string(p) == s {
			return p, nil
		}
	}
	names := make([]string, len(Placements))
	for i, p := range Placements {
		names[i] = string(p)
	}
	return "", fmt.Errorf("quant: placement %q: want one of %s", s, strings.Join(names, ", "))
}

// Report says how a calibration file mapped onto a model.
type Report struct {
	Mapped     int      // records matched to a node
	Unmatched  []string // records naming no node (nor the graph input)
	Uncovered  []string // Conv/Gemm/MatMul nodes without a record (left float)
	Mismatched []string // records that do not fit their node
	Points     int      // activation quantization points applied
	Input      string   // the graph-input record, handled by AIPP on the board and not simulated
	Expected   int      // nodes a full file has a record for (every node with a non-constant input)
	Cubes      int      // Conv/Gemm/MatMul nodes; Cubes-len(Uncovered) have a record
	// Missing lists the nodes with a non-constant input and no record: the
	// simulation leaves them float.
	Missing []string
}

// Check is the one rule for simulating a file: records that do not fit
// their node are an error (a file for another model), and so are conv/
// matmul layers without a record unless allowMissing (ErrMissingRecords).
// New applies it; commands that only map a file (Map) apply it too.
func (r *Report) Check(file string, allowMissing bool) error {
	if len(r.Mismatched) > 0 {
		return fmt.Errorf("quant: %s: %s (and %d more): the file was made for another model", file, r.Mismatched[0], len(r.Mismatched)-1)
	}
	if len(r.Uncovered) > 0 && !allowMissing {
		return fmt.Errorf("%w: %s has no record for %d of the %d conv/matmul layers of the model (e.g. %q): a simulation cannot calibrate them as ATC would; calibrate the whole model, or allow missing records to simulate them as float",
			ErrMissingRecords, file, len(r.Uncovered), r.Cubes, r.Uncovered[0])
	}
	return nil
}

// Coverage is the line every table that used the file prints: records
// used of those a full file has, and CUBE layers covered.
func (r *Report) Coverage() string {
	return fmt.Sprintf("%d/%d records, %d/%d conv/matmul layers", r.Expected-len(r.Missing), r.Expected, r.Cubes-len(r.Uncovered), r.Cubes)
}

// ErrMissingRecords is a calibration file that leaves quantized layers of
// the model without a record. ATC accepts such files and calibrates the
// missing layers itself; a simulation cannot, and would report float
// results as quantized ones.
var ErrMissingRecords = errors.New("quant: calibration file lacks records")

// Sim is a model compiled with quantized weights plus the activation
// quantization points of one calibration file and placement.
type Sim struct {
	prog   *engine.Program
	points map[*onnx.Node][]*point // per input index; nil entry: float
	f16out map[*onnx.Node]bool     // calc_data_type F16: outputs rounded to binary16
	maxIn  int
	// strideMul names the detected box × stride Mul ("" without decode).
	strideMul string
	weights   map[string]*tensor.Tensor // quantized weights by initializer name
	compiled  *engine.Simulated         // points and F16 rounding inside the kernels
	summary   Summary                   // set by Calibration.Simulate
}

func nameOf(n *onnx.Node) string {
	if n == nil {
		return ""
	}
	return n.Name
}

// Options configure a simulation.
type Options struct {
	Placement Placement // default DefaultPlacement
	Threads   int
	StopAt    []string
	// AllowMissing simulates a file that lacks records for some Conv, Gemm
	// or MatMul layers, leaving those layers float (Report.Uncovered says
	// which); without it such a file is ErrMissingRecords.
	AllowMissing bool
}

// isCube: the op runs on the multiply-accumulate array (nnie.IsCube, one
// definition for both generations).
func isCube(op string) bool { return nnie.IsCube(op) }

// Map matches a file's records to the nodes of a model without simulating:
// what maps, what does not, and records whose weight scales do not fit the
// node (a file made for another variant of the model).
func Map(m *onnx.Model, f *calib.File) (*Report, error) {
	base, err := engine.Analyze(m, engine.Options{Threads: 1})
	if err != nil {
		return nil, err
	}
	rep, _, err := mapRecords(base, m, f)
	return rep, err
}

// mapRecords builds the report and the quantized weights.
func mapRecords(base *engine.Program, m *onnx.Model, f *calib.File) (*Report, map[string]*tensor.Tensor, error) {
	rep := &Report{}
	byName := map[string]*onnx.Node{}
	for _, n := range base.Nodes() {
		byName[n.Name] = n
	}
	inputs := map[string]bool{}
	for _, in := range m.Inputs {
		inputs[in.Name] = true
	}
	weights := map[string]*tensor.Tensor{}
	for _, l := range f.Layers() {
		n := byName[l.Name]
		switch {
		case n != nil:
			rep.Mapped++
		case inputs[l.Name]:
			rep.Input = l.Name
			continue
		default:
			rep.Unmatched = append(rep.Unmatched, l.Name)
			continue
		}
		if isCube(n.OpType) && len(n.Inputs) > 1 {
			w, ok := base.Constant(n.Inputs[1])
			if !ok && n.OpType == "MatMul" {
				continue // two activations (attention): both are data points, no weights
			}
			if !ok || len(w.Shape) < 1 {
				return nil, nil, fmt.Errorf("quant: %s: node %q: weights are not constant", f.Name, n.Name)
			}
			dt, scales := calib.S8, []float64(nil)
			if l.Weight != nil {
				if l.Weight.DataType != "" {
					dt = l.Weight.DataType
				}
				scales = l.Weight.Scale
				if len(scales) != 0 && len(scales) != w.Shape[0] {
					rep.Mismatched = append(rep.Mismatched, fmt.Sprintf("layer %q: %d weight scales for %d output channels", l.Name, len(scales), w.Shape[0]))
					continue
				}
			}
			q, _ := quantizeWeights(w, dt, scales)
			weights[n.Inputs[1]] = q
		}
	}
	if rep.Mapped == 0 {
		return nil, nil, fmt.Errorf("quant: %s: none of its %d layer records names a node of %s (a file for another model?)", f.Name, len(f.Layers()), m.Source)
	}
	for _, n := range base.Nodes() {
		has := f.Layer(n.Name) != nil
		if isCube(n.OpType) {
			rep.Cubes++
			if !has {
				rep.Uncovered = append(rep.Uncovered, n.Name)
			}
		}
		for _, in := range n.Inputs {
			if _, isConst := base.Constant(in); !isConst && in != "" {
				rep.Expected++
				if !has {
					rep.Missing = append(rep.Missing, n.Name)
				}
				break
			}
		}
	}
	sort.Strings(rep.Unmatched)
	return rep, weights, nil
}

// New compiles m with the quantization f describes.
func New(m *onnx.Model, f *calib.File, o Options) (*Sim, *Report, error) {
	if o.Placement == "" {
		o.Placement = DefaultPlacement
	}
	// A float compile first, to know constants, shapes and the head.
	base, err := engine.Analyze(m, engine.Options{Threads: 1, StopAt: o.StopAt})
	if err != nil {
		return nil, nil, err
	}
	rep, weights, err := mapRecords(base, m, f)
	if err != nil {
		return nil, nil, err
	}
	if err := rep.Check(f.Name, o.AllowMissing); err != nil {
		return nil, nil, err
	}
	prog, err := engine.Compile(m, engine.Options{Threads: o.Threads, Initializers: weights, StopAt: o.StopAt})
	if err != nil {
		return nil, nil, err
	}
	// Analyse the float program: the quantized DFL weights (0, 0.945, …)
	// would hide the DFL conv from its 0..15 signature.
	g := analyse(base)
	s := &Sim{prog: prog, weights: weights, strideMul: nameOf(g.strideMul), points: map[*onnx.Node][]*point{}, f16out: map[*onnx.Node]bool{}}
	for _, n := range prog.Nodes() {
		l := f.Layer(n.Name)
		if l == nil {
			continue
		}
		if l.CalcDataType == calib.F16 {
			s.f16out[n] = true
		}
		// Records list the node's non-constant inputs in order.
		k := 0
		var pts []*point
		for i, in := range n.Inputs {
			if _, isConst := prog.Constant(in); isConst || in == "" {
				continue
			}
			if k >= len(l.Inputs) {
				break
			}
			rec := l.Inputs[k]
			k++
			if !g.placed(o.Placement, n, i) {
				continue
			}
			pt, ok := newPoint(rec)
			if !ok {
				continue
			}
			if o.Placement == FusedSym && n == g.strideMul {
				pt = symmetricOf(pt)
			}
			if pts == nil {
				pts = make([]*point, len(n.Inputs))
			}
			pts[i] = &pt
			rep.Points++
			s.maxIn = max(s.maxIn, i+1)
		}
		if pts != nil {
			s.points[n] = pts
		}
	}
	if s.compiled, err = prog.Simulate(s.simulation()); err != nil {
		return nil, nil, err
	}
	s.summary = svpSummary(f.Name, o.Placement, rep)
	return s, rep, nil
}

// simulation is the points and F16 rounding as engine transforms.
func (s *Sim) simulation() engine.Simulation {
	sim := engine.Simulation{Inputs: map[*onnx.Node][]engine.Transform{}, Outputs: map[*onnx.Node]engine.Transform{}}
	for n, pts := range s.points {
		ts := make([]engine.Transform, len(pts))
		for i, pt := range pts {
			if pt != nil {
				ts[i] = *pt
			}
		}
		sim.Inputs[n] = ts
	}
	for n := range s.f16out {
		sim.Outputs[n] = float16Compute{}
	}
	return sim
}

// PointInfo describes one activation quantization point.
type PointInfo struct {
	Node      string
	Input     int // input index of the node
	Tensor    string
	DataType  string
	Scale     float64 // 1/step; 0 for F16
	Offset    float64
	Symmetric bool
}

// Points lists the activation quantization points in execution order.
func (s *Sim) Points() []PointInfo {
	var out []PointInfo
	for _, n := range s.prog.Nodes() {
		for i, pt := range s.points[n] {
			if pt == nil {
				continue
			}
			out = append(out, PointInfo{Node: n.Name, Input: i, Tensor: n.Inputs[i], DataType: pt.dtype, Scale: float64(pt.scale), Offset: float64(pt.offset), Symmetric: pt.symmetric})
		}
	}
	return out
}

// Program is the compiled model with quantized weights.
func (s *Sim) Program() *engine.Program { return s.prog }

// Hooks returns the activation quantization compiled into the program's
// kernels (engine.Simulated): what evaluation runs. Sessions may share it.
func (s *Sim) Hooks() *engine.Hooks { return &engine.Hooks{Simulated: s.compiled} }

// NodeHooks returns the same quantization as node hooks on the unfused
// step list, for runs that also observe every node (the per-layer
// analysis); the hooks own scratch memory, so use one per session.
func (s *Sim) NodeHooks() *engine.Hooks {
	scratch := make([]*tensor.Tensor, s.maxIn)
	return &engine.Hooks{
		BeforeNode: func(n *onnx.Node, in []*tensor.Tensor) {
			pts := s.points[n]
			for i, pt := range pts {
				if pt == nil || in[i] == nil {
					continue
				}
				t := scratch[i]
				if t == nil || cap(t.F) < len(in[i].F) {
					t = &tensor.Tensor{DType: tensor.Float32, F: make([]float32, len(in[i].F))}
					scratch[i] = t
				}
				t.Shape = in[i].Shape
				t.F = t.F[:len(in[i].F)]
				pt.Apply(t.F, in[i].F)
				in[i] = t
			}
		},
		AfterNode: func(n *onnx.Node, out []*tensor.Tensor) {
			if !s.f16out[n] {
				return
			}
			for _, t := range out {
				fakequant.Float16(t.F, t.F)
			}
		},
	}
}

// Layers names the nodes the simulation changes (activation points, F16
// rounding or quantized weights), in execution order.
func (s *Sim) Layers() []string {
	var out []string
	for _, n := range s.prog.Nodes() {
		if s.points[n] != nil || s.f16out[n] || (isCube(n.OpType) && len(n.Inputs) > 1 && s.quantizedWeights(n)) {
			out = append(out, n.Name)
		}
	}
	return out
}

// OnlyHooks returns hooks for a float program that apply this simulation to
// one layer only: its activation points, quantized weights and F16
// rounding. The search's sensitivity pass runs every layer this way.
func (s *Sim) OnlyHooks(layer string) *engine.Hooks {
	var node *onnx.Node
	for _, n := range s.prog.Nodes() {
		if n.Name == layer {
			node = n
		}
	}
	full := s.NodeHooks()
	return &engine.Hooks{
		BeforeNode: func(n *onnx.Node, in []*tensor.Tensor) {
			if n.Name != layer {
				return
			}
			if isCube(n.OpType) && len(n.Inputs) > 1 {
				if w, ok := s.weights[n.Inputs[1]]; ok {
					in[1] = w
				}
			}
			full.BeforeNode(node, in)
		},
		AfterNode: func(n *onnx.Node, out []*tensor.Tensor) {
			if n.Name == layer {
				full.AfterNode(node, out)
			}
		},
	}
}
