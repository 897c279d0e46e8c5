package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nniescope/nniescope/shared/mixed"
)

// TestEvalViews: eval --json, --html and --md and search --json on the
// demo model, then in Chromium the page (served by `nniescope serve`) and
// the --html file: the AP per class and variant, the precision-recall
// curves (read back from the plotted points) and the confusion matrix
// cells they show are the CLI's numbers, and the search's points are its
// evaluations with its answer ringed.
func TestEvalViews(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the model and Chromium")
	}
	model, data := demoData(t, 10)
	dir := t.TempDir()
	c8, c16 := filepath.Join(dir, "int8.txt"), filepath.Join(dir, "int16.txt")
	for bits, p := range map[string]string{"8": c8, "16": c16} {
		if code, _, stderr := run(t, "calib", "--model", model, "--images", data, "--bits", bits, "-o", p); code != 0 {
			t.Fatalf("calib %s: %s", bits, stderr)
		}
	}
	evalJSON, html := filepath.Join(dir, "eval.json"), filepath.Join(dir, "eval.html")
	code, md, stderr := run(t, "eval", "--model", model, "--data", data, "--variant", "float", "--variant", "int8="+c8, "--json", evalJSON, "--html", html, "--md")
	if code != 0 {
		t.Fatalf("eval: %s", stderr)
	}
	var rep evalOutput
	b, _ := os.ReadFile(evalJSON)
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Variants) != 2 || len(rep.Variants[1].Classes) != 4 || len(rep.Variants[1].PR50) != 101 || len(rep.Variants[1].Confusion) != 5 || rep.Names[1] != "square" {
		t.Fatalf("eval JSON lacks the per-class views: %+v", rep.Variants)
	}
	if !strings.Contains(md, "| square |") || !strings.Contains(md, "AP50-95 per class (conf 0.001, NMS IoU 0.7, max 300 detections)") {
		t.Fatalf("--md has no per-class table:\n%s", md)
	}
	searchJSON := filepath.Join(dir, "search.json")
	if code, _, stderr := run(t, "search", "--model", model, "--calib8", c8, "--calib16", c16, "--data", data, "-o", filepath.Join(dir, "mixed.txt"), "--json", searchJSON); code != 0 {
		t.Fatalf("search: %s", stderr)
	}
	var sr mixed.Result
	b, _ = os.ReadFile(searchJSON)
	if err := json.Unmarshal(b, &sr); err != nil {
		t.Fatal(err)
	}

	url := startServe(t)
	repo, node := browserPrereqs(t)
	shots := filepath.Join(repo, "out", "screenshots", "reports")
	os.MkdirAll(shots, 0o755)
	ctx, stop := context.WithTimeout(context.Background(), 2*time.Minute)
	defer stop()
	cmd := exec.CommandContext(ctx, node, filepath.Join(repo, "webui", "test", "report.mjs"), url, evalJSON, searchJSON, html, shots)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	type view struct {
		Classes map[string]string
		PR      map[string][][2]float64
		CM      map[string]int
	}
	var res struct {
		OnPage, InFile view
		Search         []struct {
			AP, MS float64
			Ringed bool
		}
		Errors []string
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("%q: %v", out, err)
	}
	for _, e := range res.Errors {
		t.Errorf("browser: %s", e)
	}
	for where, v := range map[string]view{"page": res.OnPage, "--html file": res.InFile} {
		cells, curves := 0, 0
		for _, vr := range rep.Variants {
			for _, c := range vr.Classes {
				if c.AP < 0 {
					continue
				}
				for key, want := range map[string]float64{"class-ap-": c.AP, "class-ap50-": c.AP50} {
					id := fmt.Sprintf("%s%s-%d", key, vr.Name, c.Class)
					if got := v.Classes[id]; got != fmt.Sprintf("%.3f", want) {
						t.Errorf("%s: %s shows %q, eval --json says %.4f", where, id, got, want)
					}
					cells++
				}
			}
			pts := v.PR[vr.Name]
			k := 0
			for r, p := range vr.PR50 {
				if p < 0 {
					continue
				}
				if k >= len(pts) || math.Abs(pts[k][0]-float64(r)/100) > 1e-3 || math.Abs(pts[k][1]-p) > 1e-3 {
					t.Errorf("%s: %s PR point %d is %v, eval --json says recall %.2f precision %.4f", where, vr.Name, k, pts[min(k, len(pts)-1)], float64(r)/100, p)
					break
				}
				k++
			}
			curves++
			for p, row := range vr.Confusion {
				for tr, n := range row {
					if got := v.CM[fmt.Sprintf("cm-%s-%d-%d", vr.Name, p, tr)]; got != n {
						t.Errorf("%s: %s confusion [%d][%d] shows %d, eval --json says %d", where, vr.Name, p, tr, got, n)
					}
				}
			}
		}
		if cells != 16 || curves != 2 {
			t.Errorf("%s: compared %d class cells and %d curves, want 16 and 2", where, cells, curves)
		}
	}
	if len(res.Search) != len(sr.Evaluations) || len(sr.Evaluations) == 0 {
		t.Fatalf("the page plots %d search points, search --json has %d evaluations", len(res.Search), len(sr.Evaluations))
	}
	ringed := 0
	for i, p := range res.Search {
		e := sr.Evaluations[i]
		if p.AP != e.AP || p.MS != e.LatencyMS {
			t.Errorf("search point %d: AP %v at %v ms, search --json %v at %v", i, p.AP, p.MS, e.AP, e.LatencyMS)
		}
		if p.Ringed {
			ringed++
		}
	}
	if ringed != 1 {
		t.Errorf("%d search points ringed as the answer, want 1", ringed)
	}
	t.Logf("screenshots in %s", shots)
}
