package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"image"
	"image/png"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gorilla/websocket"
)

func TestTokenOriginAndLimits(t *testing.T) {
	var uploads int
	s := New(Config{Token: "s3cret", MaxUpload: 1 << 10, Info: func() any { return map[string]string{"model": "m"} }, Upload: func(image.Image) { uploads++ }})
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	get := func(path, auth string) int {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if c := get("/healthz", ""); c != 200 {
		t.Errorf("/healthz without token: %d", c)
	}
	if c := get("/api/info", ""); c != 401 {
		t.Errorf("/api/info without token: %d, want 401", c)
	}
	if c := get("/api/info", "wrong"); c != 401 {
		t.Errorf("/api/info with a wrong token: %d, want 401", c)
	}
	if c := get("/api/info", "s3cret"); c != 200 {
		t.Errorf("/api/info with the token: %d", c)
	}
	ws := "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws"
	if _, resp, err := websocket.DefaultDialer.Dial(ws, nil); err == nil || resp.StatusCode != 401 {
		t.Errorf("/ws without token: %v", err)
	}
	// A browser's WebSocket carries the token as a subprotocol; the
	// server selects "nniescope". A query parameter is refused: it put the
	// token into URLs and logs.
	browser := &websocket.Dialer{Subprotocols: []string{StreamProtocol, TokenProtocolPrefix + base64.RawURLEncoding.EncodeToString([]byte("s3cret"))}}
	hdr := http.Header{"Origin": {"http://evil.example"}}
	if _, resp, err := browser.Dial(ws, hdr); err == nil || resp.StatusCode != 403 {
		t.Errorf("/ws from another origin: %v", err)
	}
	c, resp, err := browser.Dial(ws, http.Header{"Origin": {srv.URL}})
	if err != nil {
		t.Fatalf("/ws with the token protocol and same origin: %v", err)
	}
	if got := resp.Header.Get("Sec-WebSocket-Protocol"); got != StreamProtocol {
		t.Errorf("selected subprotocol %q, want %q (a browser drops a connection that selects none)", got, StreamProtocol)
	}
	c.Close()
	if c, _, err := websocket.DefaultDialer.Dial(ws, http.Header{"Origin": {srv.URL}, "Authorization": {"Bearer s3cret"}}); err != nil {
		t.Errorf("/ws with the Authorization header: %v", err)
	} else {
		c.Close()
	}
	if _, resp, err := websocket.DefaultDialer.Dial(ws+"?token=s3cret", http.Header{"Origin": {srv.URL}}); err == nil || resp.StatusCode != 401 {
		t.Errorf("/ws with ?token=: %v, want 401", err)
	}
	if c := get("/api/info?token=s3cret", ""); c != 401 {
		t.Errorf("/api/info?token=: %d, want 401", c)
	}
	// Uploads: too large → 413; not an image → 400; a PNG → 202. The
	// server keeps serving after each.
	post := func(body []byte) int {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/frame", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer s3cret")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if c := post(make([]byte, 4<<10)); c != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized upload: %d, want 413", c)
	}
	if c := post([]byte("not an image")); c != 400 {
		t.Errorf("garbage upload: %d, want 400", c)
	}
	var pb bytes.Buffer
	png.Encode(&pb, image.NewGray(image.Rect(0, 0, 4, 4)))
	if c := post(pb.Bytes()); c != 202 || uploads != 1 {
		t.Errorf("PNG upload: %d, uploads %d", c, uploads)
	}
	if c := get("/healthz", ""); c != 200 {
		t.Errorf("server stopped serving: %d", c)
	}
}

// TestSlowClientDropsOldest: a client that does not read loses its oldest
// frames, whole and counted, and Broadcast never blocks.
func TestSlowClientDropsOldest(t *testing.T) {
	s := New(Config{QueueLen: 2})
	cl := &client{send: make(chan []outMsg, 2), dropped: &s.dropped}
	s.clients[cl] = struct{}{}
	for i := range 5 {
		// Three messages a frame: a drop takes all three or none.
		s.Broadcast([][]byte{{byte(i), 0}, {byte(i), 1}, {byte(i), 2}})
	}
	if got := s.dropped.Load(); got != 3 {
		t.Fatalf("dropped %d frames, want 3", got)
	}
	for _, want := range []byte{3, 4} {
		fr := <-cl.send
		if len(fr) != 3 {
			t.Fatalf("frame %d kept %d of its 3 messages", want, len(fr))
		}
		for k, m := range fr {
			if m.data[0] != want || m.data[1] != byte(k) {
				t.Fatalf("kept %v, want frame %d message %d", m.data, want, k)
			}
		}
	}
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{"127.0.0.1:8080": true, "localhost:1": true, "[::1]:80": true, "0.0.0.0:8080": false, "192.168.1.10:80": false, ":8080": false} {
		if IsLoopback(addr) != want {
			t.Errorf("IsLoopback(%q) = %v", addr, !want)
		}
	}
}

func TestServesUI(t *testing.T) {
	s := New(Config{Token: "t", UI: fstest.MapFS{"index.html": {Data: []byte("<h1>nniescope board</h1>")}}})
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://127.0.0.1/", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "nniescope board") {
		t.Fatalf("GET /: %d %q", rec.Code, rec.Body.String())
	}
	rec = httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://127.0.0.1/api/info", nil))
	if rec.Code != 401 {
		t.Fatalf("the UI route must not open the API: /api/info gave %d", rec.Code)
	}
}

// TestShutdownClosesStreams: a graceful shutdown ends WebSocket clients
// (hijacked connections that http.Server.Shutdown leaves alone).
func TestShutdownClosesStreams(t *testing.T) {
	s := New(Config{Listen: "127.0.0.1:0"})
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, func(a net.Addr) { addr <- a }) }()
	c, _, err := websocket.DefaultDialer.Dial("ws://"+(<-addr).String()+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cancel()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, err = c.ReadMessage()
	if !websocket.IsCloseError(err, websocket.CloseGoingAway) {
		t.Fatalf("client read %v, want a going-away close", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
