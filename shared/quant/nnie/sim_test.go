package nnie

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/nniescope/nniescope/internal/demoframes"
	"github.com/nniescope/nniescope/shared/dataset"
	"github.com/nniescope/nniescope/shared/engine"
	"github.com/nniescope/nniescope/shared/onnx"
	"github.com/nniescope/nniescope/shared/synth"
	"github.com/nniescope/nniescope/shared/tensor"
)

func calibrated(t *testing.T, bits int, set LayerSet) (*onnx.Model, *File) {
	t.Helper()
	dir := t.TempDir()
	if err := synth.WriteDataset(dir, 11, 0, 3, demoframes.SrcW, demoframes.SrcH); err != nil {
		t.Fatal(err)
	}
	files, err := dataset.ImageFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := demoframes.Model(t)
	f, err := Calibrate(context.Background(), m, files, CalibOptions{Bits: bits, LayerSet: set, Threads: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return m, f
}

// run is output0 of the demo model on scene 0, simulated when s is set.
func run(t *testing.T, m *onnx.Model, s *Sim, extra *engine.Hooks) []float32 {
	t.Helper()
	prog, hooks := (*engine.Program)(nil), (*engine.Hooks)(nil)
	if s != nil {
		prog, hooks = s.Program(), s.Hooks()
		if extra != nil { // observed node by node
			hooks = s.NodeHooks()
		}
	} else {
		var err error
		if prog, err = engine.Compile(m, engine.Options{Threads: 2}); err != nil {
			t.Fatal(err)
		}
	}
	if extra != nil {
		inner := hooks
		hooks = &engine.Hooks{BeforeNode: func(n *onnx.Node, in []*tensor.Tensor) {
			if inner != nil {
				inner.BeforeNode(n, in)
			}
			extra.BeforeNode(n, in)
		}}
	}
	sess := prog.NewSession()
	defer sess.Close()
	x, _ := demoframes.Input(t, 0)
	out, err := sess.Run(context.Background(), []*tensor.Tensor{x}, hooks)
	if err != nil {
		t.Fatal(err)
	}
	return append([]float32(nil), out[0].F...)
}

func cosine(a, b []float32) float64 {
	var d, na, nb float64
	for i := range a {
		d += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	return d / math.Sqrt(na*nb)
}

// TestCalibrateAndSimulate: on the demo model every Conv gets a record
// with its data's and weights' magnitudes; the simulation feeds each conv
// its input in the layer's format (checked on the stem conv against Log8
// applied by hand), 16-bit stays near float and 8-bit departs further.
func TestCalibrateAndSimulate(t *testing.T) {
	m, f8 := calibrated(t, 8, Cube)
	convs := 0
	for _, n := range m.Nodes {
		if n.OpType == "Conv" {
			convs++
		}
	}
	if len(f8.Layers) != convs || convs == 0 {
		t.Fatalf("%d records for %d convs", len(f8.Layers), convs)
	}
	for _, l := range f8.Layers {
		if len(l.Inputs) != 1 || l.Inputs[0] <= 0 || l.Weight <= 0 || l.Index[0] != 0 {
			t.Fatalf("%s: %+v: want one data input and weights, both seen", l.Name, l)
		}
	}
	stem := f8.Layers[0]
	s8, err := NewSim(m, f8, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	q, _ := NewLog8(Clip8(stem.Inputs[0]))
	x, _ := demoframes.Input(t, 0)
	checked := false
	out8 := run(t, m, s8, &engine.Hooks{BeforeNode: func(n *onnx.Node, in []*tensor.Tensor) {
		if n.Name != stem.Name {
			return
		}
		checked = true
		for i, v := range x.F {
			if want := q.Quantize(v); in[0].F[i] != want {
				t.Fatalf("%s input %d: fed %v, want Log8(%v) = %v", stem.Name, i, in[0].F[i], v, want)
			}
		}
	}})
	if !checked {
		t.Fatalf("%s never ran", stem.Name)
	}
	f16 := *f8
	f16.Bits = 16
	s16, err := NewSim(m, &f16, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	float, out16 := run(t, m, nil, nil), run(t, m, s16, nil)
	c8, c16 := cosine(float, out8), cosine(float, out16)
	t.Logf("output0 cosine to float: 8-bit %.6f, 16-bit %.8f", c8, c16)
	if c16 < 0.99999 || c8 >= c16 || c8 < 0.9 {
		t.Fatalf("cosine to float: 8-bit %.6f, 16-bit %.8f: want 16-bit ≥ 0.99999 and 8-bit below it", c8, c16)
	}
	// compile_mode 2: one layer in 16-bit moves the 8-bit output.
	mixed := *f8
	mixed.Layers = append([]Layer(nil), f8.Layers...)
	mixed.Layers[len(mixed.Layers)-1].Bits = 16
	sm, err := NewSim(m, &mixed, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if outM := run(t, m, sm, nil); cosine(out8, outM) == 1 {
		t.Fatal("marking a layer 16-bit changed nothing")
	}
}

// TestFileMistakes: a file is checked before use, and a file for another
// model is refused naming the layer.
func TestFileMistakes(t *testing.T) {
	m, f := calibrated(t, 8, Cube)
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	if !IsFile(b) {
		t.Fatal("IsFile: no")
	}
	if g, err := Decode(b); err != nil || len(g.Layers) != len(f.Layers) {
		t.Fatalf("round trip: %v", err)
	}
	for _, tc := range []struct {
		name, from, to, want string
	}{
		{"unknown field", `"images"`, `"imagez"`, `unknown field "imagez"`},
		{"another format", FileFormat, "x", "want \"" + FileFormat + "\""},
		{"bits", `"bits": 8`, `"bits": 4`, "bits 4, want 8 or 16"},
		{"16-bit reading", `"format16": "gfpq16"`, `"format16": "1.5.7"`, `16-bit format "1.5.7"`},
		{"negative magnitude", `"weight_max_abs": `, `"weight_max_abs": -`, "want a finite number ≥ 0"},
		// It panicked in eval and at board start-up (index out of range [-1]).
		{"negative input index", `"input_index": [
    0
   ]`, `"input_index": [
    -1
   ]`, "input_index [-1]: want distinct node input numbers from 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ind, _ := json.MarshalIndent(f, "", " ")
			bad := strings.Replace(string(ind), tc.from, tc.to, 1)
			if bad == string(ind) {
				t.Fatalf("%q not in the file", tc.from)
			}
			if _, err := Decode([]byte(bad)); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
	// Two records for one layer: the later silently won.
	twice := *f
	twice.Layers = append(append([]Layer(nil), f.Layers...), f.Layers[0])
	b2, _ := json.Marshal(&twice)
	if _, err := Decode(b2); err == nil || !strings.Contains(err.Error(), "is listed twice") {
		t.Fatalf("a layer listed twice: %v", err)
	}
	other := *f
	other.Layers = append(append([]Layer(nil), f.Layers...), Layer{Name: "/elsewhere/Conv", Op: "Conv"})
	if _, err := NewSim(m, &other, 1, nil); err == nil || !strings.Contains(err.Error(), `"/elsewhere/Conv" is not a node it quantizes (cube) in this model`) {
		t.Fatalf("extra layer: %v", err)
	}
	short := *f
	short.Layers = f.Layers[1:]
	if _, err := NewSim(m, &short, 1, nil); err == nil || !strings.Contains(err.Error(), f.Layers[0].Name+`" (Conv) has no record`) {
		t.Fatalf("missing layer: %v", err)
	}
	var gf bytes.Buffer
	if err := f.WriteGFPQParams(&gf); err != nil {
		t.Fatal(err)
	}
	var params struct {
		NNIE struct {
			Dict map[string][]float64 `json:"gfpq_param_dict"`
		} `json:"nnie"`
	}
	if err := json.Unmarshal(gf.Bytes(), &params); err != nil || len(params.NNIE.Dict) != len(f.Layers) {
		t.Fatalf("gfpq params: %v, %d layers:\n%s", err, len(params.NNIE.Dict), gf.String())
	}
	if c := params.NNIE.Dict[f.Layers[0].Name]; len(c) != 1 || c[0] != float64(float32(Clip8(f.Layers[0].Inputs[0]))) {
		t.Fatalf("stem clip %v, want [%v]", c, Clip8(f.Layers[0].Inputs[0]))
	}
}

// TestEltwiseLayers: with the eltwise reading the stride multiply is a
// layer (one data input; the stride constant kept), and quantizing its
// input changes the 8-bit output.
func TestEltwiseLayers(t *testing.T) {
	m, f := calibrated(t, 8, Eltwise)
	var mul *Layer
	for i := range f.Layers {
		if f.Layers[i].Name == "/model.22/Mul_2" {
			mul = &f.Layers[i]
		}
	}
	if mul == nil || len(mul.Inputs) != 1 || mul.Index[0] != 0 || mul.Weight != 0 || mul.Inputs[0] <= 0 {
		t.Fatalf("stride Mul record %+v: want its data input (index 0) alone", mul)
	}
	_, cube := calibrated(t, 8, Cube)
	se, err := NewSim(m, f, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := NewSim(m, cube, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c := cosine(run(t, m, se, nil), run(t, m, sc, nil)); c == 1 {
		t.Fatal("quantizing the eltwise layers changed nothing")
	}
}

// The quantization inside the kernels (Hooks, what evaluation runs) gives
// the node-hook simulation's outputs bit for bit: 8 and 16 bits, both
// layer sets, a layer in high precision, one and two threads.
func TestKernelsMatchNodeHooks(t *testing.T) {
	for _, set := range []LayerSet{Cube, Eltwise} {
		for _, bits := range []int{8, 16} {
			m, f := calibrated(t, bits, set)
			files := []*File{f}
			if hp, err := f.WithHighPrecision(f.Layers[len(f.Layers)/2].Name); err != nil {
				t.Fatal(err)
			} else if bits == 8 {
				files = append(files, hp)
			}
			for _, file := range files {
				for _, threads := range []int{1, 2} {
					s, err := NewSim(m, file, threads, nil)
					if err != nil {
						t.Fatal(err)
					}
					x, _ := demoframes.Input(t, 0)
					a, err := s.Program().NewSession().Run(context.Background(), []*tensor.Tensor{x}, s.NodeHooks())
					if err != nil {
						t.Fatal(err)
					}
					b, err := s.Program().NewSession().Run(context.Background(), []*tensor.Tensor{x}, s.Hooks())
					if err != nil {
						t.Fatal(err)
					}
					for k := range a {
						for i, v := range a[k].F {
							if math.Float32bits(v) != math.Float32bits(b[k].F[i]) {
								t.Fatalf("%s, %d-bit, %d threads: output %d element %d: node hooks %v, kernels %v", set, bits, threads, k, i, v, b[k].F[i])
							}
						}
					}
				}
			}
		}
	}
}
