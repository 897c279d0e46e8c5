package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strconv"

	"github.com/nniescope/nniescope/shared/detect"
	"github.com/nniescope/nniescope/shared/engine"
	"github.com/nniescope/nniescope/shared/names"
	"github.com/nniescope/nniescope/shared/preprocess"
	"github.com/nniescope/nniescope/shared/yolo"
)

// runOutput is the --json shape of `nniescope run` (docs/CLI.md).
type runOutput struct {
	Detections []namedDetection `json:"detections"`
}

// namedDetection is a detection with its class name (when the model or
// --names has names).
type namedDetection struct {
	yolo.Detection
	Name string `json:"name,omitempty"`
}

func runRun(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "run", "run --model M --image I [--json] [--score 0.25] [--iou 0.7]")
	model := fs.String("model", "", "YOLO ONNX model: YOLOv8/YOLO11 (output0 or six raw heads) or YOLOv5 (anchor-major output0)")
	imagePath := fs.String("image", "", "JPEG or PNG image")
	asJSON := fs.Bool("json", false, `print {"detections":[{"class_id","score","box":[x1,y1,x2,y2],"name"}]} ("name" when the model or --names has names)`)
	params := yoloFlags(fs)
	threads := fs.Int("threads", 0, "engine threads (0: all cores)")
	loader := addModelFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := require(fs, "model", "image"); err != nil {
		return err
	}
	m, err := loader.load(env, *model)
	if err != nil {
		return err
	}
	p, err := engine.Compile(m, engine.Options{Threads: *threads})
	if err != nil {
		return err
	}
	det, err := detect.New(p)
	if err != nil {
		return err
	}
	defer det.Close()
	classNames, err := modelNames(p)
	if err != nil {
		return err
	}
	img, err := preprocess.Open(*imagePath)
	if err != nil {
		return err
	}
	res, err := det.Image(ctx, img, params(), nil)
	if err != nil {
		return err
	}
	if *asJSON {
		out := runOutput{Detections: []namedDetection{}}
		for _, d := range res.Detections {
			nd := namedDetection{Detection: d}
			if classNames != nil {
				nd.Name = names.Label(classNames, d.ClassID)
			}
			out.Detections = append(out.Detections, nd)
		}
		enc := json.NewEncoder(env.Stdout)
		return enc.Encode(out)
	}
	fmt.Fprintf(env.Stdout, "%d detections (image %dx%d)\n", len(res.Detections), res.Geometry.SrcW, res.Geometry.SrcH)
	for _, d := range res.Detections {
		name := fmt.Sprint(d.ClassID)
		if classNames != nil {
			name = fmt.Sprintf("%d %s", d.ClassID, names.Label(classNames, d.ClassID))
		}
		fmt.Fprintf(env.Stdout, "%-16s %.3f  [%.1f %.1f %.1f %.1f]\n", name, d.Score, d.Box[0], d.Box[1], d.Box[2], d.Box[3])
	}
	return nil
}

// modelNames are the class names of the program's model (its metadata,
// or --names), checked against its class count; nil when it has none.
func modelNames(p *engine.Program) ([]string, error) {
	n, err := names.FromMetadata(p.Model().Metadata)
	if err != nil || n == nil {
		return nil, err
	}
	classes, err := detect.Classes(p)
	if err != nil {
		return nil, err
	}
	if err := names.Check(n, classes); err != nil {
		return nil, fmt.Errorf("%s: %w", p.Model().Source, err)
	}
	return n, nil
}

// yoloFlags registers the post-process thresholds shared by commands; the
// returned func reads them after parsing.
func yoloFlags(fs *flag.FlagSet) func() yolo.Params {
	def := yolo.DefaultParams()
	p := def
	fs.Var((*float32Flag)(&p.ScoreThreshold), "score", "score threshold")
	fs.Var((*float32Flag)(&p.NMSThreshold), "iou", "class-aware NMS IoU threshold")
	fs.Var((*float32Flag)(&p.MinWidth), "min-width", "drop boxes narrower than this (model-input pixels)")
	fs.Var((*float32Flag)(&p.MinHeight), "min-height", "drop boxes lower than this (model-input pixels)")
	fs.IntVar(&p.MaxDetections, "max-det", def.MaxDetections, "keep at most this many boxes (0: all)")
	return func() yolo.Params { return p }
}

// float32Flag is a float32 flag that prints its default as written
// (0.7, not the float64 widening 0.699999988079071).
type float32Flag float32

func (f *float32Flag) String() string { return strconv.FormatFloat(float64(*f), 'g', -1, 32) }

func (f *float32Flag) Set(s string) error {
	v, err := strconv.ParseFloat(s, 32)
	if err != nil {
		return fmt.Errorf("want a number, have %q", s)
	}
	*f = float32Flag(v)
	return nil
}
