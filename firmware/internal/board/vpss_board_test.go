//go:build vpss && vpsstestdouble

package board

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/nniescope/nniescope/internal/demoframes"
	"github.com/nniescope/nniescope/shared/wire"
)

// TestVPSSCameraStreams: the board's sim engine on camera frames from the
// VPSS test double (a 16x8 NV21 frame with a padded stride): results
// arrive for the camera's frames; a channel that times out sends an error
// event per frame naming the channel while the board keeps serving.
func TestVPSSCameraStreams(t *testing.T) {
	for _, tc := range []struct {
		spec string
		want func(t *testing.T, c *websocket.Conn, addr string)
	}{
		{"vpss:0:1", func(t *testing.T, c *websocket.Conn, addr string) {
			msg := readUntil(t, c, "a camera result", func(h wire.Header, _ []byte) bool { return h.Kind == wire.KindResult })
			r, err := wire.DecodeResult(msg)
			if err != nil || r.Source != "vpss:0:1" || r.SrcW != 16 || r.SrcH != 8 {
				t.Fatalf("result %+v %v", r, err)
			}
		}},
		{"vpss:1:0", func(t *testing.T, c *websocket.Conn, addr string) {
			msg := readUntil(t, c, "a camera error event", func(h wire.Header, _ []byte) bool { return h.Kind == wire.KindError })
			e, err := wire.DecodeError(msg)
			if err != nil || !strings.Contains(e.Text, "vpss:1:0: no frame in time") || e.Fatal {
				t.Fatalf("error event %+v %v", e, err)
			}
			resp, err := http.Get("http://" + addr + "/healthz")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !strings.Contains(string(b), "status") {
				t.Fatalf("/healthz after a camera timeout: %s", b)
			}
		}},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			addr, cancel, done := start(t, "--model", demoframes.ModelFile(t), "--variant", "float", "--source", tc.spec, "--threads", "2")
			defer func() { cancel(); <-done }()
			c, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			tc.want(t, c, addr)
		})
	}
}
