package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/nniescope/nniescope/shared/onnx"
	"github.com/nniescope/nniescope/shared/quant/nnie"
)

// TestNNIEVariants: calib --chip nnie writes 8-bit, 16-bit and
// compile_mode-2 files (and MQBench's gfpq_param_dict), eval simulates
// them beside float and says which chip each row is; the mistakes are
// one-line errors naming the flag.
func TestNNIEVariants(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the model")
	}
	model, data := demoData(t, 6)
	dir := t.TempDir()
	n8, n16, mixed, params := filepath.Join(dir, "n8.json"), filepath.Join(dir, "n16.json"), filepath.Join(dir, "mixed.json"), filepath.Join(dir, "gfpq.json")
	for _, args := range [][]string{
		{"--bits", "8", "-o", n8, "--gfpq-params", params},
		{"--bits", "16", "-o", n16},
		{"--bits", "8", "-o", mixed, "--high-precision", "/model.22/cv2.0/cv2.0.2/Conv"},
	} {
		code, stdout, stderr := run(t, append([]string{"calib", "--chip", "nnie", "--model", model, "--images", data}, args...)...)
		if code != 0 || !strings.Contains(stdout, "NNIE layers from 6 images") {
			t.Fatalf("calib %v: exit %d\n%s%s", args, code, stdout, stderr)
		}
	}
	var p map[string]map[string]map[string][]float64
	if b, err := os.ReadFile(params); err != nil || json.Unmarshal(b, &p) != nil || len(p["nnie"]["gfpq_param_dict"]) == 0 {
		t.Fatalf("gfpq params: %v %v", err, p)
	}
	code, stdout, stderr := run(t, "eval", "--model", model, "--data", data, "--variant", "float", "--variant", "nnie8="+n8, "--variant", "nnie16="+n16, "--variant", "mixed="+mixed)
	if code != 0 {
		t.Fatalf("eval: exit %d: %s", code, stderr)
	}
	ap := map[string]float64{}
	for _, m := range regexp.MustCompile(`(?m)^(float|nnie8|nnie16|mixed)\s+([0-9.]+)`).FindAllStringSubmatch(stdout, -1) {
		ap[m[1]], _ = strconv.ParseFloat(m[2], 64)
	}
	for _, want := range []string{"nnie 8-bit, 60 cube layers, 0 of them 16-bit", "nnie 16-bit (gfpq16), 60 cube layers", "nnie 8-bit, 60 cube layers, 1 of them 16-bit"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("eval table lacks %q:\n%s", want, stdout)
		}
	}
	if len(ap) != 4 || ap["float"] < 0.3 || ap["nnie16"] < ap["float"]-0.02 {
		t.Fatalf("want four rows, nnie16 within 0.02 of float:\n%s", stdout)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--chip", "nnie", "--method", "percentile"}, "--method is for --chip svp"},
		{[]string{"--chip", "nnie", "--high-precision", "/nowhere"}, `--high-precision "/nowhere": not a node of`},
		{[]string{"--nnie16", "log1.5.7"}, "--nnie16 is for --chip nnie"},
		{[]string{"--chip", "npu"}, `--chip "npu": want svp or nnie`},
	} {
		code, _, stderr := run(t, append([]string{"calib", "--model", model, "--images", data, "-o", filepath.Join(dir, "x")}, tc.args...)...)
		if code != 1 || !strings.Contains(stderr, tc.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want one line with %q", tc.args, code, stderr, tc.want)
		}
	}
	// A search does not mix the generations' files.
	atc16 := filepath.Join(dir, "atc16.txt")
	if code, _, stderr := run(t, "calib", "--model", model, "--images", data, "--bits", "16", "-o", atc16); code != 0 {
		t.Fatal(stderr)
	}
	if code, _, stderr := run(t, "search", "--model", model, "--calib8", n8, "--calib16", atc16, "--data", data, "-o", filepath.Join(dir, "m.txt")); code != 1 || !strings.Contains(stderr, "--calib8 is an NNIE calibration; give an NNIE 16-bit one") {
		t.Errorf("search with an NNIE 8-bit and an ATC 16-bit file: exit %d, %q", code, stderr)
	}
	// --chip checks the files' generation.
	if code, _, stderr := run(t, "eval", "--chip", "svp", "--model", model, "--data", data, "--variant", n8); code != 1 || !strings.Contains(stderr, "--chip svp, but --variant "+n8+" is a calibration for nnie") {
		t.Errorf("eval --chip svp with an NNIE file: exit %d, %q", code, stderr)
	}
	if code, _, stderr := run(t, "layers", "--chip", "nnie", "--model", model, "--images", data, "--calib", atc16); code != 1 || !strings.Contains(stderr, "is a calibration for svp") {
		t.Errorf("layers --chip nnie with an ATC file: exit %d, %q", code, stderr)
	}
	// layers measures the NNIE simulation, and its JSON carries the clips.
	lj := filepath.Join(dir, "layers.json")
	if code, stdout, stderr := run(t, "layers", "--model", model, "--calib", n8, "--calib16", n16, "--images", data, "--max-images", "2", "--json", lj); code != 0 || !strings.Contains(stdout, "placement nnie") {
		t.Fatalf("layers on an NNIE file: exit %d %s\n%s", code, stderr, stdout)
	}
	var lr struct {
		Layers  []struct{ Name string }
		Records map[string]map[string]struct{ Calc string }
	}
	b, _ := os.ReadFile(lj)
	if err := json.Unmarshal(b, &lr); err != nil || len(lr.Layers) < 10 || lr.Records["calib"][lr.Layers[0].Name].Calc != "NNIE 8-bit logarithmic" || !strings.HasPrefix(lr.Records["calib16"][lr.Layers[0].Name].Calc, "NNIE 16-bit") {
		t.Fatalf("layers JSON of an NNIE file: %v, %d layers, records %v", err, len(lr.Layers), lr.Records["calib"][lr.Layers[0].Name])
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"format": "something else"}`), 0o644)
	if code, _, stderr := run(t, "eval", "--model", model, "--data", data, "--variant", bad); code != 1 || !strings.Contains(stderr, "bad.json: nnie calibration: format") {
		t.Errorf("eval with a foreign JSON file: exit %d, %q", code, stderr)
	}
}

// TestNNIESearch: search on an NNIE 8-bit calibration (the eltwise reading,
// where the decode's arithmetic is quantized too) finds the layers to mark
// high precision, writes the NNIE file with them at 16 bits (eval reads it
// back), prices them with the NNIE model and, given a Caffe prototxt,
// names them as Caffe layers; --chip must agree with the file.
func TestNNIESearch(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the model")
	}
	model, data := demoData(t, 10)
	dir := t.TempDir()
	c8 := filepath.Join(dir, "nnie8.json")
	if code, _, stderr := run(t, "calib", "--chip", "nnie", "--nnie-layers", "eltwise", "--model", model, "--images", data, "--bits", "8", "-o", c8); code != 0 {
		t.Fatalf("calib: %s", stderr)
	}
	// A prototxt as a converter writes it: Caffe layer names of its own,
	// blobs named after the ONNX outputs.
	m, err := onnx.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	var proto strings.Builder
	proto.WriteString("name: \"demo\"\ninput: \"images\"\n")
	for i, n := range m.Nodes {
		fmt.Fprintf(&proto, "layer {\n  name: \"caffe_%d\"\n  type: \"X\"\n  top: \"%s\"\n  param { lr_mult: 1 }\n}\n", i, n.Outputs[0])
	}
	pt := filepath.Join(dir, "demo.prototxt")
	os.WriteFile(pt, []byte(proto.String()), 0o644)
	out := filepath.Join(dir, "mixed.json")
	code, stdout, stderr := run(t, "search", "--chip", "nnie", "--model", model, "--calib8", c8, "--data", data, "--prototxt", pt, "-o", out, "--json", filepath.Join(dir, "s.json"))
	if code != 0 {
		t.Fatalf("search: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "board time: NNIE model") || !(strings.Contains(stdout, "\nreached: ") || strings.Contains(stdout, "\nNOT reached: ")) {
		t.Fatalf("search output:\n%s", stdout)
	}
	var res struct {
		Layers        []string
		Caffe         []string `json:"caffe_layers"`
		CaffeUnmapped []string `json:"caffe_unmapped"`
		Evaluations   []struct{ Layers []string }
	}
	b, _ := os.ReadFile(filepath.Join(dir, "s.json"))
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Caffe) != len(res.Layers) || len(res.CaffeUnmapped) != 0 {
		t.Fatalf("layers %v as Caffe %v (unmapped %v)", res.Layers, res.Caffe, res.CaffeUnmapped)
	}
	for _, c := range res.Caffe {
		if !strings.HasPrefix(c, "caffe_") || !strings.Contains(stdout, c) {
			t.Fatalf("Caffe name %q not printed or not the prototxt's:\n%s", c, stdout)
		}
	}
	f, err := nnie.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	high := 0
	for _, l := range f.Layers {
		if l.Bits == 16 {
			high++
		}
	}
	if high != len(res.Layers) || f.Bits != 8 {
		t.Fatalf("the written file marks %d layers 16-bit (file %d-bit), the search chose %v", high, f.Bits, res.Layers)
	}
	t.Logf("search: %s", strings.TrimSpace(stdout[strings.LastIndex(strings.TrimSpace(stdout), "\n")+1:]))
	if code, _, stderr := run(t, "eval", "--model", model, "--data", data, "--variant", "mixed="+out); code != 0 {
		t.Fatalf("eval of the written file: %s", stderr)
	}
	if code, _, stderr := run(t, "search", "--chip", "svp", "--model", model, "--calib8", c8, "--data", data, "-o", out); code == 0 || !strings.Contains(stderr, "is a calibration for nnie") {
		t.Fatalf("--chip svp with an NNIE file: exit %d %s", code, stderr)
	}
}

func TestCaffeNames(t *testing.T) {
	m := &onnx.Model{Nodes: []*onnx.Node{{Name: "/a/Conv", Outputs: []string{"a_out"}}, {Name: "/b/Mul", Outputs: []string{"b_out"}}, {Name: "same", Outputs: []string{"x"}}}}
	p := filepath.Join(t.TempDir(), "m.prototxt")
	os.WriteFile(p, []byte(`# a comment
layer { name: "conv1" type: "Convolution" bottom: "data" top: "a_out" convolution_param { num_output: 8 } }
layer { name: "same" type: "Eltwise" top: "y" }
`), 0o644)
	mapped, unmapped, err := caffeNames(p, m, []string{"/a/Conv", "/b/Mul", "same"})
	if err != nil || strings.Join(mapped, ",") != "conv1,same" || strings.Join(unmapped, ",") != "/b/Mul" {
		t.Fatalf("mapped %v unmapped %v %v", mapped, unmapped, err)
	}
	os.WriteFile(p, []byte("layer { name: \"x\" "), 0o644)
	if _, _, err := caffeNames(p, m, nil); err == nil || !strings.Contains(err.Error(), "not closed") {
		t.Fatalf("an unclosed block: %v", err)
	}
}
