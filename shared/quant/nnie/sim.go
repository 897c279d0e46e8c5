package nnie

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"slices"

	"github.com/nniescope/nniescope/shared/engine"
	"github.com/nniescope/nniescope/shared/onnx"
	"github.com/nniescope/nniescope/shared/preprocess"
	"github.com/nniescope/nniescope/shared/tensor"
)

// FileFormat names the calibration file Calibrate writes (docs/NNIE.md).
const FileFormat = "nniescope-nnie-calibration"

// File is an NNIE calibration: per layer (each Conv, Gemm and MatMul),
// the largest magnitude of each data input over the calibration images
// and of its weights, and the layer's precision. The clips follow from
// the magnitudes by GFPQ's rule for the layer's bits (Clip8, Clip16), so
// one file serves 8-bit, 16-bit and mixed (compile_mode 2) variants.
type File struct {
	Format   string   `json:"format"`
	Version  int      `json:"version"`
	Model    string   `json:"model,omitempty"`
	Images   int      `json:"images"`
	Bits     int      `json:"bits"`     // every layer's, unless the layer says
	Format16 Format16 `json:"format16"` // the 16-bit reading
	LayerSet LayerSet `json:"layer_set"`
	Layers   []Layer  `json:"layers"`
}

// LayerSet says which nodes NNIE is modelled to quantize the inputs of:
// which of its layers requantize their input blobs is not public
// (docs/NNIE.md), so the simulation takes either reading.
type LayerSet string

const (
	// Cube: Conv, Gemm and MatMul (data inputs and weights); every other
	// node computes in float.
	Cube LayerSet = "cube"
	// Eltwise: also Add, Sub, Mul and Div with a data input (Caffe's
	// Eltwise and Scale layers, such as YOLOv8's stride multiply): their
	// data inputs are quantized, constant operands kept.
	Eltwise LayerSet = "eltwise"
)

// ParseLayerSet reads a --nnie-layers value.
func ParseLayerSet(s string) (LayerSet, error) {
	switch LayerSet(s) {
	case Cube, Eltwise:
		return LayerSet(s), nil
	}
	return "", fmt.Errorf("layer set %q: want %s or %s", s, Cube, Eltwise)
}

// Has says whether the set quantizes a node of this op type.
func (s LayerSet) Has(op string) bool {
	switch op {
	case "Conv", "Gemm", "MatMul":
		return true
	case "Add", "Sub", "Mul", "Div":
		return s == Eltwise
	}
	return false
}

// IsCube says whether an ONNX op runs on the NPU's multiply-accumulate
// array (the "CUBE" of both generations): Conv, Gemm and MatMul. Every
// such node of a model needs a calibration record, and its input 1, when
// constant, is weights. shared/quant uses it for ATC files too.
func IsCube(op string) bool { return op == "Conv" || op == "Gemm" || op == "MatMul" }

// Layer is one layer's calibration.
type Layer struct {
	Name string `json:"name"`
	Op   string `json:"op"`
	// Inputs are the data inputs' largest magnitudes, in input order;
	// Index is each one's input index on the node.
	Inputs []float64 `json:"inputs_max_abs"`
	Index  []int     `json:"input_index"`
	Weight float64   `json:"weight_max_abs,omitempty"` // 0: no constant weight
	// Bits overrides the file's: 16 marks a high-precision layer of
	// compile_mode 2.
	Bits int `json:"bits,omitempty"`
}

// layerBits is the precision the layer runs at.
func (f *File) layerBits(l *Layer) int {
	if l.Bits != 0 {
		return l.Bits
	}
	return f.Bits
}

// Load reads a calibration file, checking it is one.
func Load(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// IsFile reports whether b starts like a JSON object (an NNIE
// calibration, not an ATC calibration_param.txt).
func IsFile(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n\ufeff")
	return len(b) > 0 && b[0] == '{'
}

// Decode parses and checks a calibration file.
func Decode(b []byte) (*File, error) {
	var f File
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&f); err != nil {
		return nil, fmt.Errorf("nnie calibration: %w", err)
	}
	if f.Format != FileFormat || f.Version != 1 {
		return nil, fmt.Errorf("nnie calibration: format %q version %d, want %q version 1", f.Format, f.Version, FileFormat)
	}
	if f.Bits != 8 && f.Bits != 16 {
		return nil, fmt.Errorf("nnie calibration: bits %d, want 8 or 16", f.Bits)
	}
	if _, err := Parse16(string(f.Format16)); err != nil {
		return nil, fmt.Errorf("nnie calibration: %w", err)
	}
	if _, err := ParseLayerSet(string(f.LayerSet)); err != nil {
		return nil, fmt.Errorf("nnie calibration: %w", err)
	}
	seen := make(map[string]bool, len(f.Layers))
	for i := range f.Layers {
		l := &f.Layers[i]
		if seen[l.Name] {
			return nil, fmt.Errorf("nnie calibration: layer %q is listed twice (which one holds?)", l.Name)
		}
		seen[l.Name] = true
		for k, idx := range l.Index {
			if idx < 0 || slices.Contains(l.Index[:k], idx) {
				return nil, fmt.Errorf("nnie calibration: layer %q: input_index %v: want distinct node input numbers from 0", l.Name, l.Index)
			}
		}
		if l.Bits != 0 && l.Bits != 8 && l.Bits != 16 {
			return nil, fmt.Errorf("nnie calibration: layer %q: bits %d, want 8 or 16", l.Name, l.Bits)
		}
		if len(l.Index) != len(l.Inputs) {
			return nil, fmt.Errorf("nnie calibration: layer %q: %d input indices for %d inputs", l.Name, len(l.Index), len(l.Inputs))
		}
		for _, m := range append(slices.Clone(l.Inputs), l.Weight) {
			if m < 0 || math.IsNaN(m) || math.IsInf(m, 0) {
				return nil, fmt.Errorf("nnie calibration: layer %q: magnitude %v, want a finite number ≥ 0", l.Name, m)
			}
		}
	}
	return &f, nil
}

// Save writes the file.
func (f *File) Save(path string) error {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// Coverage says what a variant of this file simulates, for tables.
func (f *File) Coverage() string {
	high := 0
	for i := range f.Layers {
		if f.layerBits(&f.Layers[i]) == 16 {
			high++
		}
	}
	if f.Bits == 16 {
		return fmt.Sprintf("nnie 16-bit (%s), %d %s layers", f.Format16, len(f.Layers), f.LayerSet)
	}
	return fmt.Sprintf("nnie 8-bit, %d %s layers, %d of them 16-bit", len(f.Layers), f.LayerSet, high)
}

// clip is a magnitude's clip at a precision (0 for no data).
func clip(bits int, maxAbs float64) float64 {
	if bits == 16 {
		return Clip16(maxAbs)
	}
	return Clip8(maxAbs)
}

// WriteGFPQParams writes the data clips the way MQBench hands them to
// nnie_mapper, {"nnie": {"gfpq_param_dict": {layer: [clip...]}}}: the
// community's format for a gfpq_param_file (nnie_mapper's own is not
// public). Layers are named as in the ONNX model; after an ONNX→Caffe
// conversion they must be renamed to the Caffe layers.
func (f *File) WriteGFPQParams(w io.Writer) error {
	d := map[string][]float64{}
	for i := range f.Layers {
		l := &f.Layers[i]
		for _, m := range l.Inputs {
			d[l.Name] = append(d[l.Name], float64(float32(clip(f.layerBits(l), m))))
		}
	}
	b, err := json.MarshalIndent(map[string]any{"nnie": map[string]any{"gfpq_param_dict": d}}, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// CalibOptions configure Calibrate.
type CalibOptions struct {
	Bits     int
	Format16 Format16 // default GFPQ16
	LayerSet LayerSet // default Cube
	Threads  int
	StopAt   []string
	Model    string // recorded in the file
}

// Calibrate runs the float model over the images and records, per
// layer, the largest magnitude of each data input and of its weights.
func Calibrate(ctx context.Context, m *onnx.Model, images []string, o CalibOptions, progress func(done, total int)) (*File, error) {
	if o.Bits != 8 && o.Bits != 16 {
		return nil, fmt.Errorf("nnie: calibrate: bits %d, want 8 or 16", o.Bits)
	}
	if o.Format16 == "" {
		o.Format16 = GFPQ16
	}
	if o.LayerSet == "" {
		o.LayerSet = Cube
	}
	if len(images) == 0 {
		return nil, fmt.Errorf("nnie: calibrate: no images")
	}
	prog, err := engine.Compile(m, engine.Options{Threads: o.Threads, StopAt: o.StopAt})
	if err != nil {
		return nil, err
	}
	in := prog.Inputs()
	if len(in) != 1 || len(in[0].Shape) != 4 {
		return nil, fmt.Errorf("nnie: calibrate: want one [1,3,H,W] input, have %v", in)
	}
	f := &File{Format: FileFormat, Version: 1, Model: o.Model, Images: len(images), Bits: o.Bits, Format16: o.Format16, LayerSet: o.LayerSet}
	at := map[*onnx.Node]int{}
	for _, n := range prog.Nodes() {
		if !o.LayerSet.Has(n.OpType) {
			continue
		}
		withBias := n.OpType == "Conv" || n.OpType == "Gemm"
		l := Layer{Name: n.Name, Op: n.OpType}
		for i, name := range n.Inputs {
			if name == "" || (withBias && i > 1) {
				continue // the bias
			}
			if w, ok := prog.Constant(name); ok {
				if withBias && i == 1 {
					l.Weight = MaxAbs(w.F)
				}
				continue // an eltwise layer's constant operand stays as it is
			}
			l.Index = append(l.Index, i)
			l.Inputs = append(l.Inputs, 0)
		}
		if len(l.Index) == 0 {
			continue // constant arithmetic, folded
		}
		at[n] = len(f.Layers)
		f.Layers = append(f.Layers, l)
	}
	sess := prog.NewSession()
	defer sess.Close()
	x := tensor.New(in[0].Shape...)
	hooks := &engine.Hooks{BeforeNode: func(n *onnx.Node, ins []*tensor.Tensor) {
		li, ok := at[n]
		if !ok {
			return
		}
		l := &f.Layers[li]
		for k, i := range l.Index {
			if ins[i].DType == tensor.Float32 { // shape arithmetic is not data
				l.Inputs[k] = max(l.Inputs[k], MaxAbs(ins[i].F))
			}
		}
	}}
	for i, path := range images {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("nnie: calibrate: stopped after %d of %d images: %w", i, len(images), err)
		}
		if _, err := preprocess.File(path, in[0].Shape[3], in[0].Shape[2], x.F); err != nil {
			return nil, err
		}
		if _, err := sess.Run(ctx, []*tensor.Tensor{x}, hooks); err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("nnie: calibrate: stopped after %d of %d images: %w", i, len(images), ctx.Err())
			}
			return nil, fmt.Errorf("nnie: calibrate: %s: %w", path, err)
		}
		if progress != nil {
			progress(i+1, len(images))
		}
	}
	return f, nil
}

// Sim is a model as NNIE computes it: each layer's weights and data
// inputs in the layer's logarithmic format, everything else float. Its
// hooks hold one buffer per quantized input: one run at a time.
type Sim struct {
	prog     *engine.Program
	hooks    *engine.Hooks             // node hooks (NodeHooks)
	compiled *engine.Simulated         // the same inside the kernels (Hooks)
	weights  map[string]*tensor.Tensor // quantized, by initializer name
	layers   []string                  // the nodes it quantizes, in model order
}

// Layers are the nodes the simulation quantizes (their data inputs, and
// their weights), in model order.
func (s *Sim) Layers() []string { return s.layers }

// OnlyHooks are hooks for the float program of the same model that apply
// one layer's quantization alone — its quantized weights and data inputs
// — leaving every other node float: the search's sensitivity proxy.
func (s *Sim) OnlyHooks(layer string) *engine.Hooks {
	return &engine.Hooks{BeforeNode: func(n *onnx.Node, in []*tensor.Tensor) {
		if n.Name != layer {
			return
		}
		if IsCube(n.OpType) && len(n.Inputs) > 1 {
			if w, ok := s.weights[n.Inputs[1]]; ok {
				in[1] = w
			}
		}
		s.hooks.BeforeNode(n, in)
	}}
}

// Changed lists the program's nodes the simulation quantizes, in order
// (quant.Simulation).
func (s *Sim) Changed() []*onnx.Node {
	in := map[string]bool{}
	for _, l := range s.layers {
		in[l] = true
	}
	var nodes []*onnx.Node
	for _, n := range s.prog.Nodes() {
		if in[n.Name] {
			nodes = append(nodes, n)
		}
	}
	return nodes
}

// RunIsolated runs node n of the program (its weights quantized) on the
// float values, its data inputs quantized as the simulation does: n's
// error alone (quant.Simulation).
func (s *Sim) RunIsolated(n *onnx.Node, float map[string]*tensor.Tensor) (*tensor.Tensor, error) {
	in := make([]*tensor.Tensor, len(n.Inputs))
	for i, name := range n.Inputs {
		in[i] = float[name]
	}
	quantized := map[string]*tensor.Tensor{}
	s.hooks.BeforeNode(n, in) // replaces the data inputs with quantized copies
	for i, name := range n.Inputs {
		if in[i] != nil && in[i] != float[name] {
			quantized[name] = in[i].Clone()
		}
	}
	outs, err := s.prog.RunNode(n, func(name string) *tensor.Tensor {
		if q, ok := quantized[name]; ok {
			return q
		}
		return float[name]
	})
	if err != nil {
		return nil, fmt.Errorf("nnie: isolated %s: %w", n.Name, err)
	}
	return outs[0], nil
}

// AtBits is a copy of f read at bits for every layer (the clips are the
// same at either precision: only the code changes).
func (f *File) AtBits(bits int) *File {
	c := *f
	c.Bits = bits
	c.Layers = append([]Layer(nil), f.Layers...)
	for i := range c.Layers {
		c.Layers[i].Bits = 0
	}
	return &c
}

// WithHighPrecision is a copy of f with the named layers in 16-bit
// (nnie_mapper's compile_mode 2); a name that is no layer of the file is
// an error.
func (f *File) WithHighPrecision(layers ...string) (*File, error) {
	c := *f
	c.Layers = append([]Layer(nil), f.Layers...)
	for _, name := range layers {
		found := false
		for i := range c.Layers {
			if c.Layers[i].Name == name {
				c.Layers[i].Bits, found = 16, true
			}
		}
		if !found {
			return nil, fmt.Errorf("nnie: %q is no layer of the calibration file", name)
		}
	}
	return &c, nil
}

// Program is the program with the layers' weights quantized.
func (s *Sim) Program() *engine.Program { return s.prog }

// Hooks quantize the layers' data inputs inside the kernels
// (engine.Simulated); pass them to every run. Sessions may share them.
func (s *Sim) Hooks() *engine.Hooks { return &engine.Hooks{Simulated: s.compiled} }

// NodeHooks are the same quantization as a BeforeNode hook on the unfused
// step list, for runs that also observe every node; they hold one buffer
// per quantized input: one run at a time.
func (s *Sim) NodeHooks() *engine.Hooks { return s.hooks }

// dataPoint quantizes one data input of a layer into its buffer.
type dataPoint struct {
	index int
	q     quantizer
	buf   *tensor.Tensor
}

// quantizer is one clip at one precision, an engine.Transform. It is
// compared by its code's pointer: NewSim makes one per distinct clip and
// precision, so readers of a tensor with the same clip share it.
type quantizer struct {
	q interface{ Quantize(float32) float32 } // nil: no data ever reached it, zero is all there is
}

func (z quantizer) Apply(dst, src []float32) {
	if z.q == nil {
		clear(dst)
		return
	}
	switch q := z.q.(type) {
	case *Log8:
		q.QuantizeSlice(dst, src)
		return
	case *Log16:
		q.QuantizeSlice(dst, src)
		return
	}
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = z.q.Quantize(v)
	}
}

type quantizerKey struct {
	bits   int
	f16    Format16
	maxAbs float64
}

// quantizers makes each distinct quantizer once.
type quantizers map[quantizerKey]quantizer

func (qs quantizers) get(bits int, f16 Format16, maxAbs float64) (quantizer, error) {
	key := quantizerKey{bits, f16, maxAbs}
	if z, ok := qs[key]; ok {
		return z, nil
	}
	c := clip(bits, maxAbs)
	var z quantizer
	switch {
	case c == 0:
	case bits == 8:
		q8, err := NewLog8(c)
		if err != nil {
			return z, err
		}
		z.q = &q8
	default:
		q16, err := NewLog16(f16, c)
		if err != nil {
			return z, err
		}
		z.q = &q16
	}
	qs[key] = z
	return z, nil
}

// NewSim builds the simulation of m under f. Every Conv, Gemm and MatMul
// of the model must have a record; a record naming no node of the model
// is an error (a file made for another model).
func NewSim(m *onnx.Model, f *File, threads int, stopAt []string) (*Sim, error) {
	base, err := engine.Analyze(m, engine.Options{Threads: 1, StopAt: stopAt})
	if err != nil {
		return nil, err
	}
	byName := map[string]*Layer{}
	for i := range f.Layers {
		byName[f.Layers[i].Name] = &f.Layers[i]
	}
	weights := map[string]*tensor.Tensor{}
	qs := quantizers{}
	data := map[string][]dataPoint{} // by node name: the compiled program has its own nodes
	for _, n := range base.Nodes() {
		l := byName[n.Name]
		if !f.LayerSet.Has(n.OpType) {
			continue
		}
		if l == nil {
			if IsCube(n.OpType) {
				return nil, fmt.Errorf("nnie: layer %q (%s) has no record in the calibration file", n.Name, n.OpType)
			}
			continue // eltwise arithmetic on constants only
		}
		delete(byName, n.Name)
		bits := f.layerBits(l)
		if len(n.Inputs) > 1 && IsCube(n.OpType) {
			if w, ok := base.Constant(n.Inputs[1]); ok && l.Weight > 0 {
				q, err := qs.get(bits, f.Format16, MaxAbs(w.F))
				if err != nil {
					return nil, fmt.Errorf("nnie: layer %q weights: %w", n.Name, err)
				}
				qw := tensor.New(w.Shape...)
				q.Apply(qw.F, w.F)
				weights[n.Inputs[1]] = qw
			}
		}
		for k, i := range l.Index {
			if i < 0 || i >= len(n.Inputs) {
				return nil, fmt.Errorf("nnie: layer %q: input %d: the node has %d inputs", n.Name, i, len(n.Inputs))
			}
			shape, ok := base.Shape(n.Inputs[i])
			if !ok {
				return nil, fmt.Errorf("nnie: layer %q: input %q has no shape", n.Name, n.Inputs[i])
			}
			q, err := qs.get(bits, f.Format16, l.Inputs[k])
			if err != nil {
				return nil, fmt.Errorf("nnie: layer %q input %d: %w", n.Name, i, err)
			}
			data[n.Name] = append(data[n.Name], dataPoint{i, q, tensor.New(shape...)})
		}
	}
	for _, l := range f.Layers { // in file order, so the error names the first
		if byName[l.Name] != nil {
			return nil, fmt.Errorf("nnie: the calibration file's layer %q is not a node it quantizes (%s) in this model (a file made for another model?)", l.Name, f.LayerSet)
		}
	}
	prog, err := engine.Compile(m, engine.Options{Threads: threads, Initializers: weights, StopAt: stopAt})
	if err != nil {
		return nil, err
	}
	hooks := &engine.Hooks{BeforeNode: func(n *onnx.Node, in []*tensor.Tensor) {
		for _, p := range data[n.Name] {
			if in[p.index] == nil || in[p.index].DType != tensor.Float32 || len(in[p.index].F) != len(p.buf.F) {
				continue // shape arithmetic is not data
			}
			p.q.Apply(p.buf.F, in[p.index].F)
			in[p.index] = p.buf
		}
	}}
	var layers []string
	for _, n := range base.Nodes() {
		if _, ok := data[n.Name]; ok {
			layers = append(layers, n.Name)
		}
	}
	// The same quantization compiled into the kernels, for evaluation.
	sim := engine.Simulation{Inputs: map[*onnx.Node][]engine.Transform{}}
	for _, n := range prog.Nodes() {
		for _, p := range data[n.Name] {
			if _, isConst := prog.Constant(n.Inputs[p.index]); isConst {
				continue // shape arithmetic is not data
			}
			ts := sim.Inputs[n]
			if ts == nil {
				ts = make([]engine.Transform, len(n.Inputs))
				sim.Inputs[n] = ts
			}
			ts[p.index] = p.q
		}
	}
	compiled, err := prog.Simulate(sim)
	if err != nil {
		return nil, err
	}
	return &Sim{prog: prog, hooks: hooks, compiled: compiled, weights: weights, layers: layers}, nil
}
