package cli

import (
	"errors"
	"flag"
	"fmt"

	"github.com/nniescope/nniescope/internal/modelflags"
	"github.com/nniescope/nniescope/shared/quant"

	"github.com/nniescope/nniescope/shared/dataset"
	"github.com/nniescope/nniescope/shared/detect"
	"github.com/nniescope/nniescope/shared/engine"
	"github.com/nniescope/nniescope/shared/onnx"
)

// modelLoader reads the --model file the way every command needs it:
// with a vendor RPN tail (the post-process nodes the SVP patch appends)
// cut off, and the cut said on stderr, so run, calib, eval, layers and
// search all see the same graph.
type modelLoader struct {
	tailOps stringList
	imgsz   string
	anchors string
	names   string
}

func addModelFlags(fs *flag.FlagSet) *modelLoader {
	l := &modelLoader{}
	fs.Var(&l.tailOps, "tail-op", "also treat nodes with this op type, DOMAIN::OP or node name as the board's post-process tail and stop before them (repeatable; custom-domain and unknown ops always are)")
	fs.StringVar(&l.imgsz, "imgsz", "", "model input WxH for an ONNX exported with dynamic dims (e.g. 640x640); a static model keeps its own")
	fs.StringVar(&l.names, "names", "", "class names file, one per line (line i names class i-1); overrides the names an Ultralytics export carries in its metadata")
	fs.StringVar(&l.anchors, "anchors", "", "YOLOv5 anchors in input pixels, levels strides ascending (\"10,13,16,30,33,23;30,61,62,45,59,119;116,90,156,198,373,326\" or the yaml's [[...], ...]): for an export without its decode (raw level outputs); a full export's own are read from its graph")
	return l
}

func (l *modelLoader) load(env Env, path string) (*onnx.Model, error) {
	m, err := onnx.Load(path)
	if err != nil {
		return nil, err
	}
	if m, err = (modelflags.Flags{ImgSize: l.imgsz, Anchors: l.anchors, Names: l.names}).Apply(m); err != nil {
		return nil, err
	}
	cut, tail, err := engine.CutTail(m, engine.TailOps(l.tailOps))
	if err != nil {
		return nil, err
	}
	if len(tail.Nodes) > 0 {
		// The vendor RPN tail only runs on the board: stop before it and
		// decode its inputs on the host instead.
		fmt.Fprintf(env.Stderr, "nniescope: %s: stopping before %d post-process node(s) starting at %q (%s); decoding %v on the host\n",
			path, len(tail.Nodes), tail.Nodes[0].Name, tail.Nodes[0].OpType, tail.Cut)
	}
	return cut, nil
}

// loadDataset loads a labelled dataset for m, checking labels against the
// model's class count (read from output0 or the raw heads).
func loadDataset(m *onnx.Model, dir string) (*dataset.Set, error) {
	p, err := engine.Analyze(m, engine.Options{Threads: 1})
	if err != nil {
		return nil, err
	}
	classes, err := detect.Classes(p)
	if err != nil {
		return nil, err
	}
	return dataset.Load(dir, classes)
}

// recordPolicy is what a command does with a calibration file that lacks
// records for some of the model's conv/matmul layers: refuse it (the
// default: the simulation would report float layers as quantized), or with
// --allow-missing-records simulate them as float and say which.
type recordPolicy struct{ allow bool }

func addRecordFlags(fs *flag.FlagSet) *recordPolicy {
	p := &recordPolicy{}
	fs.BoolVar(&p.allow, "allow-missing-records", false, "simulate a calibration file that lacks records for some conv/matmul layers, leaving those layers float (they are named on stderr); without it such a file is refused")
	return p
}

// simulate compiles the simulation of a calibration file under the
// policy, once, and says on stderr what of the file did not map or stays
// float.
func (p *recordPolicy) simulate(env Env, cmd string, m *onnx.Model, c *quant.Calibration, o quant.Options) (quant.Simulator, error) {
	o.AllowMissing = p.allow
	sim, err := c.Simulate(m, o)
	if err != nil {
		return nil, p.explain(err)
	}
	for _, w := range sim.Summary().Warnings {
		fmt.Fprintf(env.Stderr, "nniescope %s: %s\n", cmd, w)
	}
	return sim, nil
}

// explain names the flag that lets a file with missing records run.
func (p *recordPolicy) explain(err error) error {
	if errors.Is(err, quant.ErrMissingRecords) {
		return fmt.Errorf("%w (--allow-missing-records)", err)
	}
	return err
}
