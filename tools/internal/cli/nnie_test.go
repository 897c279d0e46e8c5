package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
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
	// Commands that take ATC's files say what an NNIE file is for.
	if code, _, stderr := run(t, "search", "--model", model, "--calib8", n8, "--calib16", n16, "--data", data, "-o", filepath.Join(dir, "m.txt")); code != 1 || !strings.Contains(stderr, "n8.json is an NNIE calibration (calib --chip nnie): search takes ATC's calibration_param.txt") {
		t.Errorf("search with NNIE files: exit %d, %q", code, stderr)
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"format": "something else"}`), 0o644)
	if code, _, stderr := run(t, "eval", "--model", model, "--data", data, "--variant", bad); code != 1 || !strings.Contains(stderr, "bad.json: nnie calibration: format") {
		t.Errorf("eval with a foreign JSON file: exit %d, %q", code, stderr)
	}
}
