package server

import (
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// checkHost refuses requests whose Host names a domain this board was not
// told about: a page on another site that rebinds its domain to
// 127.0.0.1 reaches the board with its own name in Host. IP literals
// and localhost cannot be rebound, so they pass; other names must be
// listed in Config.AllowedHosts.
func (s *Server) checkHost(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		host := c.Request().Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
		if host == "" || strings.EqualFold(host, "localhost") || net.ParseIP(host) != nil {
			return next(c)
		}
		for _, h := range s.cfg.AllowedHosts {
			if strings.EqualFold(h, host) {
				return next(c)
			}
		}
		return refuse(c, http.StatusMisdirectedRequest, "Host "+host+" is not this board's: use its IP address or localhost, or start the board with --allow-host "+host)
	}
}

// sameSite refuses a state-changing request that a browser sent from
// another site. Browsers send Origin on every POST (and Sec-Fetch-Site);
// tools such as curl send neither and pass.
func sameSite(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if !sameOrigin(r) {
			return refuse(c, http.StatusForbidden, "cross-site request refused (Origin "+r.Header.Get("Origin")+")")
		}
		if r.Header.Get("Origin") == "" {
			switch site := r.Header.Get("Sec-Fetch-Site"); site {
			case "", "same-origin", "none":
			default:
				return refuse(c, http.StatusForbidden, "cross-site request refused (Sec-Fetch-Site "+site+")")
			}
		}
		return next(c)
	}
}

// sameOrigin accepts clients without an Origin (tools, recorders) and
// browsers whose page came from this board.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	// Scheme and host: an https page of the same host is another origin.
	return err == nil && u.Scheme == scheme && strings.EqualFold(u.Host, r.Host)
}

// failures slows down token guessing: after maxFailures wrong tokens from
// one address, that address is refused for a back-off that doubles with
// each further failure (up to maxBackoff). The table is bounded.
type failures struct {
	mu  sync.Mutex
	now func() time.Time
	by  map[string]*failure
}

type failure struct {
	n     int
	until time.Time
	last  time.Time
}

const (
	maxFailures   = 5
	firstBackoff  = time.Second
	maxBackoff    = time.Minute
	maxFailureIPs = 1024
)

func newFailures() *failures { return &failures{now: time.Now, by: map[string]*failure{}} }

// blocked reports how long addr must still wait.
func (f *failures) blocked(addr string) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	if e := f.by[addr]; e != nil {
		return max(0, e.until.Sub(f.now()))
	}
	return 0
}

func (f *failures) fail(addr string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	e := f.by[addr]
	if e == nil {
		if len(f.by) >= maxFailureIPs {
			f.evict(now)
		}
		e = &failure{}
		f.by[addr] = e
	}
	e.n++
	e.last = now
	if e.n >= maxFailures {
		d := firstBackoff << min(e.n-maxFailures, 6)
		e.until = now.Add(min(d, maxBackoff))
	}
}

func (f *failures) succeed(addr string) {
	f.mu.Lock()
	delete(f.by, addr)
	f.mu.Unlock()
}

// evict drops entries idle for longer than the longest back-off, or, if
// none is, the oldest.
func (f *failures) evict(now time.Time) {
	var oldest string
	for a, e := range f.by {
		if now.Sub(e.last) > maxBackoff {
			delete(f.by, a)
		} else if oldest == "" || e.last.Before(f.by[oldest].last) {
			oldest = a
		}
	}
	if len(f.by) >= maxFailureIPs {
		delete(f.by, oldest)
	}
}

// limitListener caps the connections open at once, in all and per remote
// address: one neighbour holding connections open (idle, or as viewers)
// fills at most its own share, and the board stays reachable for others.
// A connection over either cap is closed at once.
type limitListener struct {
	net.Listener
	slots   chan struct{}
	perAddr int
	mu      sync.Mutex
	byAddr  map[string]int
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		addr := remoteHost(c.RemoteAddr().String())
		l.mu.Lock()
		ok := l.byAddr[addr] < l.perAddr
		if ok {
			l.byAddr[addr]++
		}
		l.mu.Unlock()
		if !ok {
			c.Close()
			continue
		}
		select {
		case l.slots <- struct{}{}:
			return &limitConn{Conn: c, release: func() { <-l.slots; l.leave(addr) }}, nil
		default:
			l.leave(addr)
			c.Close()
		}
	}
}

// leave gives back one of addr's connections.
func (l *limitListener) leave(addr string) {
	l.mu.Lock()
	if l.byAddr[addr]--; l.byAddr[addr] <= 0 {
		delete(l.byAddr, addr)
	}
	l.mu.Unlock()
}

// refuse answers a request the board will not serve and closes its
// connection after the answer: a refused client (no token, a foreign
// Host, another site) holds no connection slot while idle.
func refuse(c echo.Context, code int, msg string) error {
	c.Response().Header().Set("Connection", "close")
	return echo.NewHTTPError(code, msg)
}

type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
