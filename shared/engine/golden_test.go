package engine_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/nniescope/nniescope/internal/demoframes"
	"github.com/nniescope/nniescope/internal/demomodel"
	"github.com/nniescope/nniescope/internal/familymodels"
	"github.com/nniescope/nniescope/internal/testassets"
	"github.com/nniescope/nniescope/shared/engine"
	"github.com/nniescope/nniescope/shared/onnx"
	"github.com/nniescope/nniescope/shared/tensor"
)

func compile(t testing.TB, file string, opts engine.Options) *engine.Program {
	t.Helper()
	m, err := onnx.Load(testassets.Path(t, "models", file))
	if err != nil {
		t.Fatal(err)
	}
	p, err := engine.Compile(m, opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

type diff struct {
	maxAbs float64
	cosine float64
}

func compare(got, want []float32) diff {
	var d diff
	var dot, na, nb float64
	for i := range want {
		a, b := float64(got[i]), float64(want[i])
		d.maxAbs = math.Max(d.maxAbs, math.Abs(a-b))
		dot += a * b
		na += a * a
		nb += b * b
	}
	d.cosine = dot / math.Sqrt(na*nb)
	return d
}

// TestGoldenOutput0 feeds onnxruntime's stored inputs to the single-output
// model and compares with onnxruntime's output0: boxes (rows 0-3, pixels)
// within 2e-2, class scores within 1e-3, cosine ≥ 0.99999.
func TestGoldenOutput0(t *testing.T) {
	p := compile(t, "yolov8n-512x288.onnx", engine.Options{Threads: 2})
	s := p.NewSession()
	const a = 3024
	for _, img := range testassets.GoldenImages {
		t.Run(img, func(t *testing.T) {
			in := testassets.ReadF32(t, testassets.Golden(t, img, "input"), 3*288*512)
			want := testassets.ReadF32(t, testassets.Golden(t, img, "output0"), 84*a)
			x, _ := tensor.FromFloat32(in, 1, 3, 288, 512)
			out, err := s.Run(context.Background(), []*tensor.Tensor{x}, nil)
			if err != nil {
				t.Fatal(err)
			}
			got := out[0].F
			box := compare(got[:4*a], want[:4*a])
			cls := compare(got[4*a:], want[4*a:])
			all := compare(got, want)
			t.Logf("boxes max|d| %.3g px, scores max|d| %.3g, cosine %.8f", box.maxAbs, cls.maxAbs, all.cosine)
			if box.maxAbs > 2e-2 {
				t.Errorf("boxes differ by %g px, want ≤ 2e-2", box.maxAbs)
			}
			if cls.maxAbs > 1e-3 {
				t.Errorf("scores differ by %g, want ≤ 1e-3", cls.maxAbs)
			}
			if all.cosine < 0.99999 {
				t.Errorf("cosine %.8f, want ≥ 0.99999", all.cosine)
			}
		})
	}
}

// TestEmbeddedGoldenOutput0 runs the embedded models (the demo model and
// each family model of internal/familymodels) on synthetic scenes against
// onnxruntime-node's output0 committed in testdata/NAME-goldens
// (scripts/demo-goldens.sh made them): box coordinates within 2e-2 px,
// scores within 1e-3, cosine ≥ 0.99999. The test rebuilds each input from
// its scene and checks its SHA-256 against the one onnxruntime was fed.
func TestEmbeddedGoldenOutput0(t *testing.T) {
	models := []familymodels.Model{{Name: "demo", ONNX: demomodel.ONNX, IsCoord: func(s []int, i int) bool { return i/s[2] < 4 }}}
	for _, m := range append(models, familymodels.All()...) {
		t.Run(m.Name, func(t *testing.T) {
			om, err := onnx.Decode(m.ONNX, m.Name+".onnx")
			if err != nil {
				t.Fatal(err)
			}
			p, err := engine.Compile(om, engine.Options{Threads: 2})
			if err != nil {
				t.Fatal(err)
			}
			s := p.NewSession()
			defer s.Close()
			dir := filepath.Join("testdata", m.Name+"-goldens")
			b, err := os.ReadFile(filepath.Join(dir, "index.json"))
			if err != nil {
				t.Fatal(err)
			}
			var idx struct {
				Frames []struct {
					Scene       int    `json:"scene"`
					InputSHA256 string `json:"input_sha256"`
					Output0     string `json:"output0"`
				} `json:"frames"`
			}
			if err := json.Unmarshal(b, &idx); err != nil || len(idx.Frames) == 0 {
				t.Fatalf("index.json: %v (%d frames)", err, len(idx.Frames))
			}
			shape := p.Outputs()[0].Shape
			for _, f := range idx.Frames {
				t.Run(fmt.Sprint("scene", f.Scene), func(t *testing.T) {
					in, err := demoframes.InputBytes(f.Scene)
					if err != nil {
						t.Fatal(err)
					}
					if sum := sha256.Sum256(in); hex.EncodeToString(sum[:]) != f.InputSHA256 {
						t.Fatalf("rebuilt input differs from the one onnxruntime ran (scenes or pre-processing changed): rerun scripts/demo-goldens.sh")
					}
					want := testassets.ReadF32(t, filepath.Join(dir, f.Output0), tensor.Volume(shape))
					x, _ := demoframes.Input(t, f.Scene)
					out, err := s.Run(context.Background(), []*tensor.Tensor{x}, nil)
					if err != nil {
						t.Fatal(err)
					}
					got := out[0].F
					var coord, score float64
					for i := range want {
						d := math.Abs(float64(got[i] - want[i]))
						if m.IsCoord(shape, i) {
							coord = math.Max(coord, d)
						} else {
							score = math.Max(score, d)
						}
					}
					all := compare(got, want)
					t.Logf("output0 %v: boxes max|d| %.3g px, scores max|d| %.3g, cosine %.8f", shape, coord, score, all.cosine)
					if coord > 2e-2 || score > 1e-3 || all.cosine < 0.99999 {
						t.Errorf("boxes differ by %g px (want ≤ 2e-2), scores by %g (≤ 1e-3), cosine %.8f (≥ 0.99999)", coord, score, all.cosine)
					}
				})
			}
		})
	}
}

// TestGoldenHeads does the same for the six raw heads of the heads export.
func TestGoldenHeads(t *testing.T) {
	p := compile(t, "yolov8n-512x288-heads.onnx", engine.Options{Threads: 2})
	s := p.NewSession()
	outs := p.Outputs()
	for _, img := range testassets.GoldenImages {
		t.Run(img, func(t *testing.T) {
			in := testassets.ReadF32(t, testassets.Golden(t, img, "input"), 3*288*512)
			x, _ := tensor.FromFloat32(in, 1, 3, 288, 512)
			out, err := s.Run(context.Background(), []*tensor.Tensor{x}, nil)
			if err != nil {
				t.Fatal(err)
			}
			for i, o := range outs {
				want := testassets.ReadF32(t, testassets.Golden(t, img, o.Name), tensor.Volume(o.Shape))
				d := compare(out[i].F, want)
				if d.maxAbs > 1e-3 || d.cosine < 0.99999 {
					t.Errorf("%s: max|d| %g (want ≤ 1e-3), cosine %.8f (want ≥ 0.99999)", o.Name, d.maxAbs, d.cosine)
				}
			}
		})
	}
}

// demoProgram is the demo model compiled, and scene i as its input.
func demoProgram(t *testing.T, scene int) (*engine.Program, *tensor.Tensor) {
	p, err := engine.Compile(demoframes.Model(t), engine.Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	x, _ := demoframes.Input(t, scene)
	return p, x
}

// TestFusedMatchesPlain: runs without hooks take the SiLU-fused step list,
// hooked runs the plain one; both must compute the same outputs.
func TestFusedMatchesPlain(t *testing.T) {
	p, x := demoProgram(t, 0)
	s := p.NewSession()
	defer s.Close()
	fast, err := s.Run(context.Background(), []*tensor.Tensor{x}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := append([]float32(nil), fast[0].F...)
	nodes := 0
	plain, err := s.Run(context.Background(), []*tensor.Tensor{x}, &engine.Hooks{AfterNode: func(*onnx.Node, []*tensor.Tensor) { nodes++ }})
	if err != nil {
		t.Fatal(err)
	}
	if nodes != len(p.Nodes()) {
		t.Fatalf("hook saw %d nodes, the program has %d", nodes, len(p.Nodes()))
	}
	if d := compare(plain[0].F, want); d.maxAbs > 1e-5 {
		t.Fatalf("fused and plain runs differ by %g", d.maxAbs)
	}
}

// TestRunFromMatchesFullRun: recomputing from a mid-graph node with the
// earlier values captured gives the full run's outputs, and a hook at that
// node changes them the same way as in a full run.
func TestRunFromMatchesFullRun(t *testing.T) {
	p, x := demoProgram(t, 1)
	s := p.NewSession()
	defer s.Close()
	captured := map[string]*tensor.Tensor{"images": x}
	record := &engine.Hooks{AfterNode: func(n *onnx.Node, out []*tensor.Tensor) {
		for i, o := range out {
			captured[n.Outputs[i]] = o.Clone()
		}
	}}
	full, err := s.Run(context.Background(), []*tensor.Tensor{x}, record)
	if err != nil {
		t.Fatal(err)
	}
	want := append([]float32(nil), full[0].F...)
	var start *onnx.Node
	for _, n := range p.Nodes() {
		if n.Name == "/model.22/Mul_2" {
			start = n
		}
	}
	halve := &engine.Hooks{AfterNode: func(n *onnx.Node, out []*tensor.Tensor) {
		if n == start {
			for i := range out[0].F {
				out[0].F[i] /= 2
			}
		}
	}}
	got, err := s.RunFrom(context.Background(), start, func(name string) *tensor.Tensor { return captured[name] }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := compare(got[0].F, want); d.maxAbs != 0 {
		t.Fatalf("RunFrom differs from the full run by %g", d.maxAbs)
	}
	got, err = s.RunFrom(context.Background(), start, func(name string) *tensor.Tensor { return captured[name] }, halve)
	if err != nil {
		t.Fatal(err)
	}
	const a = 1344 // the demo model's anchors
	if got[0].F[0] != want[0]/2 || got[0].F[4*a] != want[4*a] {
		t.Fatalf("hooked RunFrom: box %v (want %v), score %v (want %v)", got[0].F[0], want[0]/2, got[0].F[4*a], want[4*a])
	}
}

// TestReleaseWeights: a program that keeps conv weights only packed
// computes the same outputs, fused and hooked, no longer hands the
// weights out (Constant, Model), and a hook that replaces a weight still
// takes effect exactly as it does without the option.
func TestReleaseWeights(t *testing.T) {
	m := demoframes.Model(t)
	full, err := engine.Compile(m, engine.Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	lean, err := engine.Compile(m, engine.Options{Threads: 2, ReleaseWeights: true})
	if err != nil {
		t.Fatal(err)
	}
	x, _ := demoframes.Input(t, 0)
	var conv *onnx.Node
	for _, n := range lean.Nodes() {
		if n.OpType == "Conv" {
			conv = n
			break
		}
	}
	w := conv.Inputs[1]
	if _, ok := full.Constant(w); !ok {
		t.Fatalf("without the option, weight %q is not a constant", w)
	}
	if _, ok := lean.Constant(w); ok {
		t.Fatalf("weight %q still handed out after release", w)
	}
	if _, ok := lean.Model().Initializers[w]; ok {
		t.Fatalf("the program's model still holds weight %q", w)
	}
	if _, ok := m.Initializers[w]; !ok {
		t.Fatalf("the caller's model lost weight %q", w)
	}
	// Zeroing the first conv's weights in a hook, on both programs.
	zero := func(n *onnx.Node, in []*tensor.Tensor) {
		if n == conv {
			in[1] = tensor.New(in[1].Shape...)
		}
	}
	var baseline []float32
	{
		s := full.NewSession()
		out, err := s.Run(context.Background(), []*tensor.Tensor{x}, nil)
		if err != nil {
			t.Fatal(err)
		}
		baseline = append([]float32(nil), out[0].F...)
		s.Close()
	}
	for _, tc := range []struct {
		name  string
		hooks *engine.Hooks
	}{{"fused", nil}, {"hooked", &engine.Hooks{AfterNode: func(*onnx.Node, []*tensor.Tensor) {}}}, {"weight replaced", &engine.Hooks{BeforeNode: zero}}} {
		t.Run(tc.name, func(t *testing.T) {
			run := func(p *engine.Program) []float32 {
				s := p.NewSession()
				defer s.Close()
				out, err := s.Run(context.Background(), []*tensor.Tensor{x}, tc.hooks)
				if err != nil {
					t.Fatal(err)
				}
				return append([]float32(nil), out[0].F...)
			}
			want, got := run(full), run(lean)
			if !slices.Equal(got, want) {
				t.Fatalf("released program's output differs (max %g)", compare(got, want).maxAbs)
			}
			if tc.hooks != nil && tc.hooks.BeforeNode != nil && slices.Equal(got, baseline) {
				t.Fatal("zeroing a conv's weights changed nothing: the hook's replacement was not used")
			}
		})
	}
}
