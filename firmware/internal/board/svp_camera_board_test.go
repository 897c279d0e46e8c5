//go:build svp && svptestdouble && vpss && vpsstestdouble

package board

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/nniescope/nniescope/firmware/internal/svp"
	"github.com/nniescope/nniescope/shared/wire"
)

// TestSVPCameraFramesInPlace: with an om taking YUV420SP frames
// (--svp-input yuv420sp), a VPSS frame in one block reaches the NPU as it
// lies (the runtime double sees an input it did not allocate), a frame
// with split planes is copied into the model's buffer, both give the sums
// of the double's frame planes; a frame of another size is that frame's
// error, naming both sizes.
func TestSVPCameraFramesInPlace(t *testing.T) {
	om := filepath.Join(t.TempDir(), "yuv.om")
	if err := os.WriteFile(om, []byte("FAKEOMYUV test"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The double's 16x8 frame: luma 50+10x, chroma (200,128) left, (128,200) right.
	const lumaSum, chromaSum = 8 * (16*50 + 10*120), 4 * 8 * (200 + 128)
	for _, tc := range []struct {
		source  string
		inPlace bool
	}{{"vpss:4:0", true}, {"vpss:0:1", false}} {
		t.Run(tc.source, func(t *testing.T) {
			before := svp.DoubleExternalInputs()
			addr, cancel, done := start(t, "--engine", "svp", "--om", om, "--input", "16x8", "--svp-input", "yuv420sp", "--source", tc.source)
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
			f, err := r.Tensors[0].Raw.Float()
			if err != nil {
				t.Fatal(err)
			}
			if f.F[0] != lumaSum || f.F[1] != chromaSum {
				t.Fatalf("sums %v, %v: want %d (luma) and %d (chroma) of the camera's frame", f.F[0], f.F[1], lumaSum, chromaSum)
			}
			if r.SrcW != 16 || r.SrcH != 8 {
				t.Fatalf("geometry %dx%d", r.SrcW, r.SrcH)
			}
			if got := svp.DoubleExternalInputs() > before; got != tc.inPlace {
				t.Fatalf("frame read in place: %v, want %v", got, tc.inPlace)
			}
		})
	}
	t.Run("a frame of another size", func(t *testing.T) {
		raw := filepath.Join(t.TempDir(), "small.nv12")
		if err := os.WriteFile(raw, make([]byte, 8*4*3/2), 0o644); err != nil {
			t.Fatal(err)
		}
		addr, cancel, done := start(t, "--engine", "svp", "--om", om, "--input", "16x8", "--svp-input", "yuv420sp", "--source", "nv12:"+raw+":8x4")
		defer func() { cancel(); <-done }()
		// /metrics keeps the last frame error (events reach only viewers
		// already connected, and the loop may stop after 50 such frames
		// before one connects on a busy machine).
		const want = "the frame is 8x4, the model's YUV420SP input 16x8"
		var m struct {
			LastError string `json:"last_error"`
		}
		for deadline := time.Now().Add(60 * time.Second); !strings.Contains(m.LastError, want); {
			if time.Now().After(deadline) {
				t.Fatalf("last frame error %q after 60 s, want one saying %q", m.LastError, want)
			}
			getJSON(t, "http://"+addr+"/metrics", &m)
			time.Sleep(10 * time.Millisecond)
		}
	})
}
