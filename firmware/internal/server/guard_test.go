package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/nniescope/nniescope/internal/rawws"
	"github.com/nniescope/nniescope/shared/wire"
)

func do(t *testing.T, h http.Handler, method, url string, hdr map[string]string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, url, bytes.NewReader(body))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestHostAndCrossSite: the default setup (loopback, no token) refuses a
// Host naming another site on every endpoint (DNS rebinding), and a
// state-changing request a browser sends from another site (a simple
// text/plain POST needs no preflight); tools without Origin still work.
func TestHostAndCrossSite(t *testing.T) {
	var uploads, records int
	s := New(Config{Info: func() any { return map[string]int{} }, Upload: func(image.Image) { uploads++ },
		Record: func(bool) (string, error) { records++; return "r.nsw", nil }, AllowedHosts: []string{"board.lan"}})
	h := s.Handler()
	for _, path := range []string{"/healthz", "/api/info", "/metrics", "/ws", "/"} {
		if rec := do(t, h, http.MethodGet, "http://evil.example:8080"+path, nil, nil); rec.Code != http.StatusMisdirectedRequest || !strings.Contains(rec.Body.String(), "evil.example") {
			t.Errorf("GET %s with Host evil.example: %d %s, want 421 naming the host", path, rec.Code, rec.Body)
		}
	}
	for _, host := range []string{"127.0.0.1:8080", "localhost:8080", "[::1]:8080", "192.168.1.20:8080", "board.lan:8080"} {
		if rec := do(t, h, http.MethodGet, "http://"+host+"/healthz", nil, nil); rec.Code != 200 {
			t.Errorf("GET /healthz with Host %s: %d", host, rec.Code)
		}
	}
	pngHeader := encodePNG(t, 2, 2)
	for _, tc := range []struct {
		name string
		hdr  map[string]string
		want int
	}{
		{"Origin of another site", map[string]string{"Origin": "https://evil.example", "Content-Type": "text/plain"}, 403},
		{"Sec-Fetch-Site cross-site", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"Sec-Fetch-Site same-site (another port)", map[string]string{"Sec-Fetch-Site": "same-site"}, 403},
		{"the board's own page", map[string]string{"Origin": "http://127.0.0.1:8080", "Sec-Fetch-Site": "same-origin"}, 0},
		{"a tool (no Origin)", nil, 0},
	} {
		for _, ep := range []struct {
			url  string
			body []byte
			ok   int
		}{{"http://127.0.0.1:8080/api/record?action=start", nil, 200}, {"http://127.0.0.1:8080/api/frame", pngHeader, 202}} {
			want := tc.want
			if want == 0 {
				want = ep.ok
			}
			if rec := do(t, h, http.MethodPost, ep.url, tc.hdr, ep.body); rec.Code != want {
				t.Errorf("%s: POST %s: %d %s, want %d", tc.name, ep.url, rec.Code, rec.Body, want)
			}
		}
	}
	if uploads != 2 || records != 2 {
		t.Errorf("%d uploads and %d record starts went through, want 2 each (the same-origin page and the tool)", uploads, records)
	}
}

// TestStrictBearerAndBackoff: a token without "Bearer " is refused (it
// used to pass), and after five wrong tokens an address waits, even with
// the right one, until its back-off ends.
func TestStrictBearerAndBackoff(t *testing.T) {
	s := New(Config{Token: "s3cret", Info: func() any { return map[string]int{} }})
	now := time.Unix(1e9, 0)
	s.failed.now = func() time.Time { return now }
	h := s.Handler()
	get := func(auth string) int {
		return do(t, h, http.MethodGet, "http://127.0.0.1/api/info", map[string]string{"Authorization": auth}, nil).Code
	}
	if c := get("s3cret"); c != 401 {
		t.Errorf("Authorization: s3cret (no Bearer): %d, want 401", c)
	}
	if c := get("Bearer s3cret"); c != 200 {
		t.Fatalf("the right token: %d", c)
	}
	for i := range maxFailures {
		if c := get("Bearer guess"); c != 401 {
			t.Fatalf("wrong token %d: %d, want 401", i+1, c)
		}
	}
	rec := do(t, h, http.MethodGet, "http://127.0.0.1/api/info", map[string]string{"Authorization": "Bearer s3cret"}, nil)
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("after %d wrong tokens: %d (Retry-After %q), want 429", maxFailures, rec.Code, rec.Header().Get("Retry-After"))
	}
	now = now.Add(firstBackoff + time.Millisecond)
	if c := get("Bearer s3cret"); c != 200 {
		t.Fatalf("after the back-off, the right token: %d", c)
	}
	if len(s.failed.by) != 0 {
		t.Errorf("a success leaves %d failure entries", len(s.failed.by))
	}
	// The table stays bounded whatever the number of addresses.
	for i := range 3 * maxFailureIPs {
		s.failed.fail(net.IPv4(10, byte(i>>16), byte(i>>8), byte(i)).String())
	}
	if n := len(s.failed.by); n > maxFailureIPs {
		t.Errorf("%d entries, want at most %d", n, maxFailureIPs)
	}
}

// encodePNG makes a real w×h PNG.
func encodePNG(t *testing.T, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := pngEncode(&b, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// bombPNG is a PNG signature and IHDR claiming w×h pixels, and nothing
// else: 33 bytes.
func bombPNG(w, h uint32) []byte {
	b := []byte("\x89PNG\r\n\x1a\n")
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 0, 0, 0, 0) // 8-bit grey
	b = binary.BigEndian.AppendUint32(b, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	b = append(b, chunk...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(chunk))
}

// TestUploadPixelLimit: an upload whose header claims more pixels than the
// limit is refused from the header (413 naming the limit), before any
// pixel is allocated; the board keeps accepting normal images.
func TestUploadPixelLimit(t *testing.T) {
	var uploads int
	s := New(Config{MaxPixels: 1 << 20, Upload: func(image.Image) { uploads++ }})
	h := s.Handler()
	rec := do(t, h, http.MethodPost, "http://127.0.0.1/api/frame", nil, bombPNG(50000, 50000))
	if rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(rec.Body.String(), "50000x50000") || !strings.Contains(rec.Body.String(), "1048576 pixels") {
		t.Fatalf("50000x50000 header: %d %s, want 413 naming the size and the limit", rec.Code, rec.Body)
	}
	if rec := do(t, h, http.MethodPost, "http://127.0.0.1/api/frame", nil, encodePNG(t, 1024, 1024)); rec.Code != 202 {
		t.Fatalf("a 1 MP image: %d %s", rec.Code, rec.Body)
	}
	// A 16-bit PNG within the pixels but not the bytes (8 a pixel): a
	// 130 KB 4096x4096 one decoded to 128 MB.
	var deep bytes.Buffer
	if err := pngEncode(&deep, image.NewRGBA64(image.Rect(0, 0, 1024, 768))); err != nil {
		t.Fatal(err)
	}
	if rec := do(t, h, http.MethodPost, "http://127.0.0.1/api/frame", nil, deep.Bytes()); rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(rec.Body.String(), "8 bytes a pixel") {
		t.Fatalf("a 16-bit 1024x768 PNG under a 1 MP limit: %d %s, want 413 naming its decoded size", rec.Code, rec.Body)
	}
	if uploads != 1 {
		t.Fatalf("%d uploads reached the source, want 1", uploads)
	}
}

// startServer runs s on a loopback port until the test ends.
func startServer(t *testing.T, s *Server) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, func(a net.Addr) { addrc <- a }) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case a := <-addrc:
		return a.String()
	case err := <-done:
		t.Fatalf("server: %v", err)
	}
	return ""
}

// TestIdleConnectionsCannotStarveTheBoard: connections that send nothing
// are capped and time out; once they are gone /healthz and the stream
// answer again. Waits on events (the server closing them) with generous
// bounds, not on sleeps.
func TestIdleConnectionsCannotStarveTheBoard(t *testing.T) {
	s := New(Config{Listen: "127.0.0.1:0", MaxConns: 8, HeaderTimeout: 300 * time.Millisecond, IdleTimeout: 300 * time.Millisecond})
	addr := startServer(t, s)
	var idle []net.Conn
	for range 20 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		idle = append(idle, c)
	}
	// Every idle connection is closed by the server: over the cap at once,
	// the rest at the header timeout.
	for i, c := range idle {
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
		if _, err := c.Read(make([]byte, 1)); err == nil {
			t.Fatalf("idle connection %d got data", i)
		} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatalf("idle connection %d still open after 30 s", i)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz does not answer after the idle connections ended: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	c, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", nil)
	if err != nil {
		t.Fatalf("/ws after the idle connections ended: %v", err)
	}
	// An upgraded stream outlives the header and idle timeouts.
	s.Broadcast([][]byte{[]byte("one")})
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, msg, err := c.ReadMessage(); err != nil || string(msg) != "one" {
		t.Fatalf("stream: %q %v", msg, err)
	}
	c.Close()
}

// TestClientMessagesEndTheStream: the board takes no messages on /ws; a
// compressed one (3 KB that inflates to MBs) is refused without inflating
// it, the connection closed with a policy-violation code.
func TestClientMessagesEndTheStream(t *testing.T) {
	s := New(Config{Listen: "127.0.0.1:0"})
	addr := startServer(t, s)
	d := websocket.Dialer{EnableCompression: true}
	c, _, err := d.Dial("ws://"+addr+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.EnableWriteCompression(true)
	// The server closes as soon as the message starts, so the write itself
	// may fail (connection reset): either way the stream must end, with
	// 1008 when the close frame arrives before the reset.
	go c.WriteMessage(websocket.BinaryMessage, bytes.Repeat([]byte{0}, 4<<20))
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	_, _, err = c.ReadMessage()
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("the stream is still open 30 s after a client message")
	}
	var ce *websocket.CloseError
	if err == nil || (errors.As(err, &ce) && ce.Code != websocket.ClosePolicyViolation) {
		t.Fatalf("after a client message: %v, want close 1008 (or the connection reset)", err)
	}
}

// TestPreparedMessagesReachEveryKindOfClient: clients with and without
// compression receive the same bytes from one prepared message.
func TestPreparedMessagesReachEveryKindOfClient(t *testing.T) {
	s := New(Config{Listen: "127.0.0.1:0"})
	addr := startServer(t, s)
	var conns []*websocket.Conn
	for _, compress := range []bool{false, true} {
		d := websocket.Dialer{EnableCompression: compress}
		c, _, err := d.Dial("ws://"+addr+"/ws", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	waitClients(t, s, 2)
	msg := bytes.Repeat([]byte("nniescope "), 1000)
	s.Broadcast([][]byte{msg})
	for i, c := range conns {
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
		_, r, err := c.NextReader()
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(r)
		if !bytes.Equal(got, msg) {
			t.Fatalf("client %d got %d bytes, want the %d sent", i, len(got), len(msg))
		}
	}
}

// waitClients waits until n clients are registered: a broadcast before
// that would miss one.
func waitClients(t *testing.T, s *Server, n int) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; {
		s.mu.Lock()
		got := len(s.clients)
		s.mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d clients registered, want %d", got, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestPreviewsAreNotDeflated: on a compressed connection the JPEG preview
// goes out as it is (deflating a JPEG costs both ends time for nothing)
// and the other messages of the frame deflated.
func TestPreviewsAreNotDeflated(t *testing.T) {
	s := New(Config{Listen: "127.0.0.1:0"})
	addr := startServer(t, s)
	c, err := rawws.Dial(addr, "/ws", true)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	waitClients(t, s, 1)
	preview := wire.AppendImage(nil, &wire.Image{MIME: "image/jpeg", Data: bytes.Repeat([]byte{0xff, 0xd8}, 2000)})
	event := wire.AppendError(nil, &wire.Error{Text: strings.Repeat("frame failed ", 200)})
	s.Broadcast([][]byte{preview, event})
	for _, want := range []struct {
		msg      []byte
		deflated bool
	}{{preview, false}, {event, true}} {
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
		got, deflated, _, err := c.Next()
		if err != nil {
			t.Fatal(err)
		}
		h, _ := wire.PeekHeader(want.msg)
		if deflated != want.deflated {
			t.Errorf("%v message: deflated %v, want %v", h.Kind, deflated, want.deflated)
		}
		if deflated {
			if got, err = rawws.Inflate(got, 1<<20); err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(got, want.msg) {
			t.Errorf("%v message: got %d bytes, want the %d sent", h.Kind, len(got), len(want.msg))
		}
	}
}

func pngEncode(w io.Writer, img image.Image) error { return png.Encode(w, img) }

func TestOffersDeflate(t *testing.T) {
	for _, tc := range []struct {
		header []string
		want   bool
	}{
		{nil, false},
		{[]string{"permessage-deflate"}, true},
		{[]string{"permessage-deflate; client_max_window_bits"}, true},
		{[]string{"x-webkit-deflate-frame, permessage-deflate; server_no_context_takeover"}, true},
		{[]string{"x-webkit-deflate-frame"}, false},
		{[]string{"foo", " permessage-deflate "}, true},
		{[]string{"permessage-deflate-x"}, false},
	} {
		h := http.Header{}
		for _, v := range tc.header {
			h.Add("Sec-WebSocket-Extensions", v)
		}
		if got := offersDeflate(h); got != tc.want {
			t.Errorf("%q: %v, want %v", tc.header, got, tc.want)
		}
	}
}

// TestBackoffKeysOnTheConnection: the token back-off keys on the
// connection's address, never on X-Forwarded-For or X-Real-IP: rotating
// those headers gives no extra guesses (it gave unlimited ones), and
// naming another client in them cannot lock that client out (it could).
func TestBackoffKeysOnTheConnection(t *testing.T) {
	s := New(Config{Token: "s3cret", Info: func() any { return map[string]int{} }})
	h := s.Handler()
	from := func(remote, auth string, hdr map[string]string) int {
		req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1/api/info", nil)
		req.RemoteAddr = remote
		req.Header.Set("Authorization", auth)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	// An attacker at 10.0.0.9 names a new address in each guess, and
	// names the real client 127.0.0.1 too.
	codes := map[int]int{}
	for i := range 3 * maxFailures {
		hdr := map[string]string{"X-Forwarded-For": fmt.Sprintf("192.0.2.%d", i), "X-Real-IP": "127.0.0.1"}
		codes[from("10.0.0.9:40000", "Bearer guess", hdr)]++
	}
	if codes[http.StatusTooManyRequests] == 0 || codes[http.StatusUnauthorized] > maxFailures {
		t.Errorf("rotating X-Forwarded-For: %v, want at most %d wrong guesses answered before 429", codes, maxFailures)
	}
	if c := from("127.0.0.1:50000", "Bearer s3cret", nil); c != http.StatusOK {
		t.Errorf("the real 127.0.0.1 client with the right token: %d, want 200 (another client named it in a header)", c)
	}
}

// An Origin of the same host with another scheme is another origin (the
// check compared hosts only).
func TestSameOriginChecksTheScheme(t *testing.T) {
	for _, tc := range []struct {
		origin string
		want   bool
	}{
		{"", true}, // tools send none
		{"http://127.0.0.1:8080", true},
		{"https://127.0.0.1:8080", false},
		{"ws://127.0.0.1:8080", false},
		{"http://evil.example:8080", false},
		{"null", false},
	} {
		r := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8080/ws", nil)
		if tc.origin != "" {
			r.Header.Set("Origin", tc.origin)
		}
		if got := sameOrigin(r); got != tc.want {
			t.Errorf("Origin %q to http://127.0.0.1:8080: same origin %v, want %v", tc.origin, got, tc.want)
		}
	}
}

// A frame of more messages than the header's 16-bit numbering holds is
// dropped as a frame error; it wrapped into malformed frames.
func TestFrameOfTooManyMessages(t *testing.T) {
	s := New(Config{Info: func() any { return map[string]int{} }})
	msgs := make([][]byte, math.MaxUint16+1)
	s.Broadcast(msgs) // never stamped: nothing to write into
	s.errMu.Lock()
	last := s.lastError
	s.errMu.Unlock()
	if !strings.Contains(last, "a frame of 65536 messages") {
		t.Fatalf("last frame error %q, want the oversized frame named", last)
	}
}

// TestANeighbourCannotFillTheSlots: one address holding connections —
// 64 that each sent one refused request (no token) and sit idle, or 64
// viewers — holds at most its share (MaxConnsPerAddr), and a refused
// request's connection is closed after the answer; /healthz with the
// token and a new viewer from another address are answered. Before, the
// 64 idle refused connections filled the board's 64 slots for the whole
// idle timeout and everyone else got connection resets.
func TestANeighbourCannotFillTheSlots(t *testing.T) {
	from := func(ip string) *net.Dialer {
		return &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 10 * time.Second}
	}
	if c, err := from("127.0.0.2").Dial("tcp", "127.0.0.1:1"); err != nil && strings.Contains(err.Error(), "assign requested address") {
		t.Skip("this machine's loopback has no 127.0.0.2")
	} else if c != nil {
		c.Close()
	}
	for _, tc := range []struct {
		name  string
		token string
	}{{"refused requests", "s3cret"}, {"viewers", ""}} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(Config{Listen: "127.0.0.1:0", Token: tc.token, Info: func() any { return map[string]int{} }})
			addr := startServer(t, s)
			// The neighbour at 127.0.0.2.
			held := 0
			for range 64 {
				if tc.token != "" {
					c, err := from("127.0.0.2").Dial("tcp", addr)
					if err != nil {
						continue
					}
					defer c.Close()
					fmt.Fprintf(c, "GET /api/info HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
					c.SetReadDeadline(time.Now().Add(10 * time.Second))
					resp, err := http.ReadResponse(bufio.NewReader(c), nil)
					if err != nil {
						continue // closed at accept: over the address's share
					}
					resp.Body.Close()
					if resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusTooManyRequests {
						t.Fatalf("a request without the token: %d, want 401 (429 after five)", resp.StatusCode)
					}
					if !resp.Close { // the server keeps it open, idle
						held++
					}
					continue
				}
				d := websocket.Dialer{NetDial: from("127.0.0.2").Dial, HandshakeTimeout: 10 * time.Second}
				if c, _, err := d.Dial("ws://"+addr+"/ws", nil); err == nil {
					defer c.Close()
					held++
				}
			}
			if held > 16 {
				t.Errorf("one address holds %d connections, want at most 16", held)
			}
			// Everyone else, at 127.0.0.1.
			client := &http.Client{Timeout: 10 * time.Second}
			req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/healthz", nil)
			req.Header.Set("Authorization", "Bearer "+tc.token)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatalf("/healthz while the neighbour holds its connections: %v", err)
			}
			resp.Body.Close()
			h := http.Header{}
			if tc.token != "" {
				h.Set("Authorization", "Bearer "+tc.token)
			}
			c, _, err := (&websocket.Dialer{HandshakeTimeout: 10 * time.Second}).Dial("ws://"+addr+"/ws", h)
			if err != nil {
				t.Fatalf("a new viewer while the neighbour holds its connections: %v", err)
			}
			c.Close()
		})
	}
}

// Requests that present no token are refused but are no guesses: any page
// the user visits can make the user's browser send them (an <img> of
// /api/info), and five of them locked the user out with 429s.
func TestRequestsWithoutATokenLockNobodyOut(t *testing.T) {
	s := New(Config{Token: "s3cret", Info: func() any { return map[string]int{} }})
	h := s.Handler()
	for i := range 3 * maxFailures {
		if c := do(t, h, http.MethodGet, "http://127.0.0.1/api/info", nil, nil).Code; c != http.StatusUnauthorized {
			t.Fatalf("request %d without a token: %d, want 401", i, c)
		}
	}
	if c := do(t, h, http.MethodGet, "http://127.0.0.1/api/info", map[string]string{"Authorization": "Bearer s3cret"}, nil).Code; c != http.StatusOK {
		t.Fatalf("the right token after requests without one: %d, want 200", c)
	}
}
