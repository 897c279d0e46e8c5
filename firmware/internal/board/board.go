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
	recordMax := fs.Int("record-max-mb", 1024, "stop a recording when it reaches this size (0: no limit); GET /metrics shows its size and why it stopped")
	maxPixels := fs.Int("max-pixels", 16<<20, "largest image (width × height) an upload or a file source may have; checked from the header before decoding")
	var allowHosts listFlag
	fs.Var(&allowHosts, "allow-host", "a host name the board may be reached by (besides IP addresses and localhost; repeatable): requests naming another are refused (DNS rebinding)")
	memLimit := fs.Int("mem-limit-mb", 56, "soft memory limit for the Go heap in MiB (a board has a few hundred MB for Linux); 0: none")
	gcPercent := fs.Int("gc-percent", 25, "let the heap grow this many percent over live data between collections (Go's GOGC, whose default is 100); the GOGC variable wins when set and this flag is not")
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
	// A frame leaves megabytes of garbage (decoded picture, letterbox,
	// tensors, messages) over a live set of ~24 MB for yolov8n; at Go's
	// default the heap doubles before each collection. 25% keeps the
	// resident size near the live set for about a millisecond of
	// collection per frame, and scales with the model, which a fixed
	// limit does not.
	if _, fromEnv := os.LookupEnv("GOGC"); !fromEnv || flagSet(fs, "gc-percent") {
		if *gcPercent <= 0 {
			return fmt.Errorf("--gc-percent %d: want a percentage above 0", *gcPercent)
		}
		debug.SetGCPercent(*gcPercent)
	}
	if !server.IsLoopback(*listen) && *token == "" {
		return fmt.Errorf("--listen %s is reachable from the network: set --token", *listen)
	}
	if *recordMax < 0 {
		return fmt.Errorf("--record-max-mb %d: want 0 (no limit) or more", *recordMax)
	}
	rec := &recorder{dir: *recordDir, maxBytes: int64(*recordMax) << 20}
	cfg := server.Config{Listen: *listen, Token: *token, Record: rec.toggle, Status: rec.state, UI: webui.FS(), MaxPixels: *maxPixels, AllowedHosts: allowHosts}
	sw, sh, err := parseSize(*synthSize)
	if err != nil {
		return fmt.Errorf("--synthetic-size: %w", err)
	}
	var prod producer
	var live *liveAP
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
		frames, err := openSource(*src, &cfg, sw, sh)
		if err != nil {
			return err
		}
		w, h := e.Input()
		switch kind, dir, _ := strings.Cut(*src, ":"); {
		case kind == "dir":
			// Images with YOLO labels (or COCO JSON): score live.
			if set, err := dataset.Load(dir, e.Classes()); err == nil {
				live = newLiveAP(set)
			} else {
				fmt.Fprintf(stderr, "nniescope-board: no live AP: %v\n", err)
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
		prod = engineProducer{src: frames, eng: e}
	case "replay":
		r, err := openReplay(*recPath)
		if err != nil {
			return err
		}
		defer r.Close()
		cfg.Info = func() any {
			return Info{Model: filepath.Base(*recPath), Engine: "replay", Version: version.Version, Variants: []VariantInfo{}}
		}
		prod = &replayProducer{r: r, paced: *fps > 0}
	case "svp":
		w, h, err := parseSize(*input)
		if err != nil {
			return err
		}
		e, closeFn, err := svpEngine(*omPath, w, h)
		if err != nil {
			return err
		}
		defer closeFn()
		frames, err := openSource(*src, &cfg, sw, sh)
		if err != nil {
			return err
		}
		info := Info{Model: filepath.Base(*omPath), Engine: "svp", Input: [2]int{w, h}, Version: version.Version, Variants: []VariantInfo{{Name: "board"}}}
		cfg.Info = func() any { return info }
		prod = engineProducer{src: frames, eng: e}
	default:
		return fmt.Errorf("--engine %q: want sim, replay or svp", *eng)
	}
	s := server.New(cfg)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- frameLoop(ctx, prod, s, rec, *fps, live, stderr) }()
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
	case "upload":
		u := source.NewUpload()
		cfg.Upload = u.Put
		return u, nil
	}
	return nil, fmt.Errorf("--source %q: want dir:PATH, nv12:PATH:WxH, synthetic or upload", spec)
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

// flagSet reports whether name was given (on the command line or in the
// config file), not just defaulted.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
