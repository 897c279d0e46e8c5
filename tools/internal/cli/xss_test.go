package cli

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/nniescope/nniescope/internal/testassets"
	"github.com/nniescope/nniescope/internal/wasmbuild"
	"github.com/nniescope/nniescope/shared/letterbox"
	"github.com/nniescope/nniescope/shared/recording"
	"github.com/nniescope/nniescope/shared/wire"
	"github.com/nniescope/nniescope/shared/yolo"
)

// browserPrereqs checks what a browser test of the page needs (the
// module embedded in the page, node, playwright-core, Chromium) and
// returns the repository root and node's path.
func browserPrereqs(t *testing.T) (repo, node string) {
	t.Helper()
	wasmbuild.Embedded(t)
	repo, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	node = testassets.Tool(t, "node", "nodejs")
	testassets.NodeModule(t, filepath.Join(repo, "webui", "test"), "playwright-core")
	testassets.Chromium(t)
	return repo, node
}

// payload runs script wherever it becomes HTML.
const payload = `<img src=x onerror="window.__pwned=(window.__pwned||0)+1">`

// TestPageRunsNoScriptFromFiles opens, in Chromium, an eval report with a
// payload in its strings and in fields the page prints as numbers, and a
// recording whose second variant is named by the payload (the diff table
// ran it: <td>${name}</td>): no script runs, no payload becomes an
// element, and the page's Content-Security-Policy — which would block
// inline script that slipped through — has nothing to block.
func TestPageRunsNoScriptFromFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Chromium")
	}
	repo, node := browserPrereqs(t)
	dir := t.TempDir()

	report := map[string]any{
		"model": payload, "data": payload, "images": payload, "placement": payload, "names": []string{payload, "b"},
		"settings": map[string]any{"conf": payload, "iou": payload, "max_det": payload, "confusion_conf": payload, "confusion_iou": payload},
		"variants": []map[string]any{{
			"name": payload, "ap": 0.5, "ap50": 0.6, "ap75": 0.4, "box_shift_px": 0.1,
			"classes":   []map[string]any{{"class_id": payload, "instances": payload, "ap": 0.5, "ap50": 0.6}},
			"pr50":      []any{1, 0.9, 0.5},
			"confusion": [][]any{{payload, 0}, {0, 1}},
		}},
	}
	evalFile := filepath.Join(dir, "eval.json")
	b, _ := json.Marshal(report)
	if err := os.WriteFile(evalFile, b, 0o644); err != nil {
		t.Fatal(err)
	}
	recFile := filepath.Join(dir, "crafted.nsw")
	writeCraftedRecording(t, recFile, "float", payload)

	url := startServe(t)
	ctx, stop := context.WithTimeout(context.Background(), 2*time.Minute)
	defer stop()
	cmd := exec.CommandContext(ctx, node, filepath.Join(repo, "webui", "test", "xss.mjs"), url, evalFile, recFile)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	var res struct {
		Pwned, Injected    int
		Violations, Errors []string
		DiffRows, EvalRows int
		PayloadText        bool
		CSP                string
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("%q: %v", out, err)
	}
	t.Logf("%+v", res)
	if res.DiffRows == 0 || res.EvalRows < 2 {
		t.Fatalf("the page did not show the files (diff rows %d, eval rows %d): the test proves nothing", res.DiffRows, res.EvalRows)
	}
	if res.Pwned != 0 || res.Injected != 0 || len(res.Violations) != 0 {
		t.Errorf("script ran %d times, %d payload elements in the page, CSP blocked %v", res.Pwned, res.Injected, res.Violations)
	}
	if !res.PayloadText {
		t.Error("the payload is not shown as text: escaping should print it, not drop it")
	}
	if res.CSP == "" {
		t.Error("the page is served without a Content-Security-Policy")
	}
}

// writeCraftedRecording writes one frame: a JPEG and two results (ref,
// other) of one box each, a YOLOv8 output0 [1, 5, 1] in F32 over a 64x64
// picture.
func writeCraftedRecording(t *testing.T, path, ref, other string) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 64))
	for i := range img.Pix {
		img.Pix[i] = 128
	}
	img.Set(0, 0, color.White)
	var jb bytes.Buffer
	if err := jpeg.Encode(&jb, img, nil); err != nil {
		t.Fatal(err)
	}
	g, err := letterbox.Fit(64, 64, 64, 64)
	if err != nil {
		t.Fatal(err)
	}
	vals := []float32{32, 32, 20, 20, 0.9} // cx, cy, w, h, one class score
	data := make([]byte, 4*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint32(data[4*i:], math.Float32bits(v))
	}
	w, err := recording.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	h := wire.Header{Seq: 1, CaptureNs: 1, SentNs: 2, Count: 3, Source: "crafted.jpg"}
	if err := w.Write(wire.AppendImage(nil, &wire.Image{Header: h, MIME: "image/jpeg", Data: jb.Bytes()})); err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{ref, other} {
		h.Index = uint16(i + 1)
		r := &wire.Result{Header: h, Geometry: g, Variant: name, Layout: yolo.Output0,
			Tensors: []wire.Tensor{{Name: "output0", Raw: yolo.Raw{Type: yolo.RawF32, Shape: []int{1, 5, 1}, Scale: 1, Data: data}}}}
		if err := w.Write(wire.AppendResult(nil, r)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}
