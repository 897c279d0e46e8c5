package cli

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nniescope/nniescope/internal/testassets"
	"github.com/nniescope/nniescope/shared/quant"
)

// TestGraphView: `layers --json` with 8- and 16-bit files carries the
// graph and both files' records; in Chromium the page lays out every node
// and edge, colours the nodes by the report (the worst isolated SQNR the
// reddest; another colouring for cumulative), Netron's category colours
// on the headers, finds the stride Mul through the search box, and its
// panel shows both records with their steps and, with a search report,
// the AP of keeping it in 16-bit, ringed as the search's answer. On the
// demo model always, on yolov8n 512x288 with the assets.
func TestGraphView(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the model and Chromium")
	}
	repo, node := browserPrereqs(t)
	url := startServe(t)
	for _, tc := range []struct {
		name   string
		setup  func(t *testing.T) (model, images string)
		search bool
	}{
		{"demo", func(t *testing.T) (string, string) { return demoData(t, 10) }, true},
		{"yolov8n", func(t *testing.T) (string, string) {
			// Eight calibration pictures are enough to draw the graph.
			src := testassets.Path(t, "coco", "calib", "images")
			files, _ := filepath.Glob(filepath.Join(src, "*.jpg"))
			dir := filepath.Join(t.TempDir(), "images")
			os.MkdirAll(dir, 0o755)
			for _, f := range files[:8] {
				os.Symlink(f, filepath.Join(dir, filepath.Base(f)))
			}
			return testassets.Path(t, "models", "yolov8n-512x288.onnx"), dir
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			model, images := tc.setup(t)
			dir := t.TempDir()
			c8, c16 := filepath.Join(dir, "int8.txt"), filepath.Join(dir, "int16.txt")
			for bits, p := range map[string]string{"8": c8, "16": c16} {
				if code, _, stderr := run(t, "calib", "--model", model, "--images", images, "--bits", bits, "-o", p); code != 0 {
					t.Fatalf("calib %s: %s", bits, stderr)
				}
			}
			layersJSON := filepath.Join(dir, "layers.json")
			if code, _, stderr := run(t, "layers", "--model", model, "--calib", c8, "--calib16", c16, "--images", images, "--max-images", "2", "--json", layersJSON); code != 0 {
				t.Fatalf("layers: %s", stderr)
			}
			var rep struct {
				Layers []quant.LayerReport
				Graph  []graphNode
			}
			b, _ := os.ReadFile(layersJSON)
			if err := json.Unmarshal(b, &rep); err != nil {
				t.Fatal(err)
			}
			searchJSON := "-"
			if tc.search {
				searchJSON = filepath.Join(dir, "search.json")
				if code, _, stderr := run(t, "search", "--model", model, "--calib8", c8, "--calib16", c16, "--data", filepath.Dir(images+"/"), "-o", filepath.Join(dir, "mixed.txt"), "--json", searchJSON); code != 0 {
					t.Fatalf("search: %s", stderr)
				}
			}
			const stride = "/model.22/Mul_2"
			shots := filepath.Join(repo, "out", "screenshots", "graph")
			os.MkdirAll(shots, 0o755)
			ctx, stop := context.WithTimeout(context.Background(), 2*time.Minute)
			defer stop()
			cmd := exec.CommandContext(ctx, node, filepath.Join(repo, "webui", "test", "graph.mjs"), url, layersJSON, searchJSON, stride, filepath.Join(shots, tc.name+".png"))
			cmd.Stderr = os.Stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("chromium: %v", err)
			}
			var res struct {
				Found struct {
					Title, Calib, Calib16, SearchAP, Board string
					Selected                               []string
				}
				Other, Clicked string
				TableFirst     string
				Back           struct {
					Title   string
					Records []string
				}
				Nodes      []struct{ Name, Fill, Stroke, Header, Op string }
				Edges      int
				Cumulative []string
				Errors     []string
			}
			if err := json.Unmarshal(out, &res); err != nil {
				t.Fatalf("%q: %v", out, err)
			}
			for _, e := range res.Errors {
				t.Errorf("browser: %s", e)
			}
			edges := 0
			for _, n := range rep.Graph {
				edges += len(n.Inputs)
			}
			if len(res.Nodes) != len(rep.Graph) || res.Edges != edges {
				t.Errorf("the page draws %d nodes and %d edges; the graph has %d and %d", len(res.Nodes), res.Edges, len(rep.Graph), edges)
			}
			if res.Found.Title != stride || len(res.Found.Selected) != 1 || res.Found.Selected[0] != stride {
				t.Errorf("finding %s: panel %q, selected %v", stride, res.Found.Title, res.Found.Selected)
			}
			if !strings.Contains(res.Found.Board, "ms in 8-bit") || !strings.Contains(res.Found.Board, "rule-based") {
				t.Errorf("the node panel's board time: %q", res.Found.Board)
			}
			if res.Clicked != res.Other {
				t.Errorf("clicking %s shows %q", res.Other, res.Clicked)
			}
			if res.Back.Title != stride || len(res.Back.Records) != 2 || !strings.Contains(res.Back.Records[0], "S8 scale") || !strings.Contains(res.Back.Records[1], "S16 scale") {
				t.Errorf("clicking %s shows %q with records %q", stride, res.Back.Title, res.Back.Records)
			}
			for _, want := range []struct{ where, text string }{{res.Found.Calib, "S8 scale"}, {res.Found.Calib16, "S16 scale"}, {res.Found.Calib, "step"}, {res.Found.Calib16, "step"}} {
				if !strings.Contains(want.where, want.text) {
					t.Errorf("the node's records %q lack %q", want.where, want.text)
				}
			}
			// Colour by the report: the worst isolated layer is the reddest,
			// the colours vary, and the cumulative mode colours differently.
			// (The report is ranked by box damage; the colours are SQNR.)
			worstLayer := rep.Layers[0]
			for _, l := range rep.Layers {
				if l.Isolated.SQNRdB < worstLayer.Isolated.SQNRdB {
					worstLayer = l
				}
			}
			worst := worstLayer.Name
			fills, byName := map[string]bool{}, map[string]string{}
			for _, n := range res.Nodes {
				fills[n.Fill] = true
				byName[n.Name] = n.Fill
			}
			if byName[worst] != "hsl(0,85%,50.0%)" || len(fills) < 10 {
				t.Errorf("worst layer %s is %s, %d distinct fills: want the reddest and a spread", worst, byName[worst], len(fills))
			}
			if strings.Join(res.Cumulative, ",") == func() string {
				var f []string
				for _, n := range res.Nodes {
					f = append(f, n.Fill)
				}
				return strings.Join(f, ",")
			}() {
				t.Error("switching to cumulative error changed no colour")
			}
			for _, n := range res.Nodes {
				if n.Op == "Conv" && n.Header != "rgb(51,85,136)" {
					t.Errorf("Conv %s header %s, want Netron's layer colour", n.Name, n.Header)
					break
				}
			}
			if tc.search {
				// The layers table puts the search's answer in view, first.
				var sr struct{ Layers []string }
				b, _ := os.ReadFile(searchJSON)
				if err := json.Unmarshal(b, &sr); err != nil || len(sr.Layers) == 0 {
					t.Fatalf("search.json: %v, layers %v", err, sr.Layers)
				}
				if !strings.HasPrefix(res.TableFirst, sr.Layers[0]) || !strings.Contains(res.TableFirst, "16-bit in the search's answer") {
					t.Errorf("the layers table starts with %q, want the search's %s marked", res.TableFirst, sr.Layers[0])
				}
				if !strings.Contains(res.Found.SearchAP, "keeping it alone in 16-bit gives AP") || !strings.Contains(res.Found.SearchAP, "kept in 16-bit by the search's answer") {
					t.Errorf("search panel %q", res.Found.SearchAP)
				}
				if byStroke := func() string {
					for _, n := range res.Nodes {
						if n.Name == stride {
							return n.Stroke
						}
					}
					return ""
				}(); byStroke != "#f9a825" {
					t.Errorf("the search's layer is stroked %q, want the answer's ring", byStroke)
				}
			}
		})
	}
}
