package engine

import (
	"fmt"
	"reflect"

	"github.com/nniescope/nniescope/shared/engine/internal/vmath"
	"github.com/nniescope/nniescope/shared/onnx"
	"github.com/nniescope/nniescope/shared/tensor"
)

// Transform rewrites tensor data elementwise: Apply(dst, src) sets each
// dst[i] from src[i] alone (dst may be src), so the engine may apply it
// to any split of a tensor, on any thread. Fake quantization and rounding
// to a narrower float are transforms.
//
// Transforms are compared with ==: readers of one tensor with equal
// transforms share one application, so a Transform must be of a
// comparable type (a struct of numbers, a pointer).
type Transform interface {
	Apply(dst, src []float32)
}

// Simulation places transforms on a program's tensors as hooks would,
// which is how a quantized chip is simulated: Inputs[n][i] is what node n
// reads in place of its input i (a BeforeNode replacement that feeds n
// only; nil leaves the input as computed), and Outputs[n] rewrites every
// output of n as it is written (an AfterNode change that every reader and
// the caller see).
type Simulation struct {
	Inputs  map[*onnx.Node][]Transform
	Outputs map[*onnx.Node]Transform
}

// Simulated is a Simulation compiled into the program's fused step list:
// a transform every reader of a tensor shares runs in the epilogue of the
// step that writes it, while the data is fresh; Conv+SiLU stays one step,
// its epilogue computing the Sigmoid and the Mul with their transforms; a
// tensor that readers see differently gets one transformed copy per
// transform. Results equal the hooked run bit for bit (the unfused step
// list with the same transforms as BeforeNode/AfterNode hooks). Run it
// with Hooks{Simulated: s}; it is immutable and safe to share.
type Simulated struct {
	p *Program
	l layout
	// Copies counts the transformed copies the simulation makes per run
	// (tensors readers see differently); Epilogues the transforms applied
	// in place where a tensor is written.
	Copies, Epilogues int
}

// grain is the elementwise split the unary kernels use (bindUnary): the
// SiLU epilogue reproduces the Sigmoid kernel's split exactly, because
// the vector sigmoid and its scalar tail may differ in the last bit.
const grain = 1 << 14

// chunk is the piece of a worker's range the SiLU epilogue takes at once:
// its temporaries stay in L1. A multiple of 8, so the vector kernels see
// the same groups as over the worker's whole range.
const chunk = 1024

// Simulate compiles a simulation for this program.
func (p *Program) Simulate(sim Simulation) (*Simulated, error) {
	p.lower()
	stepOf := make(map[*onnx.Node]int, len(p.steps))
	for si, st := range p.steps {
		stepOf[st.node] = si
	}
	check := func(n *onnx.Node, t Transform, what string) error {
		if t != nil && !reflect.TypeOf(t).Comparable() {
			return fmt.Errorf("engine: simulation: node %q %s: transform %T is not of a comparable type", n.Name, what, t)
		}
		return nil
	}
	for n, ts := range sim.Inputs {
		si, ok := stepOf[n]
		if !ok {
			return nil, fmt.Errorf("engine: simulation: node %q is not part of this program", nameOr(n))
		}
		st := p.steps[si]
		if len(ts) > len(st.in) {
			return nil, fmt.Errorf("engine: simulation: node %q: %d input transforms for %d inputs", n.Name, len(ts), len(st.in))
		}
		for i, t := range ts {
			if t == nil {
				continue
			}
			if err := check(n, t, fmt.Sprintf("input %d", i)); err != nil {
				return nil, err
			}
			if id := st.in[i]; id < 0 || p.values[id].dtype != tensor.Float32 {
				return nil, fmt.Errorf("engine: simulation: node %q input %d: only float tensors can be transformed", n.Name, i)
			} else if p.values[id].released {
				return nil, fmt.Errorf("engine: simulation: node %q input %d: %q was released (Options.ReleaseWeights) and cannot be transformed", n.Name, i, p.values[id].name)
			}
		}
	}
	for n, t := range sim.Outputs {
		if _, ok := stepOf[n]; !ok {
			return nil, fmt.Errorf("engine: simulation: node %q is not part of this program", nameOr(n))
		}
		if err := check(n, t, "outputs"); err != nil {
			return nil, err
		}
	}
	b := simBuilder{p: p, sim: sim, values: append([]value(nil), p.values...), copies: map[copyKey]int{}}
	return b.build(), nil
}

func nameOr(n *onnx.Node) string {
	if n == nil {
		return "<nil>"
	}
	return n.Name
}

// unit is one step of the simulated list before rewiring: a plain step or
// a SiLU chain, with what it reads each input through.
type unit struct {
	st    step
	reads []Transform // per input
	out   Transform   // applied to every output first (plain units)
	silu  *siluTransforms
}

// siluTransforms are the transforms inside a SiLU chain, in the order the
// hooked run applies them: the conv's output, the Sigmoid's input and
// output, the Mul's inputs (the conv output, the sigmoid) and its output.
type siluTransforms struct {
	convOut, sigIn, sigOut, mulConv, mulSig, mulOut Transform
}

type copyKey struct {
	id int
	t  Transform
}

type simBuilder struct {
	p      *Program
	sim    Simulation
	values []value
	copies map[copyKey]int // transformed copy of a value, by transform
	out    *Simulated
}

func (b *simBuilder) inT(si, i int) Transform {
	if ts := b.sim.Inputs[b.p.steps[si].node]; i < len(ts) {
		return ts[i]
	}
	return nil
}

func (b *simBuilder) outT(si int) Transform { return b.sim.Outputs[b.p.steps[si].node] }

// units turns the plain steps into units, each SiLU chain into one at the
// conv's place (its inputs are the conv's; the Sigmoid's and Mul's only
// come from the chain).
func (b *simBuilder) units() []unit {
	p := b.p
	chains := p.siluChains()
	inChain := map[int]bool{}
	for _, ch := range chains {
		inChain[ch.sig], inChain[ch.mul] = true, true
	}
	var us []unit
	for si, st := range p.steps {
		if inChain[si] {
			continue
		}
		u := unit{st: st, reads: make([]Transform, len(st.in)), out: b.outT(si)}
		for i := range st.in {
			u.reads[i] = b.inT(si, i)
		}
		if ch, ok := chains[si]; ok {
			ms := p.steps[ch.mul]
			convIn := 0
			if ms.in[1] == st.out[0] {
				convIn = 1
			}
			u.silu = &siluTransforms{convOut: u.out, sigIn: b.inT(ch.sig, 0), sigOut: b.outT(ch.sig),
				mulConv: b.inT(ch.mul, convIn), mulSig: b.inT(ch.mul, 1-convIn), mulOut: b.outT(ch.mul)}
			u.out = nil
			u.st.out = ms.out
		}
		us = append(us, u)
	}
	return us
}

func (b *simBuilder) build() *Simulated {
	p := b.p
	b.out = &Simulated{p: p}
	us := b.units()
	// Who reads each value, through what.
	type read struct {
		unit, in int
		t        Transform
	}
	readers := map[int][]read{}
	for ui, u := range us {
		for i, id := range u.st.in {
			if id >= 0 {
				readers[id] = append(readers[id], read{ui, i, u.reads[i]})
			}
		}
	}
	isOut := map[int]bool{}
	for _, id := range p.outputs {
		isOut[id] = true
	}
	// A transform every reader of a computed value shares is applied in
	// place by its writer; program outputs stay as computed.
	shared := map[int]Transform{}
	for id, rs := range readers {
		v := p.values[id]
		if v.producer < 0 || isOut[id] {
			continue
		}
		t := rs[0].t
		for _, r := range rs[1:] {
			if r.t != t {
				t = nil
			}
		}
		if t != nil {
			shared[id] = t
		}
	}
	var steps []step
	for _, u := range us {
		st := u.st
		st.in = append([]int(nil), st.in...)
		for i, id := range st.in {
			t := u.reads[i]
			if id < 0 || t == nil || shared[id] != nil {
				continue
			}
			cid, made := b.copyOf(id, t, st.node)
			if made != nil {
				steps = append(steps, *made)
			}
			st.in[i] = cid
		}
		epi := make([]Transform, len(st.out))
		for k, id := range st.out {
			epi[k] = shared[id]
			if epi[k] != nil {
				b.out.Epilogues++
			}
		}
		st.post = b.post(u, epi)
		steps = append(steps, st)
	}
	b.out.l = p.plan(steps, b.values)
	return b.out
}

// copyOf returns the value holding id transformed by t, and the step that
// computes it when it is new (constants are transformed once, here); the
// step is named after the first node that reads the copy.
func (b *simBuilder) copyOf(id int, t Transform, reader *onnx.Node) (int, *step) {
	key := copyKey{id, t}
	if cid, ok := b.copies[key]; ok {
		return cid, nil
	}
	v := b.values[id]
	c := value{name: v.name + "#sim", dtype: tensor.Float32, shape: v.shape, producer: -1}
	if v.konst != nil {
		k := &tensor.Tensor{DType: tensor.Float32, Shape: v.shape, F: make([]float32, len(v.konst.F))}
		t.Apply(k.F, v.konst.F)
		c.konst = k
	}
	b.values = append(b.values, c)
	cid := len(b.values) - 1
	b.copies[key] = cid
	if c.konst != nil {
		return cid, nil
	}
	b.out.Copies++
	return cid, &step{node: reader, in: []int{id}, out: []int{cid}, run: func(x *exec, in, out []*tensor.Tensor) error {
		src, dst := in[0].F, out[0].F
		x.parallel(len(dst), grain, func(lo, hi int) { t.Apply(dst[lo:hi], src[lo:hi]) })
		return nil
	}}
}

// post is a unit's epilogue: the SiLU chain, or the node's output
// transform; then each output's shared reader transform.
func (b *simBuilder) post(u unit, epi []Transform) func(x *exec, out []*tensor.Tensor) {
	if u.silu != nil {
		s, after := *u.silu, epi[0]
		return func(x *exec, out []*tensor.Tensor) { siluEpilogue(x, out[0].F, s, after) }
	}
	var any bool
	lists := make([][]Transform, len(epi))
	for k := range epi {
		for _, t := range []Transform{u.out, epi[k]} {
			if t != nil {
				lists[k] = append(lists[k], t)
				any = true
			}
		}
	}
	if !any {
		return nil
	}
	return func(x *exec, out []*tensor.Tensor) {
		for k, ts := range lists {
			if len(ts) == 0 {
				continue
			}
			d := out[k].F
			x.parallel(len(d), grain, func(lo, hi int) {
				for _, t := range ts {
					t.Apply(d[lo:hi], d[lo:hi])
				}
			})
		}
	}
}

// siluEpilogue turns a conv's output c (in d) into Mul(c, Sigmoid(c)) with
// the chain's transforms in the hooked run's order, then after. The
// Sigmoid is computed over the same worker ranges as the Sigmoid kernel.
func siluEpilogue(x *exec, d []float32, s siluTransforms, after Transform) {
	tmp := x.buf(2 * chunk * x.threads)
	x.parallelW(len(d), grain, func(w, lo, hi int) {
		sg := tmp[2*w*chunk : (2*w+1)*chunk]
		cv := tmp[(2*w+1)*chunk : (2*w+2)*chunk]
		for a := lo; a < hi; a += chunk {
			c := d[a:min(a+chunk, hi)]
			n := len(c)
			sg, cv := sg[:n], cv[:n]
			apply(s.convOut, c, c)
			if s.sigIn != nil {
				s.sigIn.Apply(sg, c)
				vmath.Sigmoid(sg, sg)
			} else {
				vmath.Sigmoid(sg, c)
			}
			apply(s.sigOut, sg, sg)
			apply(s.mulSig, sg, sg)
			m := c
			if s.mulConv != nil {
				s.mulConv.Apply(cv, c)
				m = cv
			}
			for i := range c {
				c[i] = m[i] * sg[i]
			}
			apply(s.mulOut, c, c)
			apply(after, c, c)
		}
	})
}

func apply(t Transform, dst, src []float32) {
	if t != nil {
		t.Apply(dst, src)
	}
}
