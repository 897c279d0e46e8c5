// Package board is the board binary: Run reads the configuration
// (config.go), opens the engine with its source (engines.go) and runs one
// frame loop (loop.go) beside the server. main only calls Run, so tests
// run the whole binary in-process.
package board

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nniescope/nniescope/firmware/internal/server"
	"github.com/nniescope/nniescope/firmware/internal/sim"
	"github.com/nniescope/nniescope/firmware/internal/source"
	"github.com/nniescope/nniescope/shared/recording"
	"github.com/nniescope/nniescope/shared/version"
	"github.com/nniescope/nniescope/shared/wire"
	"github.com/nniescope/nniescope/webui"
)

// Info is GET /api/info.
type Info struct {
	Model    string           `json:"model"`
	Engine   string           `json:"engine"`
	Input    [2]int           `json:"input"`
	Variants []VariantInfo    `json:"variants"`
	Tensors  []sim.TensorInfo `json:"tensors"`
	// Names are the class names (the model's metadata, --names, or the
	// synthetic scenes' own); absent when unknown.
	Names   []string `json:"names,omitempty"`
	Version string   `json:"version"`
}

// VariantInfo names a variant; AP is the live AP when the source has
// ground truth (null otherwise).
type VariantInfo struct {
	Name string   `json:"name"`
	AP   *float64 `json:"ap"`
	// Coverage of the variant's calibration file: records used and
	// conv/matmul layers covered.
	Coverage string `json:"coverage,omitempty"`
}

// Run parses args and serves until ctx ends.
func Run(ctx context.Context, args []string, stderr io.Writer, ready func(net.Addr)) error {
	c, err := parseConfig(args, stderr)
	if err != nil || c.ShowVersion {
		if c.ShowVersion {
			fmt.Fprintln(stderr, "nniescope-board", version.Version)
		}
		return err
	}
	c.tuneMemory()
	rec := &recorder{dir: c.RecordDir, maxBytes: c.RecordMaxBytes}
	cfg := server.Config{Listen: c.Listen, Token: c.Token, Record: rec.toggle, Status: rec.state, UI: webui.FS(), MaxPixels: c.MaxPixels, AllowedHosts: c.AllowHosts, MaxConnsPerAddr: c.MaxConnsPerAddr}
	eng, err := c.openEngine(&cfg, stderr)
	if err != nil {
		return err
	}
	defer eng.close()
	cfg.Info = eng.info
	s := server.New(cfg)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- frameLoop(ctx, eng.prod, s, rec, c.FPS, eng.live, stderr) }()
	err = s.Run(ctx, func(a net.Addr) {
		fmt.Fprintf(stderr, "nniescope-board: serving on http://%s\n", a)
		if ready != nil {
			ready(a)
		}
	})
	cancel()
	if lerr := <-errc; lerr != nil && !errors.Is(lerr, context.Canceled) && err == nil {
		err = lerr
	}
	if cerr := rec.close(); err == nil {
		err = cerr
	}
	return err
}

// openReplay opens a recording for the replay engine and checks its first
// message: an empty, foreign or future-version file is a startup error,
// not a stream that never starts.
func openReplay(path string) (*recording.Recording, error) {
	r, err := recording.Open(path)
	if err != nil {
		return nil, err
	}
	m, err := r.Message(0)
	if err == nil {
		_, err = wire.PeekHeader(m)
	}
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("--recording %s: first message: %w", path, err)
	}
	return r, nil
}

// The synthetic source: held-out scenes (training uses other seeds).
const (
	synthSeed   = 20261127
	synthScenes = 100
)

// withConfigFile expands --config FILE into flags placed before the
// command line's, so the command line wins.
func withConfigFile(args []string) ([]string, error) {
	var path string
	for i, a := range args {
		switch {
		case a == "--config" || a == "-config":
			if i+1 < len(args) {
				path = args[i+1]
			}
		case strings.HasPrefix(a, "--config=") || strings.HasPrefix(a, "-config="):
			path = a[strings.Index(a, "=")+1:]
		}
	}
	if path == "" {
		return args, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--config: %w", err)
	}
	var out []string
	for n, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, " ")
		if eq := strings.Index(line, "="); eq >= 0 && (!ok || eq < len(name)) {
			name, value, ok = line[:eq], line[eq+1:], true
		}
		name = strings.TrimLeft(name, "-")
		if name == "config" {
			return nil, fmt.Errorf("%s:%d: a config file cannot name another", path, n+1)
		}
		if ok {
			out = append(out, "--"+name+"="+strings.TrimSpace(value))
		} else {
			out = append(out, "--"+name)
		}
	}
	return append(out, args...), nil
}

func parseSize(s string) (int, int, error) {
	ws, hs, ok := strings.Cut(s, "x")
	w, err1 := strconv.Atoi(ws)
	h, err2 := strconv.Atoi(hs)
	if !ok || err1 != nil || err2 != nil || w <= 0 || h <= 0 {
		return 0, 0, fmt.Errorf("size %q: want WxH", s)
	}
	return w, h, nil
}

func openSource(spec string, cfg *server.Config, synthW, synthH int) (source.Source, error) {
	kind, arg, _ := strings.Cut(spec, ":")
	switch kind {
	case "synthetic":
		return &source.Synthetic{W: synthW, H: synthH, Seed: synthSeed, N: synthScenes}, nil
	case "dir":
		d, err := source.NewDir(arg, true)
		if err != nil {
			return nil, err
		}
		d.MaxPixels = cfg.MaxPixels
		return d, nil
	case "nv12":
		path, size, ok := strings.Cut(arg, ":")
		ws, hs, ok2 := strings.Cut(size, "x")
		w, err1 := strconv.Atoi(ws)
		h, err2 := strconv.Atoi(hs)
		if !ok || !ok2 || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("--source %s: want nv12:PATH:WxH", spec)
		}
		return source.NewNV12(path, w, h)
	case "vpss":
		gs, cs, ok := strings.Cut(arg, ":")
		grp, err1 := strconv.Atoi(gs)
		chn, err2 := strconv.Atoi(cs)
		if !ok || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("--source %s: want vpss:GROUP:CHANNEL (e.g. vpss:0:1)", spec)
		}
		return vpssSource(grp, chn)
	case "upload":
		u := source.NewUpload()
		cfg.Upload = u.Put
		return u, nil
	}
	return nil, fmt.Errorf("--source %q: want dir:PATH, nv12:PATH:WxH, vpss:GROUP:CHANNEL, synthetic or upload", spec)
}

// recorder writes the stream to a file between start and stop, up to
// maxBytes; it stops by itself at the limit or when a write fails (a full
// disk), and keeps why for /metrics.
type recorder struct {
	mu       sync.Mutex
	dir      string
	maxBytes int64
	w        *recording.Recorder
	path     string
	bytes    int64
	status   string // why the last recording ended, when not by a stop request
}

func (r *recorder) toggle(start bool) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !start {
		if r.w == nil {
			return "", errors.New("not recording")
		}
		err := r.w.Close()
		p := r.path
		r.w, r.path = nil, ""
		r.status = "stopped: " + p
		return p, err
	}
	if r.w != nil {
		return r.path, errors.New("already recording to " + r.path)
	}
	p := filepath.Join(r.dir, "nniescope-"+time.Now().UTC().Format("20060102-150405.000")+".nsw")
	w, err := recording.Create(p)
	if err != nil {
		return "", err
	}
	r.w, r.path, r.bytes, r.status = w, p, 0, ""
	return p, nil
}

// write records a frame's messages; when the recording ends here (the
// limit, a failed write) it returns why, for the log.
func (r *recorder) write(msgs [][]byte) (stopped string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.w == nil {
		return ""
	}
	var size int64
	for _, m := range msgs {
		size += int64(4 + len(m))
	}
	if r.maxBytes > 0 && r.bytes+size > r.maxBytes {
		return r.stopLocked(fmt.Sprintf("stopped at the --record-max-mb limit (%d MB): %s", r.maxBytes>>20, r.path), nil)
	}
	for _, m := range msgs {
		if err := r.w.Write(m); err != nil {
			return r.stopLocked("stopped, write failed", err)
		}
	}
	r.bytes += size
	return ""
}

// stopLocked ends the recording and keeps what the file holds readable
// (the index is written when the disk allows; readers recover without).
func (r *recorder) stopLocked(why string, err error) string {
	cerr := r.w.Close()
	if err == nil {
		err = cerr
	}
	r.status = why
	if err != nil {
		r.status = fmt.Sprintf("%s: %s: %v", why, r.path, err)
	}
	r.w, r.path = nil, ""
	return r.status
}

// state is the recording's part of GET /metrics.
func (r *recorder) state() map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := map[string]any{"active": r.w != nil, "path": r.path, "bytes": r.bytes, "max_bytes": r.maxBytes}
	if r.status != "" {
		st["status"] = r.status
	}
	return map[string]any{"recording": st}
}

// close finishes a recording still open at shutdown.
func (r *recorder) close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.w == nil {
		return nil
	}
	err := r.w.Close()
	r.w = nil
	return err
}
