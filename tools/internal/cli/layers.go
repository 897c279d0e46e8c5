package cli

import (
	"context"
	"fmt"

	"github.com/nniescope/nniescope/shared/dataset"
	"github.com/nniescope/nniescope/shared/quant"
)

func runLayers(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "layers", "layers --model M --calib C --images DIR [--json out.json] [--max-images 8] [--top 20]")
	model := fs.String("model", "", "float YOLO ONNX model (YOLOv8, YOLO11, YOLOv5)")
	calibPath := fs.String("calib", "", "calibration_param.txt to simulate")
	images := fs.String("images", "", "images to measure on (DIR/images or DIR)")
	jsonOut := fs.String("json", "", "write every layer as JSON to this file (- for stdout)")
	maxImages := fs.Int("max-images", 8, "use at most this many images (0: all)")
	top := fs.Int("top", 20, "rows to print")
	placement := fs.String("placement", string(quant.DefaultPlacement), "where the chip quantizes (docs/QUANT.md)")
	threads := fs.Int("threads", 0, "engine threads (0: all cores)")
	loader := addModelFlags(fs)
	records := addRecordFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := require(fs, "model", "calib", "images"); err != nil {
		return err
	}
	pl, err := quant.ParsePlacement(*placement)
	if err != nil {
		return err
	}
	m, err := loader.load(env, *model)
	if err != nil {
		return err
	}
	f, err := loadATC("layers", *calibPath)
	if err != nil {
		return err
	}
	files, err := dataset.ImageFiles(*images)
	if err != nil {
		return err
	}
	if *maxImages > 0 && len(files) > *maxImages {
		files = files[:*maxImages]
	}
	sim, rep, err := records.simulate(env, "layers", m, f, quant.Options{Placement: pl, Threads: *threads})
	if err != nil {
		return err
	}
	bar := newProgress(env.Stderr, "layers", len(files))
	res, err := quant.AnalyseLayers(ctx, m, sim, files, *threads, bar.update)
	if err != nil {
		return err
	}
	res.Placement = string(pl)
	res.Coverage = rep.Coverage()
	if *jsonOut != "" {
		if err := writeJSON(env.Stdout, *jsonOut, res); err != nil {
			return err
		}
		if *jsonOut == "-" {
			return nil
		}
	}
	fmt.Fprintf(env.Stdout, "%d layers over %d images, placement %s, calibration %s: %s; worst isolated SQNR first\n", len(res.Layers), res.Images, pl, *calibPath, res.Coverage)
	fmt.Fprintf(env.Stdout, "%-44s %-8s %-8s %9s %9s %9s %10s\n", "layer", "op", "branch", "iso cos", "iso dB", "cum dB", "cum maxabs")
	for i, l := range res.Layers {
		if i == *top {
			break
		}
		fmt.Fprintf(env.Stdout, "%-44s %-8s %-8s %9.5f %9.1f %9.1f %10.3g\n", l.Name, l.Op, l.Branch, l.Isolated.Cosine, l.Isolated.SQNRdB, l.Cumulative.SQNRdB, l.Cumulative.MaxAbs)
	}
	for _, k := range []string{"box", "cls"} {
		if h, ok := res.Head[k]; ok {
			fmt.Fprintf(env.Stdout, "head %s output (cumulative): cosine %.5f, SQNR %.1f dB, max abs %.3g\n", k, h.Cosine, h.SQNRdB, h.MaxAbs)
		}
	}
	return nil
}
