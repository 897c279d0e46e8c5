//go:build svp && svptestdouble

package board

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/nniescope/nniescope/shared/wire"
	"github.com/nniescope/nniescope/shared/yolo"
)

// TestSVPEngineStreams runs the board with --engine svp on the test double
// runtime (8x4 input): a client receives "board" results carrying the
// outputs as the NPU wrote them.
func TestSVPEngineStreams(t *testing.T) {
	om := filepath.Join(t.TempDir(), "fake.om")
	if err := os.WriteFile(om, []byte("FAKEOM test"), 0o644); err != nil {
		t.Fatal(err)
	}
	addr, cancel, done := start(t, "--engine", "svp", "--om", om, "--input", "8x4", "--source", "synthetic", "--fps", "20")
	defer func() { cancel(); <-done }()
	c, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, msg, err := c.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	r, err := wire.DecodeResult(msg)
	if err != nil {
		t.Fatal(err)
	}
	if r.Variant != "board" || len(r.Tensors) != 2 || r.Tensors[0].Raw.Type != yolo.RawF32 || r.Tensors[1].Raw.Type != yolo.RawS8 || r.Tensors[0].Raw.RowStride != 16 {
		t.Fatalf("result %+v", r)
	}
	f, err := r.Tensors[1].Raw.Float()
	if err != nil || f.F[0] != -4 {
		t.Fatalf("S8 output %v %v", f, err)
	}
}

// An .om whose network takes two inputs is refused at start, naming the
// file: the board feeds one image. (The task and work buffers every .om
// reports besides are not inputs the board feeds.)
func TestSVPEngineRefusesATwoInputModel(t *testing.T) {
	om := filepath.Join(t.TempDir(), "two.om")
	if err := os.WriteFile(om, []byte("FAKEOM2IN test"), 0o644); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	err := Run(context.Background(), []string{"--listen", "127.0.0.1:0", "--engine", "svp", "--om", om, "--input", "8x4", "--source", "synthetic"}, &logs, func(net.Addr) {})
	if err == nil || !strings.Contains(err.Error(), om) || !strings.Contains(err.Error(), "takes 2 inputs") {
		t.Fatalf("error %v, want one naming %s and its 2 inputs\n%s", err, om, logs.String())
	}
}
