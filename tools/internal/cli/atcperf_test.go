package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nniescope/nniescope/shared/mixed"
)

// TestSearchATCPerf: with --atc-perf the search's board times come from
// the file's per-layer figures, and the table says so; records naming no
// node are reported; a file from another model is refused; without the
// flag the table says it used the rule-based model.
func TestSearchATCPerf(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the model")
	}
	fx := newTruthFixture(t)
	perf := filepath.Join(fx.dir, "atc_perf.csv")
	os.WriteFile(perf, []byte("Net Id, Layer Id,Profile Layer Id,Layer Name,Layer Type,DLD DDR Read(byte),DSTR DDR Write(byte),WLD DDR Read(byte),Original Ops(Times),Core Ops(Times)\n"+
		"NetNnn0,Total,--,--,--,1,1,1,1,1\n"+
		"NetNnn0,Layer1,0,/model.0/conv/Conv,Convolution,0,400000,216,100,300000000\n"+
		"NetNnn0,Layer2,0,/model.22/Mul_2,BinaryMath,20000,20000,0,0,0\n"+
		"NetNnn0,Layer3,0,/model.99/cv4/Conv,Convolution,1,1,1,1,1\n"), 0o644)
	search := func(extra ...string) (int, string, string) {
		args := append([]string{"search", "--model", fx.model, "--calib8", fx.c8, "--calib16", fx.c16, "--data", fx.data, "-o", filepath.Join(fx.dir, "m.txt"), "--max-drop", "100"}, extra...)
		return run(t, args...)
	}
	code, _, stderr := search("--atc-perf", perf, "--json", filepath.Join(fx.dir, "s.json"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var res struct {
		CostSource string   `json:"cost_source"`
		Unmatched  []string `json:"atc_perf_unmatched"`
		Evals      []struct {
			LatencyMS float64 `json:"latency_ms"`
		} `json:"evaluations"`
	}
	b, _ := os.ReadFile(filepath.Join(fx.dir, "s.json"))
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.CostSource, "2 of 3 records matched") || len(res.Unmatched) != 1 || res.Unmatched[0] != "/model.99/cv4/Conv" {
		t.Fatalf("cost source %q, unmatched %v", res.CostSource, res.Unmatched)
	}
	// The whole model costs what the two records say, at the chip's rates.
	want := (300000000*mixed.SVP.SecPerOp8 + (400000+40000+216)*mixed.SVP.SecPerByte) * 1e3
	if len(res.Evals) == 0 || abs(res.Evals[0].LatencyMS-want) > 1e-9 {
		t.Fatalf("all-8-bit board time %v ms, want %v from the file's figures", res.Evals, want)
	}
	code, stdout, _ := search("--atc-perf", perf)
	if code != 0 || !strings.Contains(stdout, "board time: "+perf+": 2 of 3 records matched") || !strings.Contains(stdout, "name no node of the model (1): /model.99/cv4/Conv") {
		t.Fatalf("table:\n%s", stdout)
	}
	if code, stdout, _ = search(); code != 0 || !strings.Contains(stdout, "board time: the rule-based model by op type") {
		t.Fatalf("without --atc-perf:\n%s", stdout)
	}
	other := filepath.Join(fx.dir, "other.csv")
	os.WriteFile(other, []byte("Layer Name,Layer Type,DLD DDR Read(byte),DSTR DDR Write(byte),WLD DDR Read(byte),Original Ops(Times),Core Ops(Times)\n/x,Convolution,1,1,1,1,1\n"), 0o644)
	if code, _, stderr := search("--atc-perf", other); code != 1 || !strings.Contains(stderr, "none of its 1 records names a node of the model") {
		t.Fatalf("another model's file: exit %d, %q", code, stderr)
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// TestLayersBoardTimes: layers --json prices every layer as the search
// does — the rule-based model by default, ATC's per-layer figures with
// --atc-perf (the stride Mul then costs exactly its DDR traffic) — and
// says which; the graph view shows it in the node's panel.
func TestLayersBoardTimes(t *testing.T) {
	fx := newTruthFixture(t)
	perf := filepath.Join(fx.dir, "atc_perf.csv")
	os.WriteFile(perf, []byte("Net Id, Layer Id,Profile Layer Id,Layer Name,Layer Type,DLD DDR Read(byte),DSTR DDR Write(byte),WLD DDR Read(byte),Original Ops(Times),Core Ops(Times)\n"+
		"NetNnn0,Total,--,--,--,1,1,1,1,1\n"+
		"NetNnn0,Layer1,0,/model.0/conv/Conv,Convolution,0,400000,216,100,300000000\n"+
		"NetNnn0,Layer2,0,/model.22/Mul_2,BinaryMath,20000,20000,0,0,0\n"), 0o644)
	read := func(extra ...string) (map[string]boardTime, string) {
		out := filepath.Join(t.TempDir(), "l.json")
		args := append([]string{"layers", "--model", fx.model, "--calib", fx.c8, "--images", fx.data, "--max-images", "1", "--json", out}, extra...)
		if code, _, stderr := run(t, args...); code != 0 {
			t.Fatalf("layers %v: %s", extra, stderr)
		}
		var r struct {
			Board      map[string]boardTime
			CostSource string `json:"cost_source"`
		}
		b, _ := os.ReadFile(out)
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
		return r.Board, r.CostSource
	}
	rules, src := read()
	conv := rules["/model.0/conv/Conv"]
	if !strings.Contains(src, "rule-based") || !(conv.MS8 > 0) || !(conv.MS16 > conv.MS8) {
		t.Fatalf("rule-based: %q, stem conv %+v", src, conv)
	}
	perfd, src := read("--atc-perf", perf)
	mul := perfd["/model.22/Mul_2"]
	want := 40000 * mixed.SVP.SecPerByte * 1e3 // its DDR read + write, one byte a value
	if !strings.Contains(src, "atc_perf.csv") || abs(mul.MS8-want) > 1e-9 {
		t.Fatalf("from atc_perf: %q, Mul_2 %+v, want %.6f ms in 8-bit", src, mul, want)
	}
}
