package cli

import (
	"flag"
	"fmt"

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
}

func addModelFlags(fs *flag.FlagSet) *modelLoader {
	l := &modelLoader{}
	fs.Var(&l.tailOps, "tail-op", "also treat nodes with this op type, DOMAIN::OP or node name as the board's post-process tail and stop before them (repeatable; custom-domain and unknown ops always are)")
	return l
}

func (l *modelLoader) load(env Env, path string) (*onnx.Model, error) {
	m, err := onnx.Load(path)
	if err != nil {
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
	p, err := engine.Compile(m, engine.Options{Threads: 1})
	if err != nil {
		return nil, err
	}
	classes, err := detect.Classes(p)
	if err != nil {
		return nil, err
	}
	return dataset.Load(dir, classes)
}
