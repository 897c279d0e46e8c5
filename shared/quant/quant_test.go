package quant

import (
	"context"
	"maps"
	"math"
	"strings"
	"testing"

	"github.com/nniescope/nniescope/internal/demoframes"
	"github.com/nniescope/nniescope/internal/familymodels"
	"github.com/nniescope/nniescope/internal/testassets"
	"github.com/nniescope/nniescope/shared/calib"
	"github.com/nniescope/nniescope/shared/dataset"
	"github.com/nniescope/nniescope/shared/onnx"
	"github.com/nniescope/nniescope/shared/synth"
	"github.com/nniescope/nniescope/shared/tensor"
)

func TestPointApply(t *testing.T) {
	p, _ := newPoint(calib.Factor{DataType: calib.S8, Scale: []float64{2}, Offset: []float64{-3}})
	tests := []struct {
		name string
		x    float32
		want float32
	}{
		{"rounds to the grid", 1.26, 1.5}, // 2.52 → 3, q = 0 → (0+3)/2
		{"half to even", 0.75, 1.0},       // 1.5 → 2, q = −1 → (−1+3)/2
		{"clamps high", 100, 65},          // q = 127 → (127+3)/2
		{"clamps low", -100, -62.5},       // q = −128 → (−128+3)/2
		{"zero stays exact", 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out [1]float32
			p.Apply(out[:], []float32{tc.x})
			if out[0] != tc.want {
				t.Fatalf("quantize(%v) = %v, want %v", tc.x, out[0], tc.want)
			}
		})
	}
	f16, _ := newPoint(calib.Factor{DataType: calib.F16})
	var out [1]float32
	f16.Apply(out[:], []float32{1.0001})
	if out[0] != 1 {
		t.Fatalf("F16 point gave %v, want 1 (binary16 step at 1 is 2^-10)", out[0])
	}
}

func TestSymmetricKeepsRange(t *testing.T) {
	// The real ATC record of the stride Mul's input: S8, scale 3.19865203,
	// offset −128: [0, 79.7] grid cells, step 0.31.
	p, _ := newPoint(calib.Factor{DataType: calib.S8, Scale: []float64{3.19865203}, Offset: []float64{-128}})
	s := symmetricOf(p)
	maxX := (127 + 128) / 3.19865203
	if math.Abs(float64(s.scale)-127/maxX) > 1e-4 || s.offset != 0 {
		t.Fatalf("symmetric point scale %v offset %v, want %v and 0", s.scale, s.offset, 127/maxX)
	}
	// Half the codes are wasted on negatives: the step doubles to ~0.63.
	if step := 1 / s.scale; math.Abs(float64(step)-0.6275) > 0.001 {
		t.Fatalf("step %v", step)
	}
}

func TestDFLWeightsQuantizeAsTheChipDoes(t *testing.T) {
	w := tensor.New(1, 16, 1, 1)
	for i := range w.F {
		w.F[i] = float32(i)
	}
	q, scales := quantizeWeights(w, calib.S8, nil)
	if math.Abs(scales[0]-127.0/15) > 1e-12 {
		t.Fatalf("scale %v, want 127/15 (the real file's)", scales[0])
	}
	want := []float32{0, 0.945, 2.008, 2.953}
	for i, v := range want {
		if math.Abs(float64(q.F[i]-v)) > 1e-3 {
			t.Fatalf("w[%d] = %v, want %v", i, q.F[i], v)
		}
	}
	if q.F[15] != 15 {
		t.Fatalf("w[15] = %v, want 15", q.F[15])
	}
}

func loadModel(t *testing.T) *onnx.Model {
	t.Helper()
	m, err := onnx.Load(testassets.Path(t, "models", "yolov8n-512x288.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestCalibrateAndPlacements calibrates on a few images and checks the
// records and where each placement puts its points.
func TestCalibrateAndPlacements(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the model")
	}
	m := loadModel(t)
	files, err := dataset.ImageFiles(testassets.Path(t, "coco", "calib"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := Calibrate(context.Background(), m, files[:4], CalibOptions{Bits: 8, Threads: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	conv := f.Layer("/model.0/conv/Conv")
	if conv == nil || conv.CalcDataType != calib.S8 || conv.Weight == nil || len(conv.Weight.Scale) != 16 || conv.Inputs[0].DataType != calib.S8 {
		t.Fatalf("first conv record %+v", conv)
	}
	if cat := f.Layer("/model.22/Concat_5"); cat == nil || cat.Inputs[0].DataType != calib.F16 {
		t.Fatalf("final concat must stay unquantized (F16) by default: %+v", cat)
	}
	mul := f.Layer("/model.22/Mul_2")
	lo := (-128 - mul.Inputs[0].Offset[0]) / mul.Inputs[0].Scale[0]
	hi := (127 - mul.Inputs[0].Offset[0]) / mul.Inputs[0].Scale[0]
	if lo > 0 || hi < 20 || hi > 70 {
		t.Fatalf("stride Mul input covers [%v, %v]; boxes in grid cells at 512x288 reach tens of cells, at most 64", lo, hi)
	}
	// The file survives its own format.
	if _, err := calib.Parse(f.Format(), "gen.txt"); err != nil {
		t.Fatal(err)
	}

	counts := map[Placement]int{}
	for _, pl := range Placements {
		s, rep, err := New(m, f, Options{Placement: pl})
		if err != nil {
			t.Fatal(err)
		}
		if s.StrideMul() != "/model.22/Mul_2" {
			t.Fatalf("stride Mul detected as %q", s.StrideMul())
		}
		counts[pl] = rep.Points
		pts := map[string]PointInfo{}
		for _, p := range s.Points() {
			pts[p.Node] = p
		}
		_, div := pts["/model.22/Div_1"]
		mp, mul := pts["/model.22/Mul_2"]
		_, silu := pts["/model.0/act/Mul"]
		switch pl {
		case Literal:
			if !div || !mul || !silu {
				t.Errorf("literal: Div_1 %v Mul_2 %v SiLU Mul %v: every record applies", div, mul, silu)
			}
		case CubeConst:
			if !div || !mul || silu {
				t.Errorf("cube-const: Div_1 %v Mul_2 %v SiLU Mul %v", div, mul, silu)
			}
		case Fused, FusedSym:
			if div || !mul || silu {
				t.Errorf("%s: Div_1 %v (fused chain: no), Mul_2 %v (yes), SiLU Mul %v (no)", pl, div, mul, silu)
			}
			if mp.Symmetric != (pl == FusedSym) {
				t.Errorf("%s: stride Mul point symmetric = %v", pl, mp.Symmetric)
			}
		}
	}
	if !(counts[Literal] > counts[Fused] && counts[Fused] > counts[CubeConst]) {
		t.Errorf("point counts %v: literal > fused > cube-const expected", counts)
	}
}

func TestNewErrors(t *testing.T) {
	m := demoframes.Model(t) // its stem conv has 8 output channels
	other, _ := calib.Parse("layer {\n  name: \"/not/in/this/model\"\n  calc_data_type: S8\n}\n", "other.txt")
	if _, _, err := New(m, other, Options{}); err == nil || !strings.Contains(err.Error(), "other.txt") {
		t.Fatalf("a file for another model: %v", err)
	}
	bad, _ := calib.Parse("layer {\n  name: \"/model.0/conv/Conv\"\n  calc_data_type: S8\n  quant_param {\n    weight {\n      data_type: S8\n      scale: 1\n      scale: 2\n    }\n  }\n}\n", "bad.txt")
	if _, _, err := New(m, bad, Options{}); err == nil || !strings.Contains(err.Error(), "2 weight scales for 8 output channels") {
		t.Fatalf("wrong weight scale count: %v", err)
	}
	if _, err := ParsePlacement("magic"); err == nil || !strings.Contains(err.Error(), "fused-sym") {
		t.Fatalf("bad placement: %v", err)
	}
}

// TestRealATCFileMapsOntoYOLOv8n runs the Hi3519DV500 file (written for a
// YOLOv8n-face export) through the codec and the name mapping.
func TestRealATCFileMapsOntoYOLOv8n(t *testing.T) {
	f, err := calib.Load(testassets.Path(t, "atc", "calibration_param.txt"))
	if err != nil {
		t.Fatal(err)
	}
	m := loadModel(t)
	rep, err := Map(m, f)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("ATC file: %d records, %d map to yolov8n-512x288 nodes, graph input %q, %d unmatched (e.g. %v), %d convs without record (e.g. %v), %d do not fit (e.g. %v)",
		len(f.Layers()), rep.Mapped, rep.Input, len(rep.Unmatched), first(rep.Unmatched, 5), len(rep.Uncovered), first(rep.Uncovered, 5), len(rep.Mismatched), first(rep.Mismatched, 2))
	// Simulating with it must refuse, naming a record that does not fit.
	if _, _, err := New(m, f, Options{}); err == nil || !strings.Contains(err.Error(), "weight scales for 80 output channels") {
		t.Fatalf("simulating yolov8n with the face model's file: %v", err)
	}
	if rep.Mapped < 100 || rep.Input != "images" {
		t.Fatalf("only %d records map; the backbone and neck share Ultralytics names", rep.Mapped)
	}
}

func first(s []string, n int) []string { return s[:min(n, len(s))] }

// TestOtherFamilies: calibration and simulation of YOLOv5 and YOLO11: the
// embedded family models on synthetic scenes, and YOLOv5n and YOLO11n on
// COCO pictures. YOLOv5's output is assembled by Concats and Reshapes of
// float16 vector results (coordinates in pixels beside scores in 0..1):
// they stay F16 (one 8-bit scale rounded every score to zero: AP 0), and
// its decode arithmetic is tagged as the box branch. YOLO11's attention
// MatMul multiplies two activations: both are quantized, no weights.
func TestOtherFamilies(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the models")
	}
	cocoFiles := func(t *testing.T) []string {
		files, err := dataset.ImageFiles(testassets.Path(t, "coco", "calib"))
		if err != nil {
			t.Fatal(err)
		}
		return files[:2]
	}
	synthFiles := func(t *testing.T) []string {
		dir := t.TempDir()
		if err := synth.WriteDataset(dir, 11, 0, 2, demoframes.SrcW, demoframes.SrcH); err != nil {
			t.Fatal(err)
		}
		files, err := dataset.ImageFiles(dir)
		if err != nil {
			t.Fatal(err)
		}
		return files
	}
	coco := func(file string) func(t *testing.T) *onnx.Model {
		return func(t *testing.T) *onnx.Model {
			m, err := onnx.Load(testassets.Path(t, "models", file))
			if err != nil {
				t.Fatal(err)
			}
			return m
		}
	}
	embedded := func(name string) func(t *testing.T) *onnx.Model {
		return func(t *testing.T) *onnx.Model {
			for _, fm := range familymodels.All() {
				if fm.Name == name {
					m, err := onnx.Decode(fm.ONNX, name+".onnx")
					if err != nil {
						t.Fatal(err)
					}
					return m
				}
			}
			t.Fatalf("no embedded model %s", name)
			return nil
		}
	}
	for _, tc := range []struct {
		name  string
		model func(t *testing.T) *onnx.Model
		files func(t *testing.T) []string
		check func(t *testing.T, f *calib.File, s *Sim)
	}{
		{"yolov5n-640.onnx", coco("yolov5n-640.onnx"), cocoFiles, yolov5Check([]string{"/model/24/Concat_0", "/model/24/Concat_2", "/model/24/Concat_out"}, "/model/0/conv/Conv",
			map[string]string{"/model/24/Pow_wh_0": "box", "/model/24/Mul_xy1_2": "box", "/model/24/m.0/Conv": "backbone", "/model/24/Split_0": "backbone"})},
		{"yolov5-embedded", embedded("yolov5"), synthFiles, yolov5Check([]string{"/model.24/Concat_1", "/model.24/Concat_3", "/model.24/Concat_6"}, "/model.0/conv/Conv",
			map[string]string{"/model.24/Pow": "box", "/model.24/Pow_2": "box", "/model.24/m.0/Conv": "backbone", "/model.24/Split": "backbone"})},
		{"yolo11n-640.onnx", coco("yolo11n-640.onnx"), cocoFiles, attentionCheck("/model.10/m/m.0/attn/MatMul")},
		{"yolo11-embedded", embedded("yolo11"), synthFiles, attentionCheck("/model.10/m/m.0/attn/MatMul")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.model(t)
			f, err := Calibrate(context.Background(), m, tc.files(t), CalibOptions{Bits: 8, Threads: 2}, nil)
			if err != nil {
				t.Fatal(err)
			}
			s, _, err := New(m, f, Options{})
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, f, s)
		})
	}
}

// yolov5Check: the Concats that assemble output0 are F16 records, the
// stem conv S8, and the nodes in branch are tagged so.
func yolov5Check(concats []string, stem string, branch map[string]string) func(t *testing.T, f *calib.File, s *Sim) {
	return func(t *testing.T, f *calib.File, s *Sim) {
		for _, name := range concats {
			l := f.Layer(name)
			if l == nil || l.CalcDataType != calib.F16 || l.Inputs[0].DataType != calib.F16 {
				t.Errorf("%s: %+v, want an F16 record", name, l)
			}
		}
		if l := f.Layer(stem); l == nil || l.CalcDataType != calib.S8 {
			t.Errorf("stem conv: %+v, want S8", l)
		}
		// The decode's arithmetic is the box branch (the coupled head's
		// convs and its Split feed boxes and scores alike).
		want := maps.Clone(branch)
		for n, b := range analyse(s.Program()).branches() {
			if w, ok := want[n.Name]; ok && b != w {
				t.Errorf("%s tagged %s, want %s", n.Name, b, w)
			}
			delete(want, n.Name)
		}
		if len(want) > 0 {
			t.Errorf("nodes not found: %v", want)
		}
	}
}

// attentionCheck: the attention MatMul's record has two data inputs and
// no weights, and both inputs are quantization points.
func attentionCheck(mm string) func(t *testing.T, f *calib.File, s *Sim) {
	return func(t *testing.T, f *calib.File, s *Sim) {
		if l := f.Layer(mm); l == nil || len(l.Inputs) != 2 || l.Weight != nil {
			t.Fatalf("%s record %+v: want two data inputs, no weights", mm, l)
		}
		n := 0
		for _, p := range s.Points() {
			if p.Node == mm {
				n++
			}
		}
		if n != 2 {
			t.Errorf("%s: %d quantization points, want both inputs", mm, n)
		}
	}
}
