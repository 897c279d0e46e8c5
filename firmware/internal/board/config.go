package board

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/nniescope/nniescope/firmware/internal/server"
	"github.com/nniescope/nniescope/firmware/internal/sim"
	"github.com/nniescope/nniescope/shared/quant"
)

// Config is what the board's flags (and --config file) say, checked.
type Config struct {
	Listen, Token string
	AllowHosts    []string
	MaxPixels     int
	// MaxConnsPerAddr caps the connections one address may hold.
	MaxConnsPerAddr int

	Engine string // sim, replay, svp, nnie
	// sim
	Model        string
	ImgSize      string // --imgsz, for a dynamic-shape export
	Anchors      string // --anchors, for a YOLOv5 without its decode
	Names        string // --names: class names file
	TailOps      []string
	Variants     []sim.VariantSpec
	Placement    quant.Placement
	AllowMissing bool
	Threads      int
	// replay
	Recording string
	// svp
	OM             string
	SVPInput       string // rgb or yuv420sp
	InputW, InputH int
	// nnie
	WK       string
	RGBOrder string // the channel order the .wk was mapped with

	Source         string
	SynthW, SynthH int
	FPS            float64

	RecordDir      string
	RecordMaxBytes int64

	MemLimitMB  int
	GCPercent   int // 0: leave the collector as GOGC set it
	ShowVersion bool
}

// parseConfig reads the flags; --config FILE lines come before the
// command line's, so the command line wins.
func parseConfig(args []string, stderr io.Writer) (Config, error) {
	args, err := withConfigFile(args)
	if err != nil {
		return Config{}, err
	}
	var c Config
	fs := flag.NewFlagSet("nniescope-board", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Listen, "listen", "127.0.0.1:8080", "address to serve HTTP and WebSocket on (non-loopback needs --token)")
	fs.StringVar(&c.Engine, "engine", "sim", "sim (pure-Go simulated NPU), replay (a recording), svp (SVP ACL runtime, Hi3519DV500 class; build tag svp), nnie (NNIE runtime, Hi3516DV300 class; build tag nnie)")
	fs.StringVar(&c.Model, "model", "", "YOLO ONNX model: YOLOv8, YOLO11, YOLOv5 (engine sim)")
	fs.StringVar(&c.ImgSize, "imgsz", "", "model input WxH for an ONNX exported with dynamic dims (engine sim; e.g. 640x640)")
	fs.StringVar(&c.Names, "names", "", "class names file, one per line (line i names class i-1), overriding the model's own (engine sim)")
	fs.StringVar(&c.Anchors, "anchors", "", "YOLOv5 anchors in input pixels, levels strides ascending (e.g. \"10,13,16,30,33,23;30,61,62,45,59,119;116,90,156,198,373,326\"), for an export without its decode (engine sim)")
	fs.Var((*listFlag)(&c.TailOps), "tail-op", "also treat nodes with this op type, DOMAIN::OP or node name as the post-process tail and stop before them (engine sim; repeatable)")
	fs.Var((*variantFlag)(&c.Variants), "variant", "NAME[=CALIB_FILE], repeatable; \"float\" is unquantized (engine sim)")
	fs.StringVar(&c.Source, "source", "synthetic", "dir:PATH | nv12:PATH:WxH | vpss:GROUP:CHANNEL (camera; build tag vpss) | synthetic | upload")
	fs.StringVar(&c.Recording, "recording", "", "recording file to play (engine replay)")
	fs.StringVar(&c.Token, "token", "", "require this token on the API and the stream (header Authorization: Bearer T; browsers: the WebSocket subprotocol nniescope.token.BASE64URL(T); never a query parameter)")
	fs.StringVar(&c.RecordDir, "record-dir", ".", "where POST /api/record?action=start writes recordings")
	placement := fs.String("placement", string(quant.DefaultPlacement), "quantization-point model of the simulator (docs/QUANT.md)")
	fs.BoolVar(&c.AllowMissing, "allow-missing-records", false, "simulate calibration files that lack records for some conv/matmul layers, leaving those layers float (engine sim); without it such a file is refused")
	synthSize := fs.String("synthetic-size", "640x360", "picture size of --source synthetic")
	fs.Float64Var(&c.FPS, "fps", 0, "frame rate cap (0: as fast as the engine runs; replay: the recorded rate)")
	fs.IntVar(&c.Threads, "threads", 0, "engine threads (0: all cores)")
	fs.StringVar(&c.OM, "om", "", "compiled .om model (engine svp)")
	fs.StringVar(&c.WK, "wk", "", "nnie_mapper's .wk model (engine nnie; its input size comes from the model)")
	fs.StringVar(&c.RGBOrder, "rgb-order", "BGR", "channel order the .wk was mapped with, as nnie_mapper's RGB_order: BGR or RGB (engine nnie)")
	input := fs.String("input", "512x288", "model input WxH (engine svp)")
	fs.StringVar(&c.SVPInput, "svp-input", "rgb", "the .om's input as ATC's AIPP config made it (engine svp): rgb (planar RGB888 u8; frames are letterboxed into it) or yuv420sp (camera frames of --input's size, fed as they are: VPSS frames without a copy)")
	recordMax := fs.Int("record-max-mb", 1024, "stop a recording when it reaches this size (0: no limit); GET /metrics shows its size and why it stopped")
	fs.IntVar(&c.MaxConnsPerAddr, "max-conns-per-addr", 16, "connections one address may hold open at once (page, API and viewers; the board takes 64 in all): a neighbour on the network cannot fill them")
	fs.IntVar(&c.MaxPixels, "max-pixels", 16<<20, "largest image (width × height) an upload or a file source may have; checked from the header before decoding")
	fs.Var((*listFlag)(&c.AllowHosts), "allow-host", "a host name the board may be reached by (besides IP addresses and localhost; repeatable): requests naming another are refused (DNS rebinding)")
	fs.IntVar(&c.MemLimitMB, "mem-limit-mb", 56, "soft memory limit for the Go heap in MiB (a board has a few hundred MB for Linux); 0: none")
	fs.IntVar(&c.GCPercent, "gc-percent", 10, "let the heap grow this many percent over live data between collections (Go's GOGC, whose default is 100); the GOGC variable wins when set and this flag is not")
	fs.BoolVar(&c.ShowVersion, "version", false, "print the version and exit")
	fs.String("config", "", "file of flags, one per line (\"listen 0.0.0.0:8080\" or \"variant=int8=int8.txt\"; # comments); command-line flags override it")
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if c.ShowVersion {
		return c, nil
	}
	if _, fromEnv := os.LookupEnv("GOGC"); fromEnv && !flagSet(fs, "gc-percent") {
		c.GCPercent = 0
	} else if c.GCPercent <= 0 {
		return Config{}, fmt.Errorf("--gc-percent %d: want a percentage above 0", c.GCPercent)
	}
	if !server.IsLoopback(c.Listen) && c.Token == "" {
		return Config{}, fmt.Errorf("--listen %s is reachable from the network: set --token", c.Listen)
	}
	if *recordMax < 0 {
		return Config{}, fmt.Errorf("--record-max-mb %d: want 0 (no limit) or more", *recordMax)
	}
	c.RecordMaxBytes = int64(*recordMax) << 20
	if c.SynthW, c.SynthH, err = parseSize(*synthSize); err != nil {
		return Config{}, fmt.Errorf("--synthetic-size: %w", err)
	}
	if c.Placement, err = quant.ParsePlacement(*placement); err != nil {
		return Config{}, err
	}
	if c.RGBOrder != "BGR" && c.RGBOrder != "RGB" {
		return Config{}, fmt.Errorf("--rgb-order %q: want BGR or RGB (nnie_mapper's RGB_order)", c.RGBOrder)
	}
	if c.Engine == "svp" {
		if c.InputW, c.InputH, err = parseSize(*input); err != nil {
			return Config{}, fmt.Errorf("--input: %w", err)
		}
	}
	return c, nil
}

// tuneMemory sets the collector for a board's small memory. A frame
// leaves megabytes of garbage (decoded picture, letterbox, tensors,
// messages) over a live set of ~24 MB for yolov8n; at Go's default the
// heap doubles before each collection. 10% keeps the resident size near
// the live set for about a millisecond of collection per frame (server
// CPU streaming yolov8n to 4 viewers for 20 s: 28.2-28.9 s at 10,
// 29.5-29.9 s at 100; the weights hold no pointers, so marking is
// cheap), and
// scales with the model, which a fixed limit does not; the soft limit
// makes the collector work harder near it.
func (c Config) tuneMemory() {
	if c.MemLimitMB > 0 {
		debug.SetMemoryLimit(int64(c.MemLimitMB) << 20)
	}
	if c.GCPercent > 0 {
		debug.SetGCPercent(c.GCPercent)
	}
}

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

// flagSet reports whether name was given (on the command line or in the
// config file), not just defaulted.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
