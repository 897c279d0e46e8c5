package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"sort"
	"strings"

	"github.com/nniescope/nniescope/shared/calib"
	"github.com/nniescope/nniescope/shared/dataset"
	"github.com/nniescope/nniescope/shared/quant"
)

func runCalib(ctx context.Context, env Env, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "splice":
			return runSplice(env, args[1:])
		case "diff":
			return runDiff(env, args[1:])
		}
	}
	fs := newFlagSet(env, "calib", "calib --model M --images DIR --bits 8|16 -o FILE [--method minmax|percentile]\n       nniescope calib splice --base int8.txt --from int16.txt --layer NAME [--layer NAME...] -o mixed.txt\n       nniescope calib diff a.txt b.txt")
	model := fs.String("model", "", "float YOLO ONNX model (YOLOv8, YOLO11, YOLOv5)")
	images := fs.String("images", "", "calibration images (DIR/images or DIR)")
	bits := fs.Int("bits", 8, "8 (ATC compile_mode 0) or 16 (compile_mode 1)")
	out := fs.String("o", "", "output calibration_param.txt")
	method := fs.String("method", quant.MinMax, "range estimation: minmax or percentile")
	pct := fs.Float64("percentile", 99.99, "with --method percentile: the share of each tail kept")
	qcat := fs.Bool("quantize-final-concat", false, "quantize the final box/score Concat with one shared range (shows why the vendor advises against it)")
	threads := fs.Int("threads", 0, "engine threads (0: all cores)")
	loader := addModelFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := require(fs, "model", "images", "o"); err != nil {
		return err
	}
	m, err := loader.load(env, *model)
	if err != nil {
		return err
	}
	files, err := dataset.ImageFiles(*images)
	if err != nil {
		return err
	}
	bar := newProgress(env.Stderr, fmt.Sprintf("calib %d-bit", *bits), 1)
	f, err := quant.Calibrate(ctx, m, files, quant.CalibOptions{Bits: *bits, Method: *method, Percentile: *pct, QuantizeFinalConcat: *qcat, Threads: *threads},
		func(done, total int) { bar.total = total; bar.update(done) })
	if err != nil {
		return err
	}
	if err := f.Save(*out); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "wrote %s: %d layer records from %d images (%d-bit, %s)\n", *out, len(f.Layers()), len(files), *bits, *method)
	return nil
}

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func runSplice(env Env, args []string) error {
	fs := newFlagSet(env, "calib splice", "calib splice --base int8.txt --from int16.txt --layer NAME [--layer NAME...] -o mixed.txt")
	base := fs.String("base", "", "the file to start from (usually 8-bit)")
	from := fs.String("from", "", "the file to take the layers' records from (usually 16-bit)")
	out := fs.String("o", "", "output file (for atc --gfpq_param_file)")
	var layers stringList
	fs.Var(&layers, "layer", "layer name to take from --from (repeatable)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := require(fs, "base", "from", "layer", "o"); err != nil {
		return err
	}
	b, err := calib.Load(*base)
	if err != nil {
		return err
	}
	f, err := calib.Load(*from)
	if err != nil {
		return err
	}
	mixed, err := b.Splice(f, layers...)
	if err != nil {
		return err
	}
	if err := mixed.Save(*out); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "wrote %s: %s with %d record(s) from %s: %s\n", *out, *base, len(layers), *from, strings.Join(layers, ", "))
	return nil
}

func runDiff(env Env, args []string) error {
	fs := newFlagSet(env, "calib diff", "calib diff a.txt b.txt")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() != 2 {
		fmt.Fprintf(fs.Output(), "nniescope calib diff: want two calibration files, have %d argument(s)\n\n", fs.NArg())
		fs.Usage()
		return errUsage
	}
	a, err := calib.Load(fs.Arg(0))
	if err != nil {
		return err
	}
	b, err := calib.Load(fs.Arg(1))
	if err != nil {
		return err
	}
	diffs := calib.Diff(a, b)
	for _, d := range diffs {
		fmt.Fprintln(env.Stdout, d)
	}
	fmt.Fprintf(env.Stdout, "%d layer(s) differ\n", countLayers(diffs))
	return nil
}

func countLayers(diffs []calib.Difference) int {
	seen := map[string]bool{}
	for _, d := range diffs {
		seen[d.Layer] = true
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return len(names)
}
