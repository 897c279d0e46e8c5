package cli

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/nniescope/nniescope/shared/calib"
	"github.com/nniescope/nniescope/shared/dataset"
	"github.com/nniescope/nniescope/shared/onnx"
	"github.com/nniescope/nniescope/shared/quant"
	"github.com/nniescope/nniescope/shared/quant/nnie"
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
	fs := newFlagSet(env, "calib", "calib --model M --images DIR --bits 8|16 -o FILE [--method minmax|percentile] [--chip svp|nnie]\n       nniescope calib splice --base int8.txt --from int16.txt --layer NAME [--layer NAME...] -o mixed.txt\n       nniescope calib diff a.txt b.txt")
	model := fs.String("model", "", "float YOLO ONNX model (YOLOv8, YOLO11, YOLOv5)")
	images := fs.String("images", "", "calibration images (DIR/images or DIR)")
	bits := fs.Int("bits", 8, "8 (ATC compile_mode 0) or 16 (compile_mode 1)")
	out := fs.String("o", "", "output calibration_param.txt")
	method := fs.String("method", quant.MinMax, "range estimation: minmax or percentile")
	pct := fs.Float64("percentile", 99.99, "with --method percentile: the share of each tail kept")
	qcat := fs.Bool("quantize-final-concat", false, "quantize the final box/score Concat with one shared range (shows why the vendor advises against it)")
	threads := fs.Int("threads", 0, "engine threads (0: all cores)")
	chip := fs.String("chip", "svp", "svp (ATC's calibration_param.txt) or nnie (per-layer magnitudes for the logarithmic format, docs/NNIE.md)")
	format16 := fs.String("nnie16", string(nnie.GFPQ16), "nnie: the 16-bit reading, "+string(nnie.GFPQ16)+" or "+string(nnie.Log157))
	var high stringList
	fs.Var(&high, "high-precision", "nnie: a layer to run in 16-bit in an 8-bit file (compile_mode 2; repeatable)")
	gfpq := fs.String("gfpq-params", "", "nnie: also write the clips as MQBench's gfpq_param_dict JSON to this file")
	layerSet := fs.String("nnie-layers", string(nnie.Cube), "nnie: which nodes quantize their inputs: cube (Conv, Gemm, MatMul) or eltwise (also Add, Sub, Mul, Div: Caffe's Eltwise and Scale layers); not public, docs/NNIE.md")
	loader := addModelFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := require(fs, "model", "images", "o"); err != nil {
		return err
	}
	if err := checkOutputs(fs, "o", "gfpq-params"); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch *chip {
	case "svp":
		for _, n := range []string{"nnie16", "high-precision", "gfpq-params", "nnie-layers"} {
			if set[n] {
				return fmt.Errorf("--%s is for --chip nnie", n)
			}
		}
	case "nnie":
		for _, n := range []string{"method", "percentile", "quantize-final-concat"} {
			if set[n] {
				return fmt.Errorf("--%s is for --chip svp: nnie's clip is GFPQ's rule on the largest magnitude", n)
			}
		}
	default:
		return fmt.Errorf("--chip %q: want svp or nnie", *chip)
	}
	m, err := loader.load(env, *model)
	if err != nil {
		return err
	}
	files, err := dataset.ImageFiles(*images)
	if err != nil {
		return err
	}
	if *chip == "nnie" {
		ls, err := nnie.ParseLayerSet(*layerSet)
		if err != nil {
			return fmt.Errorf("--nnie-layers: %w", err)
		}
		return calibNNIE(ctx, env, m, *model, files, *bits, *format16, ls, high, *out, *gfpq, *threads)
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

// calibNNIE writes an NNIE calibration (and, when asked, MQBench's
// gfpq_param_dict of its clips).
func calibNNIE(ctx context.Context, env Env, m *onnx.Model, model string, files []string, bits int, format16 string, layerSet nnie.LayerSet, high []string, out, gfpq string, threads int) error {
	f16, err := nnie.Parse16(format16)
	if err != nil {
		return fmt.Errorf("--nnie16: %w", err)
	}
	layers := map[string]bool{}
	for _, n := range m.Nodes {
		layers[n.Name] = layerSet.Has(n.OpType)
	}
	for _, name := range high {
		if !layers[name] {
			return fmt.Errorf("--high-precision %q: not a node of %s that --nnie-layers %s quantizes", name, model, layerSet)
		}
	}
	bar := newProgress(env.Stderr, fmt.Sprintf("calib nnie %d-bit", bits), len(files))
	f, err := nnie.Calibrate(ctx, m, files, nnie.CalibOptions{Bits: bits, Format16: f16, LayerSet: layerSet, Threads: threads, Model: filepath.Base(model)}, func(done, _ int) { bar.update(done) })
	if err != nil {
		return err
	}
	for _, name := range high {
		for i := range f.Layers {
			if f.Layers[i].Name == name {
				f.Layers[i].Bits = 16
			}
		}
	}
	if err := f.Save(out); err != nil {
		return err
	}
	if gfpq != "" {
		var b bytes.Buffer
		if err := f.WriteGFPQParams(&b); err != nil {
			return err
		}
		if err := os.WriteFile(gfpq, b.Bytes(), 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintf(env.Stdout, "wrote %s: %d NNIE layers from %d images (%d-bit, %d in 16-bit)\n", out, len(f.Layers), len(files), bits, len(high))
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
	if err := checkOutputs(fs, "o"); err != nil {
		return err
	}
	b, err := loadATC("calib splice", *base)
	if err != nil {
		return err
	}
	f, err := loadATC("calib splice", *from)
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
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		fmt.Fprintf(fs.Output(), "nniescope calib diff: want two calibration files, have %d argument(s) %s\n", fs.NArg(), helpHint(fs))
		return errUsage
	}
	a, err := loadATC("calib diff", fs.Arg(0))
	if err != nil {
		return err
	}
	b, err := loadATC("calib diff", fs.Arg(1))
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
