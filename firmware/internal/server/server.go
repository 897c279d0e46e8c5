// Package server is the board binary's HTTP surface: the stream over
// WebSocket, the JSON API, health and metrics. It is the only package that
// imports echo, so a move from echo v4 to v5 stays local (RATIONALE.md).
package server

import (
	"context"
	"crypto/subtle"
	"errors"
	"image"
	_ "image/jpeg" // uploads
	_ "image/png"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/nniescope/nniescope/shared/version"
	"github.com/nniescope/nniescope/shared/wire"
)

// Config configures the server.
type Config struct {
	Listen    string
	Token     string // required on non-loopback addresses; checked in constant time
	MaxUpload int64  // bytes accepted by POST /api/frame (default 8 MiB)
	QueueLen  int    // messages buffered per client before the oldest drop (default 16)
	// Info answers GET /api/info.
	Info func() any
	// Upload receives POST /api/frame images; nil when the source is not
	// "upload".
	Upload func(image.Image)
	// UI is served at / (nil: no UI).
	UI fs.FS
	// Record starts (path != "") or stops (path == "") recording.
	Record func(start bool) (string, error)
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
}

type client struct {
	send    chan []byte
	dropped *atomic.Uint64
	mu      sync.Mutex // serialises drop-oldest against the writer
}

// New builds a server; it does not listen yet.
func New(cfg Config) *Server {
	if cfg.MaxUpload <= 0 {
		cfg.MaxUpload = 8 << 20
	}
	if cfg.QueueLen <= 0 {
		cfg.QueueLen = 16
	}
	s := &Server{cfg: cfg, clients: map[*client]struct{}{}, started: time.Now(), closing: make(chan struct{})}
	s.upgrader = websocket.Upgrader{CheckOrigin: sameOrigin, EnableCompression: true}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.GET("/healthz", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"status": "ok", "version": version.Version})
	})
	if cfg.UI != nil {
		// The page itself carries no data; what it fetches is authenticated.
		e.GET("/*", echo.WrapHandler(http.FileServer(http.FS(cfg.UI))))
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
	e.POST("/api/frame", s.frame, s.auth, middleware.BodyLimit(sizeString(cfg.MaxUpload)))
	e.POST("/api/record", s.record, s.auth)
	s.e = e
	return s
}

func sizeString(n int64) string { return strconv.FormatInt(n, 10) + "B" }

// sameOrigin accepts clients without an Origin (tools, recorders) and
// browsers whose page came from this board.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}

// auth requires the token (Authorization: Bearer T, or ?token=T for
// WebSocket clients that cannot set headers) when one is configured.
func (s *Server) auth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.cfg.Token == "" {
			return next(c)
		}
		got := strings.TrimPrefix(c.Request().Header.Get("Authorization"), "Bearer ")
		if got == "" {
			got = c.QueryParam("token")
		}
		if subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.Token)) != 1 {
			return echo.NewHTTPError(http.StatusUnauthorized, "missing or wrong token")
		}
		return next(c)
	}
}

func (s *Server) metrics(c echo.Context) error {
	s.mu.Lock()
	n := len(s.clients)
	s.mu.Unlock()
	up := time.Since(s.started).Seconds()
	frames := s.frames.Load()
	return c.JSON(http.StatusOK, map[string]any{"frames": frames, "fps": float64(frames) / max(up, 1e-9), "dropped": s.dropped.Load(), "clients": n})
}

func (s *Server) frame(c echo.Context) error {
	if s.cfg.Upload == nil {
		return echo.NewHTTPError(http.StatusConflict, "the board's source is not \"upload\"")
	}
	img, _, err := image.Decode(c.Request().Body)
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
	cl := &client{send: make(chan []byte, s.cfg.QueueLen), dropped: &s.dropped}
	s.mu.Lock()
	s.clients[cl] = struct{}{}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { // reader: control frames only; clients send nothing else
		defer close(done)
		conn.SetReadLimit(4096)
		conn.SetReadDeadline(time.Now().Add(pongWait))
		conn.SetPongHandler(func(string) error { return conn.SetReadDeadline(time.Now().Add(pongWait)) })
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				return
			}
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
		case msg := <-cl.send:
			conn.SetWriteDeadline(time.Now().Add(writeWait))
			if err := conn.WriteMessage(websocket.BinaryMessage, msg); err != nil {
				return nil
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

// Broadcast queues one frame's messages to every client. A slow client
// loses its oldest messages (counted), never stalls the engine or others.
func (s *Server) Broadcast(msgs [][]byte) {
	s.frames.Add(1)
	now := time.Now().UnixNano()
	for _, m := range msgs {
		wire.StampSent(m, now)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for cl := range s.clients {
		for _, m := range msgs {
			cl.push(m)
		}
	}
}

func (c *client) push(m []byte) {
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
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return err
	}
	if ready != nil {
		ready(ln.Addr())
	}
	srv := &http.Server{Handler: s.e, ReadHeaderTimeout: 10 * time.Second}
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
