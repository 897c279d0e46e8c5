// Package server is the board binary's HTTP surface. It is the only package
// that imports echo, so a move from echo v4 to v5 stays local (RATIONALE.md).
package server

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/nniescope/nniescope/shared/version"
)

// Config is the server's configuration; the zero value is not valid, use
// the values from the firmware's flags.
type Config struct {
	Listen string
}

// Server serves the board's HTTP endpoints.
type Server struct {
	cfg Config
	e   *echo.Echo
}

// New builds a server; it does not listen yet.
func New(cfg Config) *Server {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.GET("/healthz", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"status": "ok", "version": version.Version})
	})
	return &Server{cfg: cfg, e: e}
}

// Handler exposes the router for in-process tests.
func (s *Server) Handler() http.Handler { return s.e }

// Run listens on the configured address until ctx is done, then shuts down
// gracefully. ready, when not nil, receives the bound address.
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
