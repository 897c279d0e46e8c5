// Package server is the board binary's HTTP surface: the stream over
// WebSocket, the JSON API, health and metrics. It is the only package that
// imports echo, so a move from echo v4 to v5 stays local (RATIONALE.md).
package server

import (
	"bytes"
	"compress/flate"
	"context"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // uploads
	_ "image/png"
	"io"
	"io/fs"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/nniescope/nniescope/shared/preprocess"
	"github.com/nniescope/nniescope/shared/version"
	"github.com/nniescope/nniescope/shared/wire"
	"github.com/nniescope/nniescope/webui"
)

// Config configures the server.
type Config struct {
	Listen    string
	Token     string // required on non-loopback addresses; checked in constant time
	MaxUpload int64  // bytes accepted by POST /api/frame (default 8 MiB)
	QueueLen  int    // frames buffered per client before the oldest frame drops, whole (default 4)
	// Info answers GET /api/info.
	Info func() any
	// Upload receives POST /api/frame images; nil when the source is not
	// "upload".
	Upload func(image.Image)
	// UI is served at / (nil: no UI).
	UI fs.FS
	// Record starts (path != "") or stops (path == "") recording.
	Record func(start bool) (string, error)
	// AllowedHosts are the host names (besides IP literals and localhost)
	// requests may carry in Host: a defence against DNS rebinding.
	AllowedHosts []string
	// MaxPixels bounds an uploaded image's width × height, checked from
	// its header before decoding (default 16 MP).
	MaxPixels int
	// MaxConns caps concurrent connections (default 64), and
	// MaxConnsPerAddr those from one address (default 16: a neighbour on
	// the network cannot fill the cap; loopback counts like any address);
	// HeaderTimeout and IdleTimeout end connections that send no request
	// (defaults 5 s and 60 s). WebSocket connections, once upgraded, are
	// exempt from the timeouts, not from the caps.
	MaxConns, MaxConnsPerAddr  int
	HeaderTimeout, IdleTimeout time.Duration
	// Status adds fields to GET /metrics (the recording's state).
	Status func() map[string]any
}

// Server serves the board's endpoints and fans stream messages out.
type Server struct {
	cfg      Config
	e        *echo.Echo
	upgrader websocket.Upgrader
	mu       sync.Mutex
	clients  map[*client]struct{}
	frames   atomic.Uint64
	dropped  atomic.Uint64
	started  time.Time
	// closing ends the WebSocket handlers at shutdown: http.Server.Shutdown
	// does not touch hijacked connections.
	closing   chan struct{}
	closeOnce sync.Once
	failed    *failures
	// frameErrors counts frames that failed; lastError and engineError
	// (set once the engine cannot go on) say why.
	frameErrors atomic.Uint64
	errMu       sync.Mutex
	lastError   string
	engineError string
}

type client struct {
	send    chan []outMsg // whole frames: a slow client loses whole frames, never part of one
	deflate bool          // it negotiated permessage-deflate
	dropped *atomic.Uint64
	mu      sync.Mutex // serialises drop-oldest against the writer
}

// New builds a server; it does not listen yet.
func New(cfg Config) *Server {
	if cfg.MaxUpload <= 0 {
		cfg.MaxUpload = 8 << 20
	}
	if cfg.QueueLen <= 0 {
		cfg.QueueLen = 4
	}
	if cfg.MaxPixels <= 0 {
		cfg.MaxPixels = 16 << 20
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = 64
	}
	if cfg.MaxConnsPerAddr <= 0 {
		cfg.MaxConnsPerAddr = 16
	}
	if cfg.HeaderTimeout <= 0 {
		cfg.HeaderTimeout = 5 * time.Second
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 60 * time.Second
	}
	s := &Server{cfg: cfg, clients: map[*client]struct{}{}, started: time.Now(), closing: make(chan struct{}), failed: newFailures()}
	s.upgrader = websocket.Upgrader{CheckOrigin: sameOrigin, EnableCompression: true, Subprotocols: []string{StreamProtocol}}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Use(s.checkHost)
	e.GET("/healthz", func(c echo.Context) error {
		s.errMu.Lock()
		reason := s.engineError
		s.errMu.Unlock()
		if reason != "" {
			return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "failed", "error": reason, "version": version.Version})
		}
		return c.JSON(http.StatusOK, map[string]string{"status": "ok", "version": version.Version})
	})
	if cfg.UI != nil {
		// The page itself carries no data; what it fetches is authenticated.
		e.GET("/*", echo.WrapHandler(webui.Handler(cfg.UI)))
	}
	// Authenticated per route: an echo Group on "" would also claim /*.
	e.GET("/api/info", func(c echo.Context) error {
		if cfg.Info == nil {
			return echo.NewHTTPError(http.StatusServiceUnavailable, "no engine")
		}
		return c.JSON(http.StatusOK, cfg.Info())
	}, s.auth)
	e.GET("/metrics", s.metrics, s.auth)
	e.GET("/ws", s.ws, s.auth)
	e.POST("/api/frame", s.frame, sameSite, s.auth, middleware.BodyLimit(sizeString(cfg.MaxUpload)))
	e.POST("/api/record", s.record, sameSite, s.auth)
	s.e = e
	return s
}

// StreamProtocol is the WebSocket subprotocol of the stream; a browser
// offers it with the token protocol, and the server selects it.
const StreamProtocol = "nniescope"

// TokenProtocolPrefix starts the subprotocol that carries the token:
// "nniescope.token." + the token in unpadded base64url (subprotocol names
// are HTTP tokens: base64url's alphabet is one).
const TokenProtocolPrefix = "nniescope.token."

// tokenFromProtocols is the token a WebSocket handshake offers as a
// subprotocol ("" when none).
func tokenFromProtocols(r *http.Request) string {
	for _, p := range websocket.Subprotocols(r) {
		if enc, ok := strings.CutPrefix(p, TokenProtocolPrefix); ok {
			if b, err := base64.RawURLEncoding.DecodeString(enc); err == nil {
				return string(b)
			}
		}
	}
	return ""
}

// remoteHost is the host part of a connection's address ("ip:port").
func remoteHost(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}

func sizeString(n int64) string { return strconv.FormatInt(n, 10) + "B" }

// auth requires the token when one is configured: Authorization: Bearer
// T, or — on /ws only, for browsers, whose WebSocket cannot set headers —
// a WebSocket subprotocol TokenProtocolPrefix + base64url(T) offered
// beside "nniescope". Never a query parameter: a token in a URL lands in
// logs, history and Referer headers. Repeated wrong tokens from one
// address are refused for a growing time.
func (s *Server) auth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.cfg.Token == "" {
			return next(c)
		}
		// The connection's address, never a header: echo's RealIP trusts
		// X-Forwarded-For / X-Real-IP, which any client sets — rotating
		// it gave unlimited guesses, and naming another client locked
		// that client out.
		addr := remoteHost(c.Request().RemoteAddr)
		if wait := s.failed.blocked(addr); wait > 0 {
			c.Response().Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds()+1)))
			return refuse(c, http.StatusTooManyRequests, "too many wrong tokens from "+addr+": retry in "+wait.Round(time.Second).String())
		}
		var got string
		if h := c.Request().Header.Get("Authorization"); h != "" {
			t, ok := strings.CutPrefix(h, "Bearer ")
			if !ok {
				s.failed.fail(addr)
				return refuse(c, http.StatusUnauthorized, "Authorization must be \"Bearer TOKEN\"")
			}
			got = t
		} else if c.Path() == "/ws" {
			got = tokenFromProtocols(c.Request())
		}
		if subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.Token)) != 1 {
			// Only a token presented counts as a guess: a request with
			// none (any page the user visits can make one, <img
			// src=http://board/api/info>) must not lock the user out.
			if got != "" {
				s.failed.fail(addr)
			}
			return refuse(c, http.StatusUnauthorized, "missing or wrong token")
		}
		s.failed.succeed(addr)
		return next(c)
	}
}

func (s *Server) metrics(c echo.Context) error {
	s.mu.Lock()
	n := len(s.clients)
	s.mu.Unlock()
	up := time.Since(s.started).Seconds()
	frames := s.frames.Load()
	m := map[string]any{"frames": frames, "fps": float64(frames) / max(up, 1e-9), "dropped": s.dropped.Load(), "clients": n, "frame_errors": s.frameErrors.Load()}
	s.errMu.Lock()
	if s.lastError != "" {
		m["last_error"] = s.lastError
	}
	if s.engineError != "" {
		m["engine_error"] = s.engineError
	}
	s.errMu.Unlock()
	if s.cfg.Status != nil {
		for k, v := range s.cfg.Status() {
			m[k] = v
		}
	}
	return c.JSON(http.StatusOK, m)
}

// FrameError counts a frame that failed (GET /metrics: frame_errors,
// last_error).
func (s *Server) FrameError(err error) {
	s.frameErrors.Add(1)
	s.errMu.Lock()
	s.lastError = err.Error()
	s.errMu.Unlock()
}

// Fail records that the engine cannot go on: GET /healthz answers 503
// with the reason from now on.
func (s *Server) Fail(reason string) {
	s.errMu.Lock()
	s.engineError = reason
	s.errMu.Unlock()
}

func (s *Server) frame(c echo.Context) error {
	if s.cfg.Upload == nil {
		return echo.NewHTTPError(http.StatusConflict, "the board's source is not \"upload\"")
	}
	// Read the header first: a few bytes can claim 50000×50000 pixels.
	var head bytes.Buffer
	cfg, _, err := image.DecodeConfig(io.TeeReader(c.Request().Body, &head))
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "body is not a JPEG or PNG image: "+err.Error())
	}
	if px := int64(cfg.Width) * int64(cfg.Height); cfg.Width <= 0 || cfg.Height <= 0 || px > int64(s.cfg.MaxPixels) {
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge, fmt.Sprintf("image is %dx%d: the board accepts at most %d pixels (--max-pixels)", cfg.Width, cfg.Height, s.cfg.MaxPixels))
	}
	if err := preprocess.CheckDecodedSize(cfg, s.cfg.MaxPixels); err != nil {
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge, err.Error()+" (--max-pixels)")
	}
	img, _, err := image.Decode(io.MultiReader(&head, c.Request().Body))
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "body is not a JPEG or PNG image: "+err.Error())
	}
	s.cfg.Upload(img)
	return c.NoContent(http.StatusAccepted)
}

func (s *Server) record(c echo.Context) error {
	if s.cfg.Record == nil {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "recording is not configured")
	}
	var start bool
	switch c.QueryParam("action") {
	case "start":
		start = true
	case "stop":
	default:
		return echo.NewHTTPError(http.StatusBadRequest, "action must be start or stop")
	}
	path, err := s.cfg.Record(start)
	if err != nil {
		return echo.NewHTTPError(http.StatusConflict, err.Error())
	}
	return c.JSON(http.StatusOK, map[string]any{"recording": start, "path": path})
}

const (
	writeWait  = 10 * time.Second
	pongWait   = 30 * time.Second
	pingPeriod = pongWait * 9 / 10
)

func (s *Server) ws(c echo.Context) error {
	conn, err := s.upgrader.Upgrade(c.Response(), c.Request(), nil)
	if err != nil {
		return nil // the upgrader answered already
	}
	// Huffman coding only: the stream is mostly F16 tensors, where LZ77
	// matching finds little (508 KB -> 218 KB at level 1, 210 KB
	// Huffman-only) and costs most of the time (4.5 ms vs 2.8 ms per
	// yolov8n result on x86).
	// Every client uses the same level, so a prepared message is
	// deflated once for all of them.
	conn.SetCompressionLevel(flate.HuffmanOnly)
	cl := &client{send: make(chan []outMsg, s.cfg.QueueLen), dropped: &s.dropped, deflate: offersDeflate(c.Request().Header)}
	s.mu.Lock()
	s.clients[cl] = struct{}{}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { // reader: control frames only; clients send nothing else
		defer close(done)
		conn.SetReadLimit(4096)
		conn.SetReadDeadline(time.Now().Add(pongWait))
		conn.SetPongHandler(func(string) error { return conn.SetReadDeadline(time.Now().Add(pongWait)) })
		// NextReader handles control frames itself and returns at the
		// first data message, before reading (or inflating) any of it: a
		// compressed message cannot grow past the limit here.
		if _, _, err := conn.NextReader(); err == nil {
			conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.ClosePolicyViolation, "the board accepts no messages on /ws"), time.Now().Add(time.Second))
		}
	}()
	ping := time.NewTicker(pingPeriod)
	defer func() {
		ping.Stop()
		s.mu.Lock()
		delete(s.clients, cl)
		s.mu.Unlock()
		conn.Close()
	}()
	for {
		select {
		case fr := <-cl.send:
			conn.SetWriteDeadline(time.Now().Add(writeWait))
			for _, msg := range fr {
				var err error
				if cl.deflate {
					// Only prepared messages are worth deflating; the
					// others (JPEG previews) go out as they are.
					conn.EnableWriteCompression(msg.prepared != nil)
				}
				if cl.deflate && msg.prepared != nil {
					err = conn.WritePreparedMessage(msg.prepared)
				} else {
					// Uncompressed, gorilla writes the payload itself
					// (writev): no framed copy of a 500 KB message.
					err = conn.WriteMessage(websocket.BinaryMessage, msg.data)
				}
				if err != nil {
					return nil
				}
			}
		case <-ping.C:
			if err := conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait)); err != nil {
				return nil
			}
		case <-done:
			return nil
		case <-s.closing:
			conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "board shutting down"), time.Now().Add(time.Second))
			return nil
		}
	}
}

// Broadcast queues one frame's messages to every client, numbered in
// their headers (index and count) so a client knows when it has the whole
// frame. A slow client loses its oldest frames, whole (counted in
// /metrics as dropped), and never stalls the engine or others.
func (s *Server) Broadcast(msgs [][]byte) {
	s.frames.Add(1)
	s.send(msgs)
}

// Send queues an event that is not a frame (an error) to every client, as
// a frame of its own.
func (s *Server) Send(msg []byte) { s.send([][]byte{msg}) }

func (s *Server) send(msgs [][]byte) {
	if len(msgs) > math.MaxUint16 {
		// The header numbers a frame's messages in 16 bits: more would
		// wrap into malformed frames (a crafted recording replayed).
		s.FrameError(fmt.Errorf("a frame of %d messages: at most %d fit the stream's numbering; dropped", len(msgs), math.MaxUint16))
		return
	}
	now := time.Now().UnixNano()
	for i, m := range msgs {
		wire.StampSent(m, now)
		wire.StampFrame(m, uint16(i), uint16(len(msgs)))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.clients) == 0 {
		return
	}
	deflate := false
	for cl := range s.clients {
		deflate = deflate || cl.deflate
	}
	prepared := make([]outMsg, 0, len(msgs))
	for _, m := range msgs {
		om := outMsg{data: m}
		// A prepared message holds a framed copy; it is worth it only
		// for the clients that share its one deflate, and only for what
		// deflate can shrink: a preview is a JPEG already.
		if deflate && !isImage(m) {
			pm, err := websocket.NewPreparedMessage(websocket.BinaryMessage, m)
			if err == nil { // cannot fail for a binary message held in memory
				om.prepared = pm
			}
		}
		prepared = append(prepared, om)
	}
	for cl := range s.clients {
		cl.push(prepared)
	}
}

// isImage: the message carries an encoded picture (a preview), which
// deflate would spend time on for nothing.
func isImage(m []byte) bool {
	h, err := wire.PeekHeader(m)
	return err == nil && h.Kind == wire.KindImage
}

// outMsg is a stream message and, when some client negotiated
// compression, its prepared form: deflated once for all those clients.
type outMsg struct {
	data     []byte
	prepared *websocket.PreparedMessage
}

func (c *client) push(m []outMsg) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		select {
		case c.send <- m:
			return
		default:
		}
		select {
		case <-c.send:
			c.dropped.Add(1)
		default:
		}
	}
}

// Handler exposes the router for in-process tests.
func (s *Server) Handler() http.Handler { return s.e }

// Run listens until ctx is done, then shuts down gracefully. ready, when
// not nil, receives the bound address.
func (s *Server) Run(ctx context.Context, ready func(addr net.Addr)) error {
	raw, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return err
	}
	ln := &limitListener{Listener: raw, slots: make(chan struct{}, s.cfg.MaxConns), perAddr: s.cfg.MaxConnsPerAddr, byAddr: map[string]int{}}
	if ready != nil {
		ready(ln.Addr())
	}
	// Timeouts for plain requests; an upgraded WebSocket leaves them
	// (gorilla clears the deadlines) and keeps its own ping/pong ones.
	srv := &http.Server{Handler: s.e, ReadHeaderTimeout: s.cfg.HeaderTimeout, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: s.cfg.IdleTimeout, MaxHeaderBytes: 16 << 10}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.closeOnce.Do(func() { close(s.closing) })
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return err
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// IsLoopback reports whether a listen address stays on this machine.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// offersDeflate reports whether a WebSocket request offers
// permessage-deflate, which the upgrader (EnableCompression) then accepts.
// It only chooses how messages are written: either way gorilla frames
// them as the connection negotiated.
func offersDeflate(h http.Header) bool {
	for _, v := range h.Values("Sec-WebSocket-Extensions") {
		for _, ext := range strings.Split(v, ",") {
			name, _, _ := strings.Cut(ext, ";")
			if strings.TrimSpace(name) == "permessage-deflate" {
				return true
			}
		}
	}
	return false
}
