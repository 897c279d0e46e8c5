//go:build nnie && nnietestdouble

package board

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

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
	for {
		c.SetReadDeadline(time.Now().Add(20 * time.Second))
		_, msg, err := c.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		if h, err := wire.PeekHeader(msg); err != nil || h.Kind != wire.KindResult {
			continue
		}
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
		return
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
