package engine_test

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/nniescope/nniescope/internal/demomodel"
	"github.com/nniescope/nniescope/internal/familymodels"
	"github.com/nniescope/nniescope/shared/engine"
	"github.com/nniescope/nniescope/shared/onnx"
	"github.com/nniescope/nniescope/shared/tensor"
)

// grid rounds to multiples of step: a stand-in for fake quantization whose
// results tell different transforms, and their order, apart.
type grid struct{ step float32 }

func (g grid) Apply(dst, src []float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = float32(math.Round(float64(v/g.step))) * g.step
	}
}

// offset adds a constant: not idempotent, so applying a transform twice,
// or skipping it, shows.
type offset struct{ by float32 }

func (o offset) Apply(dst, src []float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = v + o.by
	}
}

// asHooks is the simulation as node hooks: the reference semantics.
func asHooks(sim engine.Simulation) *engine.Hooks {
	return &engine.Hooks{
		BeforeNode: func(n *onnx.Node, in []*tensor.Tensor) {
			for i, t := range sim.Inputs[n] {
				if t == nil || in[i] == nil {
					continue
				}
				c := in[i].Clone()
				t.Apply(c.F, in[i].F)
				in[i] = c
			}
		},
		AfterNode: func(n *onnx.Node, out []*tensor.Tensor) {
			if t := sim.Outputs[n]; t != nil {
				for _, o := range out {
					t.Apply(o.F, o.F)
				}
			}
		},
	}
}

// A compiled simulation gives the hooked run's results bit for bit,
// wherever the transforms sit: on every input and output (the SiLU
// epilogue with all six of its transforms), on some, shared by every
// reader of a tensor (applied in place by the writer), differing between
// readers (copies), on the graph input and on constants — on the models
// of all three families, with one and two threads.
func TestSimulatedMatchesHooks(t *testing.T) {
	models := map[string][]byte{"demo": demomodel.ONNX}
	for _, fm := range familymodels.All() {
		models[fm.Name] = fm.ONNX
	}
	layouts := []struct {
		name  string
		build func(p *engine.Program, r *rand.Rand) engine.Simulation
	}{
		{"everywhere", func(p *engine.Program, r *rand.Rand) engine.Simulation { return place(p, r, 1, 1, false) }},
		{"some", func(p *engine.Program, r *rand.Rand) engine.Simulation { return place(p, r, 0.3, 0.3, false) }},
		{"shared by readers", func(p *engine.Program, r *rand.Rand) engine.Simulation { return place(p, r, 0.7, 0.2, true) }},
		{"outputs only", func(p *engine.Program, r *rand.Rand) engine.Simulation { return place(p, r, 0, 1, false) }},
		// Offsets on conv inputs alone leave the SiLU epilogue's last bits
		// visible in the outputs (a grid would round them away): its
		// sigmoid must split the tensor as the Sigmoid kernel does.
		{"offsets on conv inputs", func(p *engine.Program, r *rand.Rand) engine.Simulation {
			sim := engine.Simulation{Inputs: map[*onnx.Node][]engine.Transform{}}
			for _, n := range p.Nodes() {
				if n.OpType == "Conv" {
					sim.Inputs[n] = []engine.Transform{offset{by: float32(r.IntN(5)-2) / 128}}
				}
			}
			return sim
		}},
	}
	for name, b := range models {
		m, err := onnx.Decode(b, name+".onnx")
		if err != nil {
			t.Fatal(err)
		}
		for _, threads := range []int{1, 2} {
			p, err := engine.Compile(m, engine.Options{Threads: threads})
			if err != nil {
				t.Fatal(err)
			}
			in := p.Inputs()[0]
			x := tensor.New(in.Shape...)
			r := rand.New(rand.NewPCG(1, 2))
			for i := range x.F {
				x.F[i] = r.Float32()
			}
			for _, l := range layouts {
				sim := l.build(p, rand.New(rand.NewPCG(3, uint64(threads))))
				compiled, err := p.Simulate(sim)
				if err != nil {
					t.Fatalf("%s %s: %v", name, l.name, err)
				}
				hooked, err := p.NewSession().Run(context.Background(), []*tensor.Tensor{x}, asHooks(sim))
				if err != nil {
					t.Fatal(err)
				}
				s := p.NewSession()
				for run := range 2 { // the second run reuses the session's buffers
					got, err := s.Run(context.Background(), []*tensor.Tensor{x}, &engine.Hooks{Simulated: compiled})
					if err != nil {
						t.Fatal(err)
					}
					for k := range hooked {
						for i, w := range hooked[k].F {
							if math.Float32bits(got[k].F[i]) != math.Float32bits(w) {
								t.Fatalf("%s, %d threads, %s, run %d: output %d element %d = %v, hooked run %v (%d copies, %d epilogues)",
									name, threads, l.name, run, k, i, got[k].F[i], w, compiled.Copies, compiled.Epilogues)
							}
						}
					}
				}
				if l.name == "shared by readers" && compiled.Epilogues == 0 {
					t.Errorf("%s: no transform was shared by all readers of a tensor: the epilogue path is untested", name)
				}
				if l.name == "everywhere" && compiled.Copies == 0 {
					t.Errorf("%s: no copies: the copy path is untested", name)
				}
			}
		}
	}
}

// place puts transforms on a fraction of node inputs and outputs; with
// shared, every reader of a tensor that gets one gets the same.
func place(p *engine.Program, r *rand.Rand, inFrac, outFrac float64, shared bool) engine.Simulation {
	sim := engine.Simulation{Inputs: map[*onnx.Node][]engine.Transform{}, Outputs: map[*onnx.Node]engine.Transform{}}
	kinds := func() engine.Transform {
		if r.IntN(2) == 0 {
			return grid{step: float32(1+r.IntN(8)) / 64}
		}
		return offset{by: float32(r.IntN(5)-2) / 128}
	}
	byTensor := map[string]engine.Transform{}
	for _, n := range p.Nodes() {
		for i, name := range n.Inputs {
			if name == "" || r.Float64() >= inFrac {
				continue
			}
			if c, ok := p.Constant(name); ok && c.DType != tensor.Float32 {
				continue
			}
			t := kinds()
			if shared {
				if s, ok := byTensor[name]; ok {
					t = s
				} else {
					byTensor[name] = t
				}
			}
			if sim.Inputs[n] == nil {
				sim.Inputs[n] = make([]engine.Transform, len(n.Inputs))
			}
			sim.Inputs[n][i] = t
		}
		if r.Float64() < outFrac {
			sim.Outputs[n] = kinds()
		}
	}
	if shared { // every reader of a chosen tensor, not a sample of them
		for _, n := range p.Nodes() {
			for i, name := range n.Inputs {
				if t, ok := byTensor[name]; ok {
					if sim.Inputs[n] == nil {
						sim.Inputs[n] = make([]engine.Transform, len(n.Inputs))
					}
					sim.Inputs[n][i] = t
				}
			}
		}
	}
	return sim
}

// noCompare holds a slice: not comparable.
type noCompare struct{ table []float32 }

func (n noCompare) Apply(dst, src []float32) { copy(dst, src[:len(n.table)]) }

func TestSimulateErrors(t *testing.T) {
	p, err := engine.Compile(tiny(t, "Sigmoid"), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	other := &onnx.Node{Name: "/elsewhere", OpType: "Relu"}
	n := p.Nodes()[0]
	for _, tc := range []struct {
		name string
		sim  engine.Simulation
		want string
	}{
		{"node of another program", engine.Simulation{Outputs: map[*onnx.Node]engine.Transform{other: grid{1}}}, `"/elsewhere" is not part of this program`},
		{"more transforms than inputs", engine.Simulation{Inputs: map[*onnx.Node][]engine.Transform{n: {grid{1}, grid{1}, grid{1}, grid{1}}}}, "4 input transforms for"},
		{"not comparable", engine.Simulation{Outputs: map[*onnx.Node]engine.Transform{n: noCompare{}}}, "not of a comparable type"},
	} {
		_, err := p.Simulate(tc.sim)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), n.Name) && tc.name != "node of another program" {
			t.Errorf("%s: %v, want an error naming the node and %q", tc.name, err, tc.want)
		}
	}
	compiled, err := p.Simulate(engine.Simulation{})
	if err != nil {
		t.Fatal(err)
	}
	x, _ := tensor.FromFloat32([]float32{0, 1}, 1, 2)
	both := &engine.Hooks{Simulated: compiled, AfterNode: func(*onnx.Node, []*tensor.Tensor) {}}
	if _, err := p.NewSession().Run(context.Background(), []*tensor.Tensor{x}, both); err == nil || !strings.Contains(err.Error(), "one or the other") {
		t.Errorf("a compiled simulation with node callbacks: %v", err)
	}
	q, err := engine.Compile(tiny(t, "Sigmoid"), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.NewSession().Run(context.Background(), []*tensor.Tensor{x}, &engine.Hooks{Simulated: compiled}); err == nil || !strings.Contains(err.Error(), "another program") {
		t.Errorf("a simulation of another program: %v", err)
	}
}

// The work split does not change a bit: convolutions are split by panel or,
// where a map has few panels, by output-channel tile, and every value is
// the same with one, two or three threads (the demo model's deep layers
// take the tile split).
func TestThreadsGiveTheSameBits(t *testing.T) {
	m, err := onnx.Decode(demomodel.ONNX, "demo.onnx")
	if err != nil {
		t.Fatal(err)
	}
	var ref []float32
	for _, threads := range []int{1, 2, 3} {
		p, err := engine.Compile(m, engine.Options{Threads: threads})
		if err != nil {
			t.Fatal(err)
		}
		x := tensor.New(p.Inputs()[0].Shape...)
		r := rand.New(rand.NewPCG(7, 7))
		for i := range x.F {
			x.F[i] = r.Float32()
		}
		out, err := p.NewSession().Run(context.Background(), []*tensor.Tensor{x}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if ref == nil {
			ref = append([]float32(nil), out[0].F...)
			continue
		}
		for i, v := range out[0].F {
			if math.Float32bits(v) != math.Float32bits(ref[i]) {
				t.Fatalf("%d threads: output element %d = %v, one thread %v", threads, i, v, ref[i])
			}
		}
	}
}
