package cli

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/nniescope/nniescope/internal/testassets"
	"github.com/nniescope/nniescope/shared/wire"
)

// TestDemo runs the demo headless as CI does: the embedded model,
// calibration, search, and the board streaming float / int8 / mixed over
// synthetic scenes; /api/info must report the three live APs with 8-bit
// the lowest, and the stream must carry decodable frames.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole demo")
	}
	ap, out := runDemoAndWait(t)
	// It says what it is doing from the start, before any slow step.
	if first, _, _ := strings.Cut(out, "\n"); !strings.HasPrefix(first, "demo: generating synthetic scenes") {
		t.Errorf("the demo's first line is %q", first)
	}
	if !(ap["int8"] < ap["float"] && ap["int8"] < ap["mixed"]) {
		t.Errorf("live AP %v: 8-bit should be the lowest", ap)
	}
}

// TestDemoOnYOLOv8n points the same demo at yolov8n 512x288 and the COCO
// val images: it must calibrate, search and stream the three variants
// with their live AP.
func TestDemoOnYOLOv8n(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole demo")
	}
	ap, out := runDemoAndWait(t, "--model", testassets.Path(t, "models", "yolov8n-512x288.onnx"), "--images", testassets.Path(t, "coco", "val"))
	// Calibration and scoring use disjoint halves of the 65 images.
	if !strings.Contains(out, "65 labelled images: calibrating on 33, searching and streaming the other 32") {
		t.Errorf("the demo does not say it split the images:\n%s", out)
	}
	for _, v := range []string{"float", "int8", "mixed"} {
		if a, ok := ap[v]; !ok || a <= 0 {
			t.Errorf("live AP %v: want all three variants scored", ap)
		}
	}
}

// runDemoAndWait starts the demo, waits for the three live APs, checks the
// stream, and returns the APs.
func runDemoAndWait(t *testing.T, extra ...string) (map[string]float64, string) {
	dir := t.TempDir()
	board := filepath.Join(dir, "nniescope-board")
	build := exec.Command("go", "build", "-o", board, "../../../firmware/cmd/nniescope-board")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the board: %v\n%s", err, out)
	}
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, Env{Stdout: &out, Stderr: &errb}, append([]string{"demo", "--listen", addr, "--board", board, "--work", dir, "--duration", "30m"}, extra...))
	}()
	// Wait on events, not on the machine's speed: first the demo's "open"
	// line (after calibration and search; generous, a loaded 2-core machine
	// takes several times longer), then ten scored frames per variant.
	phase, deadline := "the demo's \"open\" line", time.Now().Add(15*time.Minute)
	var info struct {
		Variants []struct {
			Name string   `json:"name"`
			AP   *float64 `json:"ap"`
		} `json:"variants"`
	}
	for {
		if time.Now().After(deadline) {
			t.Fatalf("no %s in time\nstdout: %s\nstderr: %s", phase, out.String(), errb.String())
		}
		select {
		case code := <-done:
			t.Fatalf("demo exited with %d\nstdout: %s\nstderr: %s", code, out.String(), errb.String())
		case <-time.After(time.Second):
		}
		if phase != "live AP" {
			if !strings.Contains(out.String(), "demo: open http://") {
				continue
			}
			phase, deadline = "live AP", time.Now().Add(10*time.Minute)
		}
		resp, err := http.Get("http://" + addr + "/api/info")
		if err != nil {
			continue
		}
		json.NewDecoder(resp.Body).Decode(&info)
		resp.Body.Close()
		ready := len(info.Variants) == 3
		for _, v := range info.Variants {
			ready = ready && v.AP != nil
		}
		if ready {
			break
		}
	}
	ap := map[string]float64{}
	for _, v := range info.Variants {
		ap[v.Name] = *v.AP
	}
	t.Logf("demo output:\n%s\nlive AP: %v", out.String(), ap)
	c, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	seen := map[string]bool{}
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	for len(seen) < 3 {
		_, msg, err := c.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		if h, err := wire.PeekHeader(msg); err == nil && h.Kind == wire.KindResult {
			r, err := wire.DecodeResult(msg)
			if err != nil {
				t.Fatal(err)
			}
			seen[r.Variant] = true
		}
	}
	cancel()
	<-done
	return ap, out.String()
}

// TestDemoNNIE: the demo for the NNIE generation calibrates one NNIE file,
// searches the layers to mark high precision and streams float, NNIE
// 8-bit and mixed, each scored live.
func TestDemoNNIE(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole demo")
	}
	ap, out := runDemoAndWait(t, "--chip", "nnie")
	if !strings.Contains(out, "calibrating for NNIE") || !strings.Contains(out, "layers to mark high precision") {
		t.Errorf("the NNIE demo does not say what it does:\n%s", out)
	}
	for _, v := range []string{"float", "nnie8", "mixed"} {
		if a, ok := ap[v]; !ok || a <= 0 {
			t.Errorf("live AP %v: want float, nnie8 and mixed scored", ap)
		}
	}
}
