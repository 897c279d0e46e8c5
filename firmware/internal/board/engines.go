package board

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/nniescope/nniescope/firmware/internal/frame"
	"github.com/nniescope/nniescope/firmware/internal/server"
	"github.com/nniescope/nniescope/firmware/internal/sim"
	"github.com/nniescope/nniescope/shared/dataset"
	"github.com/nniescope/nniescope/shared/synth"
	"github.com/nniescope/nniescope/shared/version"
)

// engine is an engine as the frame loop takes it: what produces frames,
// what GET /api/info says, live AP (nil: none) and what to release.
type engine struct {
	prod  producer
	info  func() any
	live  *liveAP
	close func()
}

// openEngine builds the configured engine and its source; a source that
// takes uploads registers its handler in cfg.
func (c Config) openEngine(cfg *server.Config, log io.Writer) (engine, error) {
	switch c.Engine {
	case "sim":
		return c.simEngine(cfg, log)
	case "replay":
		r, err := openReplay(c.Recording)
		if err != nil {
			return engine{}, err
		}
		info := Info{Model: filepath.Base(c.Recording), Engine: "replay", Version: version.Version, Variants: []VariantInfo{}}
		return engine{prod: &replayProducer{r: r, paced: c.FPS > 0}, info: func() any { return info }, close: func() { r.Close() }}, nil
	case "svp":
		if c.SVPInput != "rgb" && c.SVPInput != "yuv420sp" {
			return engine{}, fmt.Errorf("--svp-input %q: want rgb or yuv420sp", c.SVPInput)
		}
		e, closeFn, err := svpEngine(c.OM, c.InputW, c.InputH, c.SVPInput == "yuv420sp")
		return c.vendorEngine(cfg, e, closeFn, err, Info{Model: filepath.Base(c.OM), Engine: "svp", Input: [2]int{c.InputW, c.InputH}})
	case "nnie":
		e, closeFn, err := nnieEngine(c.WK, c.RGBOrder)
		return c.vendorEngine(cfg, e, closeFn, err, Info{Model: filepath.Base(c.WK), Engine: "nnie"})
	}
	return engine{}, fmt.Errorf("--engine %q: want sim, replay, svp or nnie", c.Engine)
}

// vendorEngine wraps a vendor runtime's engine (svp, nnie) with the
// configured source: one variant, "board", streamed as the NPU wrote it.
func (c Config) vendorEngine(cfg *server.Config, e frame.Engine, closeFn func(), err error, info Info) (engine, error) {
	if err != nil {
		return engine{}, err
	}
	frames, err := openSource(c.Source, cfg, c.SynthW, c.SynthH)
	if err != nil {
		closeFn()
		return engine{}, err
	}
	info.Version, info.Variants = version.Version, []VariantInfo{{Name: "board"}}
	return engine{prod: engineProducer{src: frames, eng: e}, info: func() any { return info }, close: closeFn}, nil
}

// simEngine is the simulated NPU: every variant of the model on each
// frame, scored live when the source has ground truth.
func (c Config) simEngine(cfg *server.Config, log io.Writer) (engine, error) {
	if c.Model == "" {
		return engine{}, errors.New("--engine sim needs --model")
	}
	e, err := sim.New(c.Model, c.Variants, sim.Options{Placement: c.Placement, Threads: c.Threads, TailOps: c.TailOps, AllowMissing: c.AllowMissing, InputSize: c.ImgSize, Anchors: c.Anchors, Names: c.Names,
		Warn: func(s string) { fmt.Fprintln(log, "nniescope-board:", s) }})
	if err != nil {
		return engine{}, err
	}
	if t := e.Tail(); len(t.Nodes) > 0 {
		fmt.Fprintf(log, "nniescope-board: %s: stopping before %d post-process node(s) starting at %q (%s); the host decodes %v\n",
			c.Model, len(t.Nodes), t.Nodes[0].Name, t.Nodes[0].OpType, t.Cut)
	}
	// Loading parsed a protobuf the size of the model: give the garbage
	// back before streaming.
	debug.FreeOSMemory()
	frames, err := openSource(c.Source, cfg, c.SynthW, c.SynthH)
	if err != nil {
		e.Close()
		return engine{}, err
	}
	var live *liveAP
	switch kind, dir, _ := strings.Cut(c.Source, ":"); {
	case kind == "dir":
		// Images with YOLO labels (or COCO JSON): score live.
		if set, err := dataset.Load(dir, e.Classes()); err == nil {
			live = newLiveAP(set)
		} else {
			fmt.Fprintf(log, "nniescope-board: no live AP: %v\n", err)
		}
	case kind == "synthetic" && e.Classes() == len(synth.Classes):
		// The scenes' own labels, for a model of the synthetic classes.
		live = newLiveAP(synth.GroundTruth(synthSeed, 0, synthScenes, c.SynthW, c.SynthH))
	}
	w, h := e.Input()
	base := Info{Model: filepath.Base(c.Model), Engine: "sim", Input: [2]int{w, h}, Tensors: e.Tensors(), Version: version.Version, Names: e.Names()}
	if kind, _, _ := strings.Cut(c.Source, ":"); base.Names == nil && kind == "synthetic" && e.Classes() == len(synth.Classes) {
		base.Names = synth.Classes // the scenes' classes, as the live AP takes them
	}
	info := func() any {
		info := base
		for _, n := range e.Variants() {
			info.Variants = append(info.Variants, VariantInfo{Name: n, AP: live.get(n), Coverage: e.Coverage(n)})
		}
		return info
	}
	return engine{prod: engineProducer{src: frames, eng: e}, info: info, live: live, close: e.Close}, nil
}
