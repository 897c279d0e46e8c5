package wasmhost

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nniescope/nniescope/internal/testassets"
)

// TestBrowserMatchesNative runs the same module in headless Chromium on
// each frame set (synthetic scenes through the demo model; the four COCO
// goldens): its JSON must be byte-identical to native Go's.
func TestBrowserMatchesNative(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium; run without -short")
	}
	webui, _ := filepath.Abs("../../webui")
	node := testassets.Tool(t, "node", "nodejs")
	testassets.NodeModule(t, filepath.Join(webui, "test"), "playwright-core")
	testassets.Chromium(t)
	wasm, err := os.ReadFile(BuildModule(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, set := range frameSets() {
		t.Run(set.name, func(t *testing.T) { browserMatchesNative(t, node, webui, wasm, set.requests(t)) })
	}
}

func browserMatchesNative(t *testing.T, node, webui string, wasm []byte, reqs [][]byte) {
	static := filepath.Join(webui, "static")
	mux := http.NewServeMux()
	mux.Handle("/", http.FileServer(http.Dir(static)))
	mux.Handle("/test/", http.StripPrefix("/test/", http.FileServer(http.Dir(filepath.Join(webui, "test")))))
	mux.HandleFunc("/nniescope.wasm", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/wasm")
		w.Write(wasm)
	})
	mux.HandleFunc("/req/", func(w http.ResponseWriter, r *http.Request) {
		var i int
		if _, err := fmt.Sscanf(strings.TrimPrefix(r.URL.Path, "/req/"), "%d", &i); err != nil || i < 0 || i >= len(reqs) {
			http.NotFound(w, r)
			return
		}
		w.Write(reqs[i])
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	shot := filepath.Join(t.TempDir(), "decode.png")
	cmd := exec.CommandContext(ctx, node, filepath.Join(webui, "test", "browser.mjs"), fmt.Sprintf("%s/test/decode.html?n=%d", srv.URL, len(reqs)), shot)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium run: %v", err)
	}
	var res struct {
		Results []struct {
			JSON   string `json:"json"`
			Status int    `json:"status"`
		} `json:"results"`
		MSPerDecode float64 `json:"msPerDecode"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("browser output %q: %v", out, err)
	}
	if len(res.Results) != len(reqs) {
		t.Fatalf("%d results for %d requests", len(res.Results), len(reqs))
	}
	for i, r := range res.Results {
		want := string(Native(t, reqs[i]))
		if r.Status != 0 || r.JSON != want {
			t.Fatalf("frame %d: browser (status %d) and native differ:\n%s\n%s", i, r.Status, r.JSON, want)
		}
	}
	t.Logf("Chromium: %.2f ms per decode+NMS of one frame (six f32 heads)", res.MSPerDecode)
}
