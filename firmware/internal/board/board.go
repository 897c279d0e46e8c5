// Package board wires the board binary together: flags, frame source,
// engine, server and recorder. main only calls Run, so tests run the whole
// binary in-process.
package board

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nniescope/nniescope/firmware/internal/server"
	"github.com/nniescope/nniescope/firmware/internal/sim"
	"github.com/nniescope/nniescope/firmware/internal/source"
	"github.com/nniescope/nniescope/shared/dataset"
	"github.com/nniescope/nniescope/shared/quant"
	"github.com/nniescope/nniescope/shared/recording"
	"github.com/nniescope/nniescope/shared/synth"
	"github.com/nniescope/nniescope/shared/version"
	"github.com/nniescope/nniescope/shared/wire"
	"github.com/nniescope/nniescope/webui"
)

type variantFlag []sim.VariantSpec

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

func (v *variantFlag) String() string { return fmt.Sprint(*v) }
func (v *variantFlag) Set(s string) error {
	name, file, _ := strings.Cut(s, "=")
	if name == "" {
		return errors.New("empty variant name")
	}
	if name == "float" && file != "" {
		return errors.New(`"float" is the unquantized model and takes no calibration file`)
	}
	*v = append(*v, sim.VariantSpec{Name: name, Calib: file})
	return nil
}

// Info is GET /api/info.
type Info struct {
	Model    string           `json:"model"`
	Engine   string           `json:"engine"`
	Input    [2]int           `json:"input"`
	Variants []VariantInfo    `json:"variants"`
	Tensors  []sim.TensorInfo `json:"tensors"`
	Version  string           `json:"version"`
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
	args, err := withConfigFile(args)
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("nniescope-board", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8080", "address to serve HTTP and WebSocket on (non-loopback needs --token)")
	eng := fs.String("engine", "sim", "sim (pure-Go simulated NPU), replay (a recording), svp (vendor runtime; build tag svp)")
	model := fs.String("model", "", "YOLOv8 ONNX model (engine sim)")
	var tailOps listFlag
	fs.Var(&tailOps, "tail-op", "also treat nodes with this op type, DOMAIN::OP or node name as the post-process tail and stop before them (engine sim; repeatable)")
	var variants variantFlag
	fs.Var(&variants, "variant", "NAME[=CALIB_FILE], repeatable; \"float\" is unquantized (engine sim)")
	src := fs.String("source", "synthetic", "dir:PATH | nv12:PATH:WxH | synthetic | upload")
	recPath := fs.String("recording", "", "recording file to play (engine replay)")
	token := fs.String("token", "", "require this token on the API and the stream (header Authorization: Bearer T or ?token=T)")
	recordDir := fs.String("record-dir", ".", "where POST /api/record?action=start writes recordings")
	placement := fs.String("placement", string(quant.DefaultPlacement), "quantization-point model of the simulator (docs/QUANT.md)")
	allowMissing := fs.Bool("allow-missing-records", false, "simulate calibration files that lack records for some conv/matmul layers, leaving those layers float (engine sim); without it such a file is refused")
	synthSize := fs.String("synthetic-size", "640x360", "picture size of --source synthetic")
	fps := fs.Float64("fps", 0, "frame rate cap (0: as fast as the engine runs; replay: the recorded rate)")
	threads := fs.Int("threads", 0, "engine threads (0: all cores)")
	omPath := fs.String("om", "", "compiled .om model (engine svp)")
	input := fs.String("input", "512x288", "model input WxH (engine svp)")
	maxPixels := fs.Int("max-pixels", 16<<20, "largest image (width × height) an upload or a file source may have; checked from the header before decoding")
	var allowHosts listFlag
	fs.Var(&allowHosts, "allow-host", "a host name the board may be reached by (besides IP addresses and localhost; repeatable): requests naming another are refused (DNS rebinding)")
	memLimit := fs.Int("mem-limit-mb", 56, "soft memory limit for the Go heap in MiB (a board has a few hundred MB for Linux); 0: none")
	showVersion := fs.Bool("version", false, "print the version and exit")
	fs.String("config", "", "file of flags, one per line (\"listen 0.0.0.0:8080\" or \"variant=int8=int8.txt\"; # comments); command-line flags override it")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *showVersion {
		fmt.Fprintln(stderr, "nniescope-board", version.Version)
		return nil
	}
	if *memLimit > 0 {
		// The garbage collector works harder near the limit rather than
		// letting the heap double (GOGC's default) on a small board.
		debug.SetMemoryLimit(int64(*memLimit) << 20)
	}
	if !server.IsLoopback(*listen) && *token == "" {
		return fmt.Errorf("--listen %s is reachable from the network: set --token", *listen)
	}
	var rec recorder
	rec.dir = *recordDir
	cfg := server.Config{Listen: *listen, Token: *token, Record: rec.toggle, UI: webui.FS(), MaxPixels: *maxPixels, AllowedHosts: allowHosts}
	var loop func(ctx context.Context, s *server.Server) error
	switch *eng {
	case "sim":
		if *model == "" {
			return errors.New("--engine sim needs --model")
		}
		pl, err := quant.ParsePlacement(*placement)
		if err != nil {
			return err
		}
		e, err := sim.New(*model, variants, sim.Options{Placement: pl, Threads: *threads, TailOps: tailOps, AllowMissing: *allowMissing,
			Warn: func(s string) { fmt.Fprintln(stderr, "nniescope-board:", s) }})
		if err != nil {
			return err
		}
		if t := e.Tail(); len(t.Nodes) > 0 {
			fmt.Fprintf(stderr, "nniescope-board: %s: stopping before %d post-process node(s) starting at %q (%s); the host decodes %v\n",
				*model, len(t.Nodes), t.Nodes[0].Name, t.Nodes[0].OpType, t.Cut)
		}
		defer e.Close()
		// Loading parsed a protobuf the size of the model and kept packed
		// copies of the weights: give the garbage back before streaming.
		debug.FreeOSMemory()
		sw, sh, err := parseSize(*synthSize)
		if err != nil {
			return fmt.Errorf("--synthetic-size: %w", err)
		}
		frames, err := openSource(*src, &cfg, sw, sh)
		if err != nil {
			return err
		}
		w, h := e.Input()
		var live *liveAP
		switch kind, dir, _ := strings.Cut(*src, ":"); {
		case kind == "dir":
			// Images with YOLO labels (or COCO JSON): score live.
			if set, err := dataset.Load(dir, e.Classes()); err == nil {
				live = newLiveAP(set)
			}
		case kind == "synthetic" && e.Classes() == len(synth.Classes):
			// The scenes' own labels, for a model of the synthetic classes.
			live = newLiveAP(synth.GroundTruth(synthSeed, 0, synthScenes, sw, sh))
		}
		base := Info{Model: filepath.Base(*model), Engine: "sim", Input: [2]int{w, h}, Tensors: e.Tensors(), Version: version.Version}
		cfg.Info = func() any {
			info := base
			for _, n := range e.Variants() {
				info.Variants = append(info.Variants, VariantInfo{Name: n, AP: live.get(n), Coverage: e.Coverage(n)})
			}
			return info
		}
		loop = func(ctx context.Context, s *server.Server) error {
			return simLoop(ctx, e, frames, s, &rec, *fps, live)
		}
	case "replay":
		r, err := recording.Open(*recPath)
		if err != nil {
			return err
		}
		defer r.Close()
		cfg.Info = func() any {
			return Info{Model: filepath.Base(*recPath), Engine: "replay", Version: version.Version, Variants: []VariantInfo{}}
		}
		loop = func(ctx context.Context, s *server.Server) error { return replayLoop(ctx, r, s, *fps) }
	case "svp":
		w, h, err := parseSize(*input)
		if err != nil {
			return err
		}
		run, closeFn, err := svpEngine(*omPath, w, h)
		if err != nil {
			return err
		}
		defer closeFn()
		frames, err := openSource(*src, &cfg, 640, 360)
		if err != nil {
			return err
		}
		info := Info{Model: filepath.Base(*omPath), Engine: "svp", Input: [2]int{w, h}, Version: version.Version, Variants: []VariantInfo{{Name: "board"}}}
		cfg.Info = func() any { return info }
		loop = func(ctx context.Context, s *server.Server) error { return run(ctx, frames, s, &rec, *fps) }
	default:
		return fmt.Errorf("--engine %q: want sim, replay or svp", *eng)
	}
	s := server.New(cfg)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- loop(ctx, s) }()
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
	case "upload":
		u := source.NewUpload()
		cfg.Upload = u.Put
		return u, nil
	}
	return nil, fmt.Errorf("--source %q: want dir:PATH, nv12:PATH:WxH, synthetic or upload", spec)
}

func simLoop(ctx context.Context, e *sim.Engine, frames source.Source, s *server.Server, rec *recorder, fps float64, live *liveAP) error {
	var tick <-chan time.Time
	if fps > 0 {
		t := time.NewTicker(time.Duration(float64(time.Second) / fps))
		defer t.Stop()
		tick = t.C
	}
	for {
		if tick != nil {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-tick:
			}
		}
		f, err := frames.Next(ctx)
		if err != nil {
			return err
		}
		msgs, err := e.Process(ctx, f)
		if err != nil {
			return err
		}
		if live != nil {
			live.add(f.Name, msgs)
		}
		s.Broadcast(msgs)
		if err := rec.write(msgs); err != nil {
			return err
		}
	}
}

func replayLoop(ctx context.Context, r *recording.Recording, s *server.Server, fps float64) error {
	var prevSeq uint64
	var prevCapture int64
	var batch [][]byte
	flush := func() { // one frame's messages at a time
		if len(batch) > 0 {
			s.Broadcast(batch)
			batch = nil
		}
	}
	for i := 0; ; i = (i + 1) % r.Len() {
		m, err := r.Message(i)
		if err != nil {
			return err
		}
		h, err := wire.PeekHeader(m)
		if err != nil {
			return fmt.Errorf("recording message %d: %w", i, err)
		}
		if h.Seq != prevSeq && len(batch) > 0 {
			flush()
			wait := time.Duration(h.CaptureNs - prevCapture)
			if fps > 0 {
				wait = time.Duration(float64(time.Second) / fps)
			}
			if wait <= 0 || wait > 5*time.Second {
				wait = 40 * time.Millisecond
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(wait):
			}
		}
		prevSeq, prevCapture = h.Seq, h.CaptureNs
		batch = append(batch, m)
	}
}

// recorder writes the stream to a file between start and stop.
type recorder struct {
	mu   sync.Mutex
	dir  string
	w    *recording.Recorder
	path string
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
	r.w, r.path = w, p
	return p, nil
}

func (r *recorder) write(msgs [][]byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.w == nil {
		return nil
	}
	for _, m := range msgs {
		if err := r.w.Write(m); err != nil {
			return err
		}
	}
	return nil
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
