package board

import (
	"bytes"
	"context"
	"encoding/json"
	"image/jpeg"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nniescope/nniescope/internal/demoframes"
	"github.com/nniescope/nniescope/internal/testassets"
	"github.com/nniescope/nniescope/internal/wasmbuild"
	"github.com/nniescope/nniescope/shared/metrics/boxdiff"
	"github.com/nniescope/nniescope/shared/recording"
	"github.com/nniescope/nniescope/shared/wire"
	"github.com/nniescope/nniescope/shared/yolo"
)

// TestUIInBrowser: the board in sim mode with two variants, the page in
// Debian's Chromium: panels show boxes, a higher score threshold shows
// fewer, and the diff table's counts equal shared/metrics/boxdiff's for the
// same detections. Screenshots land in out/screenshots.
func TestUIInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the board and Chromium")
	}
	repo, node := browserPrereqs(t)
	for _, su := range setups() {
		t.Run(su.name, func(t *testing.T) { uiInBrowser(t, su.name, su.make(t), repo, node) })
	}
}

func uiInBrowser(t *testing.T, name string, su setup, repo, node string) {
	model, c8 := su.model, su.calibrate(t, 8)
	addr, cancel, done := start(t, "--model", model, "--variant", "float", "--variant", "int8="+c8,
		"--source", "dir:"+su.val, "--fps", "2", "--threads", "2")
	defer func() { cancel(); <-done }()

	shots := filepath.Join(repo, "out", "screenshots", name)
	os.MkdirAll(shots, 0o755)
	ctx, stop := context.WithTimeout(context.Background(), 3*time.Minute)
	defer stop()
	// The script calls /test-stop here to stop the board, then checks that
	// the page shows the lost connection.
	ctl := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/test-stop" {
			cancel()
		}
	}))
	defer ctl.Close()
	cmd := exec.CommandContext(ctx, node, filepath.Join(repo, "webui", "test", "ui.mjs"), "http://"+addr+"/", shots)
	events := writeEventsRecording(t)
	cmd.Env = append(os.Environ(), "CONTROL_URL="+ctl.URL, "EVENTS_NSW="+events)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	var res struct {
		Before, After map[string]int
		Ref, Other    string
		Dets          map[string][]yolo.Detection
		Diff          struct{ Matched, Missed, Extra int }
		Conn          string
		CorruptError  string
		EventError    string
		EventFrame    string
		EvalRows      int
		DownState     string
		ReplayRec     string
		Heat          *struct {
			Levels   [][3]int
			Hists    int
			BoxMax   float64
			Scale    string
			ScaleMax float64
			Axes     []string
			Rec      string
		}
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("%q: %v", out, err)
	}
	t.Logf("boxes at score 0.25 %v, at 0.80 %v; diff %s vs %s %+v; screenshots in %s", res.Before, res.After, res.Other, res.Ref, res.Diff, shots)
	if grid := [3]int{8, su.inputW / 8, su.inH / 8}; res.Heat == nil || len(res.Heat.Levels) != 3 || res.Heat.Levels[0] != grid || res.Heat.Hists != 1 || res.Heat.BoxMax <= 0 {
		t.Errorf("heat map data %+v: want strides 8/16/32 (%dx%d at stride 8), one histogram, some box error", res.Heat, grid[1], grid[2])
	}
	// The heat map states its scale (the stride and the level's largest
	// error, which is what red means), histograms have labelled axes, and
	// the recording's state is shown, live and replayed.
	if h := res.Heat; h != nil {
		if !strings.Contains(h.Scale, "box branch |Δ|, stride 8") || math.Abs(h.ScaleMax-h.BoxMax) > 0.01*h.BoxMax {
			t.Errorf("heat scale %q up to %v: want the box branch at stride 8 up to its largest error %v", h.Scale, h.ScaleMax, h.BoxMax)
		}
		if len(h.Axes) < 5 || !strings.HasPrefix(h.Axes[0], "−") || h.Axes[1] != "0" || !strings.HasPrefix(h.Axes[2], "+") {
			t.Errorf("histogram axis labels %q: want −limit, 0, +limit and the counts", h.Axes)
		}
		if h.Rec != "not recording" {
			t.Errorf("live recording state %q, want \"not recording\"", h.Rec)
		}
	}
	if !strings.HasPrefix(res.ReplayRec, "recording events.nsw: ") || !strings.HasSuffix(res.ReplayRec, "MB, 1 frames") {
		t.Errorf("replayed recording shown as %q: want its name, size and frame count", res.ReplayRec)
	}
	if res.EvalRows != 2 {
		t.Errorf("eval report shows %d rows, want 2", res.EvalRows)
	}
	if !strings.Contains(res.DownState, "disconnected, retrying") {
		t.Errorf("after the board stopped the page says %q", res.DownState)
	}
	if !strings.Contains(res.EventError, "bad-frame.png") || !strings.Contains(res.EventError, "too large to encode") || !strings.Contains(res.EventFrame, "good-frame.png") {
		t.Errorf("error event shown as %q, frame as %q: want the failed frame's source and reason, and the next frame's source", res.EventError, res.EventFrame)
	}
	if !strings.Contains(res.CorruptError, "broken.nsw") {
		t.Errorf("a corrupt recording shows %q, want an error naming it", res.CorruptError)
	}
	if res.Conn != "live" {
		t.Errorf("connection state %q", res.Conn)
	}
	fewer := false
	for v, n := range res.Before {
		if n == 0 {
			t.Errorf("%s panel shows no boxes", v)
		}
		if res.After[v] > n {
			t.Errorf("%s: %d boxes at score 0.8, %d at 0.25", v, res.After[v], n)
		}
		fewer = fewer || res.After[v] < n
	}
	if !fewer {
		t.Error("raising the score threshold changed no box count")
	}
	want := boxdiff.Compare(res.Dets[res.Ref], res.Dets[res.Other], 0.5)
	if res.Diff.Matched != len(want.Matched) || res.Diff.Missed != len(want.Missed) || res.Diff.Extra != len(want.Extra) {
		t.Errorf("page diff %+v, shared computes matched %d missed %d extra %d", res.Diff, len(want.Matched), len(want.Missed), len(want.Extra))
	}
}

// writeEventsRecording writes a v2 recording: an error event for a frame
// the board could not process, then a frame (its picture) from another
// file.
func writeEventsRecording(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "events.nsw")
	w, err := recording.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	var jb bytes.Buffer
	img, _ := demoframes.Scene(0)
	if err := jpeg.Encode(&jb, img, nil); err != nil {
		t.Fatal(err)
	}
	w.Write(wire.AppendError(nil, &wire.Error{Header: wire.Header{Seq: 1, Index: 0, Count: 1, Source: "bad-frame.png"}, Text: "1x65536 picture: preview: jpeg: image is too large to encode"}))
	w.Write(wire.AppendImage(nil, &wire.Image{Header: wire.Header{Seq: 2, Index: 0, Count: 1, Source: "good-frame.png"}, MIME: "image/jpeg", Data: jb.Bytes()}))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestTokenLeavesTheURL: a board with a token, its page opened as
// /?token=T: the token leaves the address bar at once, the page still
// reads /api/info (with a Bearer header), and a reload keeps working
// without asking for the token again.
func TestTokenLeavesTheURL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the board and Chromium")
	}
	repo, node := browserPrereqs(t)
	addr, cancel, done := start(t, "--model", demoframes.ModelFile(t), "--variant", "float", "--source", "synthetic", "--synthetic-size", "320x240", "--fps", "2", "--token", "s3cret-token")
	defer func() { cancel(); <-done }()
	ctx, stop := context.WithTimeout(context.Background(), 2*time.Minute)
	defer stop()
	cmd := exec.CommandContext(ctx, node, filepath.Join(repo, "webui", "test", "token.mjs"), "http://"+addr+"/?token=s3cret-token")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	var res struct {
		Address     string
		AfterReload struct{ Href, Model string }
		Prompted    bool
		Streamed    bool
		WsURLs      []string
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("%q: %v", out, err)
	}
	if strings.Contains(res.Address, "s3cret") || strings.Contains(res.AfterReload.Href, "s3cret") {
		t.Errorf("the token stays in the address: %q, after reload %q", res.Address, res.AfterReload.Href)
	}
	// The stream authenticates by a WebSocket subprotocol, not ?token=.
	if !res.Streamed || len(res.WsURLs) == 0 || strings.Contains(strings.Join(res.WsURLs, " "), "token") {
		t.Errorf("stream: frames %v, WebSocket URLs %q: want frames, and no token in the URL", res.Streamed, res.WsURLs)
	}
	if res.AfterReload.Model != "demo.onnx" || res.Prompted {
		t.Errorf("after a reload the page read /api/info as %q and prompted=%v: want the model without a prompt", res.AfterReload.Model, res.Prompted)
	}
}

// browserPrereqs checks what the browser tests need (the module in the
// embedded UI, node, playwright-core, Chromium) and returns the repository
// root and node's path.
func browserPrereqs(t *testing.T) (repo, node string) {
	t.Helper()
	wasmbuild.Embedded(t)
	repo, _ = filepath.Abs("../../..")
	node = testassets.Tool(t, "node", "nodejs")
	testassets.NodeModule(t, filepath.Join(repo, "webui", "test"), "playwright-core")
	testassets.Chromium(t)
	return repo, node
}
