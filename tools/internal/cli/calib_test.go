package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nniescope/nniescope/internal/testassets"
	"github.com/nniescope/nniescope/internal/wasmbuild"
	"github.com/nniescope/nniescope/shared/calib"
)

func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(context.Background(), Env{Stdout: &out, Stderr: &errb}, args)
	return code, out.String(), errb.String()
}

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

var sprintf = fmt.Sprintf

const rec = "layer {\n  name: \"%s\"\n  calc_data_type: %s\n  quant_param {\n    input {\n      data_type: %s\n      scale: %s\n      offset: 0\n    }\n  }\n}\n"

func TestSpliceAndDiffCLI(t *testing.T) {
	dir := t.TempDir()
	f8 := writeFile(t, dir, "int8.txt", "version: 65536\n"+sprintf(rec, "/a", "S8", "S8", "2")+sprintf(rec, "/model.22/Mul_2", "F16", "S8", "3.2"))
	f16 := writeFile(t, dir, "int16.txt", "version: 65536\n"+sprintf(rec, "/a", "S16", "S16", "512")+sprintf(rec, "/model.22/Mul_2", "F16", "S16", "800"))
	out := filepath.Join(dir, "mixed.txt")
	if code, _, stderr := run(t, "calib", "splice", "--base", f8, "--from", f16, "--layer", "/model.22/Mul_2", "-o", out); code != 0 {
		t.Fatal(stderr)
	}
	m, err := calib.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if m.Layer("/a").Inputs[0].DataType != calib.S8 || m.Layer("/model.22/Mul_2").Inputs[0].DataType != calib.S16 {
		t.Fatalf("spliced file:\n%s", m.Format())
	}
	code, stdout, _ := run(t, "calib", "diff", f8, out)
	if code != 0 || !strings.Contains(stdout, "/model.22/Mul_2: input 0: S8 scale 3.2 offset 0 (step 0.3125) -> S16 scale 800") || !strings.Contains(stdout, "1 layer(s) differ") {
		t.Fatalf("diff output:\n%s", stdout)
	}
	// Bad input: each a one-line error naming what is wrong.
	model, data := demoData(t, 2)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"calib", "splice", "--base", f8, "--from", f16, "--layer", "/nowhere", "-o", out}, `layer "/nowhere" is not in`},
		{[]string{"calib", "diff", f8, writeFile(t, dir, "trunc.txt", "layer {\n  name: \"/a\"\n")}, "trunc.txt:3:1: unexpected end of file"},
		{[]string{"calib", "diff", f8, writeFile(t, dir, "zero.txt", sprintf(rec, "/a", "S8", "S8", "0"))}, "zero.txt:7:7: scale 0 must be a positive"},
		{[]string{"eval", "--model", model, "--data", data, "--variant", writeFile(t, dir, "other.txt", sprintf(rec, "/a", "S8", "S8", "2"))}, "none of its 1 layer records names a node"},
		{[]string{"eval", "--model", model, "--data", dir, "--variant", "float"}, "want an images/ folder"},
		{[]string{"eval", "--model", "m.onnx", "--data", dir, "--variant", "float", "--placement", "magic"}, `placement "magic"`},
	} {
		code, _, stderr := run(t, tc.args...)
		if code != 1 || !strings.Contains(stderr, tc.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want one line with %q", tc.args[:2], code, stderr, tc.want)
		}
	}
}

// TestEvalResultsRoundTrip: the files eval writes give the same AP when
// scored again by cocoeval.
func TestEvalResultsRoundTrip(t *testing.T) {
	dir := t.TempDir()
	model, data := demoData(t, 16)
	code, stdout, stderr := run(t, "eval", "--model", model, "--data", data,
		"--variant", "float", "--results", dir, "--json", "-")
	if code != 0 {
		t.Fatal(stderr)
	}
	var ev struct {
		Variants []struct {
			AP float64 `json:"ap"`
		} `json:"variants"`
	}
	if err := json.Unmarshal([]byte(stdout), &ev); err != nil || len(ev.Variants) != 1 {
		t.Fatalf("%q: %v", stdout, err)
	}
	code, stdout, stderr = run(t, "cocoeval", "--json", "--gt", filepath.Join(dir, "gt.json"), "--dt", filepath.Join(dir, "float.json"))
	if code != 0 {
		t.Fatal(stderr)
	}
	var ce struct {
		Stats []float64 `json:"stats"`
	}
	if err := json.Unmarshal([]byte(stdout), &ce); err != nil {
		t.Fatal(err)
	}
	if ce.Stats[0] != ev.Variants[0].AP || ce.Stats[0] < 0.3 {
		t.Fatalf("cocoeval on the written files: AP %v; eval said %v", ce.Stats[0], ev.Variants[0].AP)
	}
}

// startServe runs `nniescope serve` until the test ends (checking it then
// exits 0) and returns the URL it prints. The URL is awaited for up to 30 s:
// on a busy machine the server can take a while to come up.
func startServe(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int)
	go func() {
		done <- Main(ctx, Env{Stdout: &out, Stderr: &errb}, []string{"serve", "--listen", "127.0.0.1:0"})
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exited %d: %s", code, errb.String())
		}
	})
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if s := out.String(); strings.Contains(s, "http://") {
			return strings.Fields(s[strings.Index(s, "http://"):])[0]
		}
	}
	t.Fatalf("serve printed no URL in 30 s: %q %q", out.String(), errb.String())
	return ""
}

func TestServe(t *testing.T) {
	url := startServe(t)
	resp, err := http.Get(url + "app.js")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET app.js: %v %v", resp, err)
	}
	resp.Body.Close()
}

// TestServeOffline: the page `nniescope serve` gives has no board behind
// it: /api/info says "offline", and in Chromium the page says so instead
// of a red "disconnected, retrying", opens no WebSocket and throws nothing.
// Screenshot: out/screenshots/serve/offline.png.
func TestServeOffline(t *testing.T) {
	url := startServe(t)
	resp, err := http.Get(url + "api/info")
	if err != nil {
		t.Fatal(err)
	}
	var info struct{ Engine string }
	err = json.NewDecoder(resp.Body).Decode(&info)
	resp.Body.Close()
	if err != nil || info.Engine != "offline" {
		t.Fatalf("/api/info: %v, engine %q", err, info.Engine)
	}
	wasmbuild.Embedded(t)
	repo, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	node := testassets.Tool(t, "node", "nodejs")
	testassets.NodeModule(t, filepath.Join(repo, "webui", "test"), "playwright-core")
	testassets.Chromium(t)
	shots := filepath.Join(repo, "out", "screenshots", "serve")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	bctx, stop := context.WithTimeout(context.Background(), 2*time.Minute)
	defer stop()
	cmd := exec.CommandContext(bctx, node, filepath.Join(repo, "webui", "test", "offline.mjs"), url, filepath.Join(shots, "offline.png"))
	cmd.Stderr = os.Stderr
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	var res struct {
		Badge, Cls string
		Sockets    int
		Errors     []string
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatalf("%q: %v", b, err)
	}
	if res.Badge != "offline: open a recording or a report" || res.Cls != "offline" || res.Sockets != 0 || len(res.Errors) != 0 {
		t.Fatalf("badge %q (class %q), %d WebSockets, errors %v: want the offline badge, none, none", res.Badge, res.Cls, res.Sockets, res.Errors)
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }
