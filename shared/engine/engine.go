// Package engine executes a loaded ONNX graph in float32, with every
// intermediate tensor observable (and replaceable) by node through Hooks.
//
// A Program is compiled once from an onnx.Model: operators are checked and
// bound, shapes inferred, constant subgraphs (shape arithmetic of
// unsimplified exports) folded, weights pre-packed, and activation buffers
// planned by liveness. A Session owns those buffers and runs the Program
// without allocating per frame. Programs are immutable and safe to share;
// a Session is used by one goroutine at a time.
package engine

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/nniescope/nniescope/shared/onnx"
	"github.com/nniescope/nniescope/shared/tensor"
)

// Options configure compilation. The zero value is usable.
type Options struct {
	// Threads used by a Session's kernels; 0 means GOMAXPROCS.
	Threads int
	// Initializers replace the model's constant tensors by name (same shape),
	// e.g. quantized weights from the quantization simulator.
	Initializers map[string]*tensor.Tensor
	// StopAt, when non-empty, names values that become the program's outputs
	// instead of the graph's; nodes not needed for them are dropped. It is
	// how a graph is cut before a custom post-process tail.
	StopAt []string
	// ReleaseWeights keeps each Conv's weights only in the packed form its
	// kernel reads, instead of also as the float tensor they came from: a
	// board running a model does not need a second copy (12 MB for
	// yolov8n). Constant no longer returns released weights and
	// Program.Model no longer holds them; a BeforeNode hook sees one as a
	// tensor with its shape and no data, and may still replace it.
	ReleaseWeights bool
}

// Hooks observe and may alter a run. Tensors handed to a hook are valid only
// during the call: buffers are reused later in the run. Copy what you keep.
type Hooks struct {
	// BeforeNode sees the node's inputs and may replace entries of in with
	// tensors of the same shape; the replacement feeds this node only.
	BeforeNode func(n *onnx.Node, in []*tensor.Tensor)
	// AfterNode sees the node's outputs and may change their data in place;
	// the change is what downstream nodes consume.
	AfterNode func(n *onnx.Node, out []*tensor.Tensor)
	// Simulated runs a Simulation compiled into the fused step list
	// (Program.Simulate) instead of calling back per node: the same
	// results as the equivalent BeforeNode/AfterNode hooks, with the
	// transforms applied inside the steps. BeforeNode and AfterNode must
	// be nil with it.
	Simulated *Simulated
}

// Program is a compiled, immutable executable graph.
type Program struct {
	model   *onnx.Model
	threads int
	values  []value
	steps   []step // every node: the order hooks observe
	inputs  []int  // value ids of graph inputs
	outputs []int  // value ids of program outputs
	byName  map[string]int
	// plain runs steps; fast runs the same graph with Conv→Sigmoid→Mul
	// (SiLU) chains fused into one step. Hooked runs use plain, so hooks
	// see every node; runs without hooks use fast.
	plain, fast layout
	release     bool      // Options.ReleaseWeights, applied when lowering
	lowerOnce   sync.Once // lower: packing, fusion, buffer plans
}

// layout is one executable step list with its memory plan.
type layout struct {
	steps  []step
	offset []int // per value: where it lives in the arena, -1 when not materialised
	arena  int   // floats the plan needs
	// values is the program's values plus those only this step list has
	// (a simulation's quantized copies); nil means the program's.
	values []value
}

func (p *Program) valuesOf(l *layout) []value {
	if l.values != nil {
		return l.values
	}
	return p.values
}

type value struct {
	name     string
	dtype    tensor.DType
	shape    []int
	konst    *tensor.Tensor // non-nil for initializers and folded values
	released bool           // konst is a shape-only stub (Options.ReleaseWeights)
	producer int            // step index, -1 for inputs and constants
}

type step struct {
	node *onnx.Node
	in   []int
	out  []int
	run  kernel
	conv *convKernel // set for Conv steps, to build the fused variant
	// post, when set, rewrites the outputs after run (a simulation's
	// epilogue: rounding and fake quantization while the data is fresh).
	post func(x *exec, out []*tensor.Tensor)
}

// kernel computes out from in; out tensors are preallocated with their
// inferred shapes. It must not retain the tensors.
type kernel func(x *exec, in, out []*tensor.Tensor) error

// Inputs returns the program's input names and shapes.
func (p *Program) Inputs() []onnx.ValueInfo { return p.infos(p.inputs) }

// Outputs returns the program's output names and shapes.
func (p *Program) Outputs() []onnx.ValueInfo { return p.infos(p.outputs) }

// Model returns the model the program was compiled from.
func (p *Program) Model() *onnx.Model { return p.model }

// Shape returns the inferred shape of a named value.
func (p *Program) Shape(name string) ([]int, bool) {
	id, ok := p.byName[name]
	if !ok {
		return nil, false
	}
	return append([]int(nil), p.values[id].shape...), true
}

// Constant reports whether a named value is known at compile time (an
// initializer or a folded result), and returns it.
func (p *Program) Constant(name string) (*tensor.Tensor, bool) {
	id, ok := p.byName[name]
	if !ok || p.values[id].konst == nil || p.values[id].released {
		return nil, false
	}
	return p.values[id].konst, true
}

// RunNode computes one node alone: non-constant inputs come from value
// (by name, e.g. tensors captured from another run), constants from the
// program. It allocates its outputs; it is for analysis, not the hot path.
func (p *Program) RunNode(n *onnx.Node, value func(name string) *tensor.Tensor) ([]*tensor.Tensor, error) {
	for i := range p.steps {
		st := &p.steps[i]
		if st.node != n {
			continue
		}
		in := make([]*tensor.Tensor, len(st.in))
		for k, id := range st.in {
			if id < 0 {
				continue
			}
			v := p.values[id]
			if v.konst != nil {
				in[k] = v.konst
				continue
			}
			t := value(v.name)
			if t == nil || !tensor.EqualShape(t.Shape, v.shape) {
				return nil, fmt.Errorf("engine: node %q: input %q missing or not of shape %v", n.Name, v.name, v.shape)
			}
			in[k] = t
		}
		out := make([]*tensor.Tensor, len(st.out))
		for k, id := range st.out {
			out[k] = allocTensor(p.values[id].dtype, p.values[id].shape)
		}
		if err := st.run(&exec{threads: 1}, in, out); err != nil {
			return nil, fmt.Errorf("engine: node %q (%s): %w", n.Name, n.OpType, err)
		}
		return out, nil
	}
	return nil, fmt.Errorf("engine: node %q is not part of this program", n.Name)
}

// Nodes returns the nodes the program runs, in execution order.
func (p *Program) Nodes() []*onnx.Node {
	ns := make([]*onnx.Node, len(p.steps))
	for i, s := range p.steps {
		ns[i] = s.node
	}
	return ns
}

func (p *Program) infos(ids []int) []onnx.ValueInfo {
	vs := make([]onnx.ValueInfo, len(ids))
	for i, id := range ids {
		v := p.values[id]
		vs[i] = onnx.ValueInfo{Name: v.name, DType: v.dtype, Shape: append([]int(nil), v.shape...)}
	}
	return vs
}

// SupportedOps lists the operator types of the default domain the engine
// executes.
func SupportedOps() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Compile analyses and lowers a model: Analyze, then the weight packing,
// fusion and buffer plan that running needs. Every unsupported operator is
// an error here, never in the middle of a run.
func Compile(m *onnx.Model, opts Options) (*Program, error) {
	p, err := Analyze(m, opts)
	if err != nil {
		return nil, err
	}
	p.lower()
	return p, nil
}

// Analyze checks and binds a model without lowering it: operator support,
// shapes, types and constant folding, which is all that reading a model's
// outputs, constants and nodes needs (detect.Classes, the calibration
// mapping, the cost model). Weights are not packed nor buffers planned
// until the program first runs (NewSession or RunNode lower it, once).
func Analyze(m *onnx.Model, opts Options) (*Program, error) {
	p := &Program{model: m, threads: opts.Threads, byName: map[string]int{}, release: opts.ReleaseWeights}
	if p.threads <= 0 {
		p.threads = runtime.GOMAXPROCS(0)
	}
	addValue := func(v value) int {
		p.values = append(p.values, v)
		id := len(p.values) - 1
		p.byName[v.name] = id
		return id
	}
	for name, t := range m.Initializers {
		if r, ok := opts.Initializers[name]; ok {
			if !tensor.EqualShape(r.Shape, t.Shape) {
				return nil, fmt.Errorf("engine: %s: replacement for initializer %q has shape %v, want %v", m.Source, name, r.Shape, t.Shape)
			}
			t = r
		}
		addValue(value{name: name, dtype: t.DType, shape: t.Shape, konst: t, producer: -1})
	}
	for name := range opts.Initializers {
		if _, ok := m.Initializers[name]; !ok {
			return nil, fmt.Errorf("engine: %s: replacement for initializer %q: the model has no such initializer", m.Source, name)
		}
	}
	for _, in := range m.Inputs {
		for i, d := range in.Shape {
			switch {
			case d < 0:
				return nil, fmt.Errorf("engine: %s: input %q dimension %d is dynamic (%v): export the model with a static input shape", m.Source, in.Name, i, in.Shape)
			case d == 0:
				return nil, fmt.Errorf("engine: %s: input %q dimension %d is 0 (%v): an empty input holds nothing to run on", m.Source, in.Name, i, in.Shape)
			}
		}
		switch {
		case in.Shape == nil:
			return nil, fmt.Errorf("engine: %s: input %q has no shape: export the model with a static input shape", m.Source, in.Name)
		case len(in.Shape) == 0:
			return nil, fmt.Errorf("engine: %s: input %q is a scalar (rank 0): the engine takes tensor inputs with static dims", m.Source, in.Name)
		}
		p.inputs = append(p.inputs, addValue(value{name: in.Name, dtype: in.DType, shape: in.Shape, producer: -1}))
	}
	nodes, err := neededNodes(m, opts.StopAt)
	if err != nil {
		return nil, err
	}
	if err := checkOps(m.Source, nodes); err != nil {
		return nil, err
	}
	x := &exec{threads: 1}
	for _, n := range nodes {
		def := registry[n.OpType]
		ins := make([]*value, len(n.Inputs))
		inIDs := make([]int, len(n.Inputs))
		for i, name := range n.Inputs {
			if name == "" {
				inIDs[i] = -1
				continue
			}
			id := p.byName[name]
			inIDs[i] = id
			ins[i] = &p.values[id]
		}
		if len(ins) < def.minIn || (def.maxIn >= 0 && len(ins) > def.maxIn) {
			return nil, fmt.Errorf("engine: %s: node %q (%s): %d inputs, want %d..%d", m.Source, n.Name, n.OpType, len(ins), def.minIn, def.maxIn)
		}
		for i := 0; i < def.minIn; i++ {
			if ins[i] == nil {
				return nil, fmt.Errorf("engine: %s: node %q (%s): required input %d is empty", m.Source, n.Name, n.OpType, i)
			}
		}
		if def.floatOnly && ins[0].dtype != tensor.Float32 {
			return nil, fmt.Errorf("engine: %s: node %q (%s): input %q is %s: %s computes on FLOAT data only", m.Source, n.Name, n.OpType, n.Inputs[0], ins[0].dtype, n.OpType)
		}
		var conv *convKernel
		var metas []meta
		var k kernel
		var err error
		if n.OpType == "Conv" {
			metas, conv, err = bindConvKernel(n, ins, bindCtx{threads: p.threads, opset: m.Opset})
			if conv != nil {
				k = conv.run
			}
		} else {
			metas, k, err = def.bind(n, ins, bindCtx{threads: p.threads, opset: m.Opset})
		}
		if err != nil {
			return nil, fmt.Errorf("engine: %s: node %q (%s): %w", m.Source, n.Name, n.OpType, err)
		}
		if len(metas) != len(n.Outputs) {
			return nil, fmt.Errorf("engine: %s: node %q (%s): produces %d outputs, the graph names %d", m.Source, n.Name, n.OpType, len(metas), len(n.Outputs))
		}
		allConst := true
		for _, v := range ins {
			if v != nil && v.konst == nil {
				allConst = false
			}
		}
		if n.OpType == "Shape" {
			allConst = true // the shape is known statically
		}
		if allConst {
			// Fold: run the kernel now and keep the result as a constant.
			in := make([]*tensor.Tensor, len(ins))
			for i, v := range ins {
				if v != nil {
					if v.konst != nil {
						in[i] = v.konst
					} else {
						in[i] = &tensor.Tensor{DType: v.dtype, Shape: v.shape}
					}
				}
			}
			out := make([]*tensor.Tensor, len(metas))
			for i, mt := range metas {
				out[i] = allocTensor(mt.dtype, mt.shape)
			}
			if err := k(x, in, out); err != nil {
				return nil, fmt.Errorf("engine: %s: node %q (%s): folding constant: %w", m.Source, n.Name, n.OpType, err)
			}
			for i, name := range n.Outputs {
				addValue(value{name: name, dtype: metas[i].dtype, shape: metas[i].shape, konst: out[i], producer: -1})
			}
			continue
		}
		st := step{node: n, in: inIDs, run: k, conv: conv}
		for i, name := range n.Outputs {
			if metas[i].dtype != tensor.Float32 {
				return nil, fmt.Errorf("engine: %s: node %q (%s): output %q is %s computed at run time; only float32 tensors flow at run time (shape arithmetic must be constant)", m.Source, n.Name, n.OpType, name, metas[i].dtype)
			}
			st.out = append(st.out, addValue(value{name: name, dtype: metas[i].dtype, shape: metas[i].shape, producer: len(p.steps)}))
		}
		p.steps = append(p.steps, st)
	}
	outNames := opts.StopAt
	if len(outNames) == 0 {
		for _, o := range m.Outputs {
			outNames = append(outNames, o.Name)
		}
	}
	for _, name := range outNames {
		id, ok := p.byName[name]
		if !ok {
			return nil, fmt.Errorf("engine: %s: output %q is not a value of the graph", m.Source, name)
		}
		p.outputs = append(p.outputs, id)
	}
	return p, nil
}

// lower packs every conv's weights (then, with ReleaseWeights, drops their
// float copies), fuses Conv+SiLU and plans the buffers of both step
// lists, once.
func (p *Program) lower() {
	p.lowerOnce.Do(func() {
		for _, st := range p.steps {
			if st.conv != nil {
				st.conv.panels()
			}
		}
		if p.release {
			p.releaseConvWeights()
		}
		p.plain = p.plan(p.steps, p.values)
		p.fast = p.plan(p.fuseSiLU(), p.values)
	})
}

// releaseConvWeights replaces the float data of every weight that only
// Conv steps read (each holds it packed) by a shape-only stub, and drops
// those initializers from the model the program keeps. It runs before
// the fused layout copies the kernels, so both layouts share the stubs.
func (p *Program) releaseConvWeights() {
	otherUse := map[int]bool{}
	convWeight := map[int][]*convKernel{}
	for _, st := range p.steps {
		for i, id := range st.in {
			switch {
			case id < 0:
			case st.conv != nil && i == 1:
				convWeight[id] = append(convWeight[id], st.conv)
			default:
				otherUse[id] = true
			}
		}
	}
	for _, id := range p.outputs {
		otherUse[id] = true
	}
	released := map[string]bool{}
	for id, convs := range convWeight {
		v := &p.values[id]
		if otherUse[id] || v.konst == nil {
			continue
		}
		stub := &tensor.Tensor{DType: v.konst.DType, Shape: v.konst.Shape}
		for _, c := range convs {
			c.weight = stub
			c.packed.src = nil // packed already (lower)
		}
		v.konst, v.released = stub, true
		released[v.name] = true
	}
	if len(released) == 0 {
		return
	}
	m := *p.model
	m.Initializers = make(map[string]*tensor.Tensor, len(p.model.Initializers))
	for name, t := range p.model.Initializers {
		if !released[name] {
			m.Initializers[name] = t
		}
	}
	p.model = &m
}

// checkOps reports every unsupported operator at once.
func checkOps(source string, nodes []*onnx.Node) error {
	var bad []string
	for _, n := range nodes {
		if _, ok := registry[n.OpType]; !ok || n.Domain != "" {
			dom := ""
			if n.Domain != "" {
				dom = n.Domain + "::"
			}
			bad = append(bad, fmt.Sprintf("%s%s (node %q)", dom, n.OpType, n.Name))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	if len(bad) > 5 {
		bad = append(bad[:5], fmt.Sprintf("and %d more", len(bad)-5))
	}
	return fmt.Errorf("engine: %s: unsupported operator %s; supported: %s (a post-process tail made of standard ops can be cut off by naming its first node or op type: TailOps, the CLI's --tail-op)", source, strings.Join(bad, ", "), strings.Join(SupportedOps(), ", "))
}

// neededNodes returns the nodes needed to compute stopAt (all nodes when
// stopAt is empty). Cutting happens before checkOps would see a custom tail.
func neededNodes(m *onnx.Model, stopAt []string) ([]*onnx.Node, error) {
	if len(stopAt) == 0 {
		return m.Nodes, nil
	}
	producer := map[string]*onnx.Node{}
	for _, n := range m.Nodes {
		for _, o := range n.Outputs {
			producer[o] = n
		}
	}
	need := map[*onnx.Node]bool{}
	var visit func(name string)
	visit = func(name string) {
		n := producer[name]
		if n == nil || need[n] {
			return
		}
		need[n] = true
		for _, in := range n.Inputs {
			visit(in)
		}
	}
	for _, s := range stopAt {
		if _, ok := producer[s]; !ok {
			if _, isInit := m.Initializers[s]; !isInit {
				return nil, fmt.Errorf("engine: %s: cut point %q is not produced by any node", m.Source, s)
			}
		}
		visit(s)
	}
	var out []*onnx.Node
	for _, n := range m.Nodes {
		if need[n] {
			out = append(out, n)
		}
	}
	return out, nil
}

// siluChain is a Conv whose output feeds only a Sigmoid and the Mul of the
// two (YOLOv8's SiLU): step indices of the three.
type siluChain struct{ conv, sig, mul int }

// siluChains finds every SiLU chain of the plain step list, by conv.
func (p *Program) siluChains() map[int]siluChain {
	consumers := map[int][]int{}
	for si, st := range p.steps {
		for _, id := range st.in {
			if id >= 0 {
				consumers[id] = append(consumers[id], si)
			}
		}
	}
	isOut := map[int]bool{}
	for _, id := range p.outputs {
		isOut[id] = true
	}
	chains := map[int]siluChain{}
	for si, st := range p.steps {
		if st.conv == nil || st.conv.silu || len(st.out) != 1 || isOut[st.out[0]] {
			continue
		}
		c := st.out[0]
		cs := consumers[c]
		if len(cs) != 2 {
			continue
		}
		sig, mul := cs[0], cs[1]
		if p.steps[sig].node.OpType != "Sigmoid" {
			sig, mul = mul, sig
		}
		ss, ms := p.steps[sig], p.steps[mul]
		if ss.node.OpType != "Sigmoid" || ms.node.OpType != "Mul" || len(ms.in) != 2 {
			continue
		}
		sg := ss.out[0]
		if isOut[sg] || len(consumers[sg]) != 1 || !((ms.in[0] == c && ms.in[1] == sg) || (ms.in[0] == sg && ms.in[1] == c)) {
			continue
		}
		chains[si] = siluChain{conv: si, sig: sig, mul: mul}
	}
	return chains
}

// fuseSiLU returns the steps with every SiLU chain replaced by one step
// that writes the Mul's output. The Sigmoid and Mul values are never
// formed.
func (p *Program) fuseSiLU() []step {
	drop := map[int]bool{}
	replace := map[int]step{}
	for si, ch := range p.siluChains() {
		st := p.steps[si]
		fused := st
		fused.conv = st.conv.withSiLU()
		fused.run = fused.conv.run
		fused.out = p.steps[ch.mul].out
		replace[si] = fused
		drop[ch.sig], drop[ch.mul] = true, true
	}
	out := make([]step, 0, len(p.steps)-len(drop))
	for si, st := range p.steps {
		if drop[si] {
			continue
		}
		if f, ok := replace[si]; ok {
			st = f
		}
		out = append(out, st)
	}
	return out
}

// plan places the values a step list computes in one arena by liveness:
// a value lives from the step that writes it to its last reader (program
// outputs to the end, a value nobody reads for its own step only), and
// two values share memory only when their lives do not overlap, so a
// step never writes over what it reads. Placement is greedy by size (the
// largest value first, each at the lowest offset free for its whole
// life), as TensorFlow Lite's arena planner does: for yolov8n 512x288 it
// needs 4.0 MB (the most live at any step) where pooling whole
// buffers by last use needed 8.0 MB.
func (p *Program) plan(steps []step, values []value) layout {
	l := layout{steps: steps, offset: make([]int, len(values))}
	if len(values) != len(p.values) {
		l.values = values
	}
	type life struct{ id, from, to, size int }
	var lives []life
	at := map[int]int{} // value -> index in lives
	for si, s := range steps {
		for _, id := range s.out {
			at[id] = len(lives)
			lives = append(lives, life{id: id, from: si, to: si, size: alignUp(tensor.Volume(values[id].shape))})
		}
		for _, id := range s.in {
			if i, ok := at[id]; ok {
				lives[i].to = si
			}
		}
	}
	for _, id := range p.outputs {
		if i, ok := at[id]; ok {
			lives[i].to = len(steps)
		}
	}
	order := make([]int, len(lives))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return lives[order[a]].size > lives[order[b]].size })
	for i := range l.offset {
		l.offset[i] = -1
	}
	type span struct{ lo, hi int }
	var placed []int // indices into lives, in placement order
	for _, i := range order {
		v := lives[i]
		var busy []span
		for _, j := range placed {
			if w := lives[j]; w.from <= v.to && v.from <= w.to {
				busy = append(busy, span{l.offset[w.id], l.offset[w.id] + w.size})
			}
		}
		sort.Slice(busy, func(a, b int) bool { return busy[a].lo < busy[b].lo })
		off := 0
		for _, b := range busy {
			if b.lo-off >= v.size {
				break
			}
			off = max(off, b.hi)
		}
		l.offset[v.id] = off
		l.arena = max(l.arena, off+v.size)
		placed = append(placed, i)
	}
	return l
}

// alignUp rounds a float count up to a 64-byte multiple, so every value
// starts on a cache line of the arena.
func alignUp(n int) int { return (n + 15) &^ 15 }

// Session holds the buffers to run a Program. Not safe for concurrent use.
type Session struct {
	p       *Program
	plain   []*tensor.Tensor // per value, for hooked runs (allocated on first use)
	fast    []*tensor.Tensor // per value, for runs without hooks
	sims    map[*Simulated][]*tensor.Tensor
	in, out []*tensor.Tensor // scratch argument slices, reused per step
	x       exec
	results []*tensor.Tensor
}

// NewSession prepares a session; buffers are allocated on the first run of
// each kind (with and without hooks) and reused afterwards. With more than
// one thread the session starts worker goroutines: Close stops them (they
// also stop once the session is garbage).
func (p *Program) NewSession() *Session {
	p.lower()
	s := &Session{p: p, x: exec{threads: p.threads}, results: make([]*tensor.Tensor, len(p.outputs))}
	if p.threads > 1 {
		s.x.pool = newPool(p.threads - 1)
		runtime.AddCleanup(s, func(pl *pool) { pl.close() }, s.x.pool)
	}
	return s
}

// Close stops the session's worker goroutines. The session must not be
// used afterwards.
func (s *Session) Close() {
	if s.x.pool != nil {
		s.x.pool.close()
		s.x.pool = nil
	}
}

func (p *Program) tensorsFor(l *layout) []*tensor.Tensor {
	values := p.valuesOf(l)
	ts := make([]*tensor.Tensor, len(values))
	arena := make([]float32, l.arena)
	for id, v := range values {
		switch {
		case v.konst != nil:
			ts[id] = v.konst
		case l.offset[id] >= 0:
			off, n := l.offset[id], tensor.Volume(v.shape)
			ts[id] = &tensor.Tensor{DType: tensor.Float32, Shape: v.shape, F: arena[off : off+n : off+n]}
		default:
			ts[id] = &tensor.Tensor{DType: v.dtype, Shape: v.shape}
		}
	}
	return ts
}

// Run executes the program on inputs (in the order of Program.Inputs) and
// returns the outputs. The returned tensors are the session's buffers:
// valid until the next Run. hooks may be nil.
func (s *Session) Run(ctx context.Context, inputs []*tensor.Tensor, hooks *Hooks) ([]*tensor.Tensor, error) {
	p := s.p
	l, tensors := &p.fast, s.fast
	switch {
	case hooks != nil && hooks.Simulated != nil:
		sim := hooks.Simulated
		if hooks.BeforeNode != nil || hooks.AfterNode != nil {
			return nil, fmt.Errorf("engine: hooks with both a compiled simulation and node callbacks: run one or the other")
		}
		if sim.p != p {
			return nil, fmt.Errorf("engine: the simulation was compiled for another program")
		}
		if s.sims[sim] == nil {
			if s.sims == nil {
				s.sims = map[*Simulated][]*tensor.Tensor{}
			}
			s.sims[sim] = p.tensorsFor(&sim.l)
		}
		l, tensors, hooks = &sim.l, s.sims[sim], nil
	case hooks != nil:
		if s.plain == nil {
			s.plain = p.tensorsFor(&p.plain)
		}
		l, tensors = &p.plain, s.plain
	case s.fast == nil:
		s.fast = p.tensorsFor(&p.fast)
		tensors = s.fast
	}
	if len(inputs) != len(p.inputs) {
		return nil, fmt.Errorf("engine: %d inputs given, the model takes %d", len(inputs), len(p.inputs))
	}
	for i, id := range p.inputs {
		v := p.values[id]
		if inputs[i] == nil || !tensor.EqualShape(inputs[i].Shape, v.shape) || inputs[i].DType != v.dtype {
			got := "nil"
			if inputs[i] != nil {
				got = inputs[i].String()
			}
			return nil, fmt.Errorf("engine: input %q: got %s, want %s%s", v.name, got, v.dtype, tensor.ShapeString(v.shape))
		}
		tensors[id] = inputs[i]
	}
	return s.steps(ctx, l, tensors, 0, hooks)
}

// steps runs l.steps[from:] on tensors and returns the outputs.
func (s *Session) steps(ctx context.Context, l *layout, tensors []*tensor.Tensor, from int, hooks *Hooks) ([]*tensor.Tensor, error) {
	p := s.p
	for si := from; si < len(l.steps); si++ {
		st := &l.steps[si]
		if si&15 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		s.in = s.in[:0]
		for _, id := range st.in {
			if id < 0 {
				s.in = append(s.in, nil)
			} else {
				s.in = append(s.in, tensors[id])
			}
		}
		s.out = s.out[:0]
		for _, id := range st.out {
			s.out = append(s.out, tensors[id])
		}
		if hooks != nil && hooks.BeforeNode != nil {
			hooks.BeforeNode(st.node, s.in)
			for i, id := range st.in {
				if id >= 0 && s.in[i] != nil && !tensor.EqualShape(s.in[i].Shape, p.values[id].shape) {
					return nil, fmt.Errorf("engine: node %q: hook replaced input %d with shape %v, want %v", st.node.Name, i, s.in[i].Shape, p.values[id].shape)
				}
			}
		}
		if err := st.run(&s.x, s.in, s.out); err != nil {
			return nil, fmt.Errorf("engine: node %q (%s): %w", st.node.Name, st.node.OpType, err)
		}
		if st.post != nil {
			st.post(&s.x, s.out)
		}
		if hooks != nil && hooks.AfterNode != nil {
			hooks.AfterNode(st.node, s.out)
		}
	}
	for i, id := range p.outputs {
		s.results[i] = tensors[id]
	}
	return s.results, nil
}

// RunFrom re-runs the program from node start to the end, taking every
// value computed before start from captured (by name: tensors recorded by
// an earlier run, e.g. with an AfterNode hook). Only the part of the graph
// downstream of a change is recomputed: the mixed-precision search uses it
// to measure one layer at a time. Steps run in the plain (unfused) order.
func (s *Session) RunFrom(ctx context.Context, start *onnx.Node, captured func(name string) *tensor.Tensor, hooks *Hooks) ([]*tensor.Tensor, error) {
	p := s.p
	if hooks != nil && hooks.Simulated != nil {
		return nil, fmt.Errorf("engine: RunFrom %q: a compiled simulation runs whole programs only; use node hooks", start.Name)
	}
	from := -1
	for i := range p.plain.steps {
		if p.plain.steps[i].node == start {
			from = i
			break
		}
	}
	if from < 0 {
		return nil, fmt.Errorf("engine: RunFrom: node %q is not part of this program", start.Name)
	}
	if s.plain == nil {
		s.plain = p.tensorsFor(&p.plain)
	}
	seen := map[int]bool{}
	for si := from; si < len(p.plain.steps); si++ {
		for _, id := range p.plain.steps[si].in {
			if id < 0 || seen[id] {
				continue
			}
			v := p.values[id]
			if v.konst != nil || (v.producer >= from) {
				continue
			}
			seen[id] = true
			t := captured(v.name)
			if t == nil || !tensor.EqualShape(t.Shape, v.shape) {
				return nil, fmt.Errorf("engine: RunFrom %q: value %q was not captured with shape %v", start.Name, v.name, v.shape)
			}
			if v.producer < 0 { // a graph input: use it as given
				s.plain[id] = t
			} else {
				copy(s.plain[id].F, t.F)
			}
		}
	}
	return s.steps(ctx, &p.plain, s.plain, from, hooks)
}

func allocTensor(dt tensor.DType, shape []int) *tensor.Tensor {
	t := &tensor.Tensor{DType: dt, Shape: shape}
	if dt == tensor.Int64 {
		t.I = make([]int64, tensor.Volume(shape))
	} else {
		t.F = make([]float32, tensor.Volume(shape))
	}
	return t
}

// Recorder returns hooks that copy every node output into dst by value
// name, reusing dst's buffers across runs: what RunFrom and per-layer
// comparisons read back. A run must not be hooked by anything else.
func Recorder(dst map[string]*tensor.Tensor) *Hooks {
	return &Hooks{AfterNode: func(n *onnx.Node, out []*tensor.Tensor) {
		for i, t := range out {
			c := dst[n.Outputs[i]]
			if c == nil {
				c = &tensor.Tensor{DType: t.DType, Shape: t.Shape, F: make([]float32, len(t.F))}
				dst[n.Outputs[i]] = c
			}
			copy(c.F, t.F)
		}
	}}
}
