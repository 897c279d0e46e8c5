//go:build svp && svptestdouble

package board

import (
	"os"
	"path/filepath"
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
