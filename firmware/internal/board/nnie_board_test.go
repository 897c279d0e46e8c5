//go:build nnie && nnietestdouble

package board

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/nniescope/nniescope/internal/wasmbuild"
	"github.com/nniescope/nniescope/internal/wasmhost"
	"github.com/nniescope/nniescope/shared/wire"
	"github.com/nniescope/nniescope/shared/yolo"
)

// TestNNIEEngineStreams runs the board with --engine nnie on the test
// double runtime (an 8x4 U8 input the .wk states): a client receives
// "board" results carrying the outputs as the NNIE wrote them, S32 × 4096
// with padded rows, which decode to the double's values.
func TestNNIEEngineStreams(t *testing.T) {
	wk := filepath.Join(t.TempDir(), "fake.wk")
	if err := os.WriteFile(wk, []byte("FAKEWK test"), 0o644); err != nil {
		t.Fatal(err)
	}
	addr, cancel, done := start(t, "--engine", "nnie", "--wk", wk, "--source", "synthetic", "--fps", "20")
	defer func() { cancel(); <-done }()
	c, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	msg := readUntil(t, c, "a board result", func(h wire.Header, _ []byte) bool { return h.Kind == wire.KindResult })
	r, err := wire.DecodeResult(msg)
	if err != nil {
		t.Fatal(err)
	}
	if r.Variant != "board" || len(r.Tensors) != 2 || r.Tensors[0].Name != "out_a" || r.Tensors[0].Raw.Type != yolo.RawS32x4096 || r.Tensors[0].Raw.RowStride != 32 || r.DstW != 8 || r.DstH != 4 {
		t.Fatalf("result %+v", r)
	}
	b, err := r.Tensors[1].Raw.Float()
	if err != nil || b.F[0] != -0.5 || b.F[5] != -3 {
		t.Fatalf("out_b %v %v", b, err)
	}
}

// TestNNIEStartupErrors: a file that is no .wk is refused at start,
// naming the file and the mapper/SDK mismatch to check; a channel order
// nnie_mapper does not know is refused too.
func TestNNIEStartupErrors(t *testing.T) {
	wk := filepath.Join(t.TempDir(), "junk.wk")
	os.WriteFile(wk, []byte("junk"), 0o644)
	var stderr strings.Builder
	err := Run(context.Background(), []string{"--engine", "nnie", "--wk", wk, "--listen", "127.0.0.1:0"}, &stderr, nil)
	if err == nil || !strings.Contains(err.Error(), "junk.wk") || !strings.Contains(err.Error(), "arch_version") {
		t.Fatalf("a junk .wk: %v", err)
	}
	err = Run(context.Background(), []string{"--engine", "nnie", "--wk", wk, "--rgb-order", "GRB", "--listen", "127.0.0.1:0"}, &stderr, nil)
	if err == nil || !strings.Contains(err.Error(), "--rgb-order") {
		t.Fatalf("--rgb-order GRB: %v", err)
	}
}

// TestNNIEHeadsDecodeInTheModule: the double's YOLOv8 heads (.wk
// "FAKEWK-HEADS", 32x32 input) stream from --engine nnie as six S32 × 4096
// blobs, and the page's module (run here in wazero) decodes them to the
// one box the double encodes: class 0, score σ(5), centred at (1.5, 2.5)
// cells of stride 8 with every side the DFL expectation of bin 2, mapped
// back through the 320x240 scene's letterbox.
func TestNNIEHeadsDecodeInTheModule(t *testing.T) {
	module := wasmbuild.Embedded(t)
	ctx := context.Background()
	m, err := wasmhost.Load(ctx, module, "")
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close(ctx)
	wk := filepath.Join(t.TempDir(), "heads.wk")
	os.WriteFile(wk, []byte("FAKEWK-HEADS test"), 0o644)
	addr, cancel, done := start(t, "--engine", "nnie", "--wk", wk, "--source", "synthetic", "--synthetic-size", "320x240", "--fps", "20")
	defer func() { cancel(); <-done }()
	c, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	msg := readUntil(t, c, "a board result", func(h wire.Header, _ []byte) bool { return h.Kind == wire.KindResult })
	req := make([]byte, 20, 20+len(msg))
	binary.LittleEndian.PutUint32(req, math.Float32bits(0.25))
	binary.LittleEndian.PutUint32(req[4:], math.Float32bits(0.7))
	binary.LittleEndian.PutUint32(req[16:], 300)
	out, err := m.DecodeWire(ctx, append(req, msg...))
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	var res struct {
		Layout     []float64 `json:"letterbox"`
		Detections []yolo.Detection
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	// DFL: softmax over 16 bins with logit 10 in bin 2, 0 elsewhere.
	e10 := math.Exp(10)
	dist := (2*e10 + (120 - 2)) / (e10 + 15)
	scale := 32.0 / 320 // letterbox of 320x240 into 32x32: 32x24, 4 px pad top and bottom
	want := [4]float64{(12 - 8*dist) / scale, (20 - 8*dist - 4) / scale, (12 + 8*dist) / scale, (20 + 8*dist - 4) / scale}
	want[0], want[1] = math.Max(want[0], 0), math.Max(want[1], 0) // clipped to the picture
	want[2], want[3] = math.Min(want[2], 320), math.Min(want[3], 240)
	if len(res.Detections) != 1 {
		t.Fatalf("module decoded %s, want one box", out)
	}
	d := res.Detections[0]
	if d.ClassID != 0 || math.Abs(float64(d.Score)-1/(1+math.Exp(-5))) > 1e-6 {
		t.Fatalf("detection %+v", d)
	}
	for k := range 4 {
		if math.Abs(float64(d.Box[k])-want[k]) > 1e-2 {
			t.Fatalf("box %v, want %v", d.Box, want)
		}
	}
}
