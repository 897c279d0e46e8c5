package board

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/nniescope/nniescope/internal/demoframes"
	"github.com/nniescope/nniescope/shared/dataset"
	"github.com/nniescope/nniescope/shared/onnx"
	"github.com/nniescope/nniescope/shared/quant/nnie"
	"github.com/nniescope/nniescope/shared/synth"
	"github.com/nniescope/nniescope/shared/wire"
)

// TestSimStreamsNNIEVariants: the board's sim engine takes NNIE
// calibration files as variants (told from ATC files by content) and
// simulates them with NNIE's arithmetic: results stream for the float and
// both NNIE variants, /api/info gives their coverage, and the 8-bit boxes
// differ from float's somewhere (the logarithmic code does change them).
func TestSimStreamsNNIEVariants(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the model")
	}
	dir := t.TempDir()
	if err := synth.WriteDataset(filepath.Join(dir, "calib"), 11, 0, 4, demoframes.SrcW, demoframes.SrcH); err != nil {
		t.Fatal(err)
	}
	files, _ := dataset.ImageFiles(filepath.Join(dir, "calib"))
	model := demoframes.ModelFile(t)
	m, err := onnx.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"--model", model, "--variant", "float", "--source", "synthetic", "--synthetic-size", "320x240", "--threads", "2"}
	for _, bits := range []int{8, 16} {
		f, err := nnie.Calibrate(context.Background(), m, files, nnie.CalibOptions{Bits: bits, Threads: 2}, nil)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, map[int]string{8: "nnie8.json", 16: "nnie16.json"}[bits])
		if err := f.Save(p); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--variant", strings.TrimSuffix(filepath.Base(p), ".json")+"="+p)
	}
	addr, cancel, done := start(t, args...)
	defer func() { cancel(); <-done }()
	resp, err := http.Get("http://" + addr + "/api/info")
	if err != nil {
		t.Fatal(err)
	}
	var info Info
	json.NewDecoder(resp.Body).Decode(&info)
	resp.Body.Close()
	if len(info.Variants) != 3 || info.Variants[1].Coverage == "" || info.Variants[2].Coverage == "" {
		t.Fatalf("/api/info variants %+v: want float, nnie8, nnie16 with coverage", info.Variants)
	}
	c, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got, differ := map[string]int{}, false
	boxes := map[uint64]map[string]string{}
	for len(got) < 3 || !differ {
		c.SetReadDeadline(time.Now().Add(60 * time.Second))
		_, msg, err := c.ReadMessage()
		if err != nil {
			t.Fatalf("after %v: %v", got, err)
		}
		if h, err := wire.PeekHeader(msg); err != nil || h.Kind != wire.KindResult {
			continue
		}
		r, err := wire.DecodeResult(msg)
		if err != nil {
			t.Fatal(err)
		}
		got[r.Variant]++
		b, _ := json.Marshal(r.Boxes)
		if boxes[r.Seq] == nil {
			boxes[r.Seq] = map[string]string{}
		}
		boxes[r.Seq][r.Variant] = string(b)
		if fb, ok := boxes[r.Seq]["float"]; ok && boxes[r.Seq]["nnie8"] != "" && fb != boxes[r.Seq]["nnie8"] {
			differ = true
		}
		if got["float"] > 20 {
			t.Fatalf("20 frames and the NNIE 8-bit boxes never differ from float's: %v", got)
		}
	}
}
