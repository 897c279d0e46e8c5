package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"

	"github.com/nniescope/nniescope/shared/calib"
	"github.com/nniescope/nniescope/shared/engine"
	"github.com/nniescope/nniescope/shared/mixed"
	"github.com/nniescope/nniescope/shared/onnx"

	"github.com/nniescope/nniescope/shared/dataset"
	"github.com/nniescope/nniescope/shared/quant"
)

func runLayers(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "layers", "layers --model M --calib C --images DIR [--calib16 C16] [--json out.json] [--max-images 8] [--top 20]")
	model := fs.String("model", "", "float YOLO ONNX model (YOLOv8, YOLO11, YOLOv5)")
	calibPath := fs.String("calib", "", "calibration_param.txt to simulate")
	atcPerf := fs.String("atc-perf", "", "ATC's atc_perf.csv of this model: --json prices each layer from its per-layer figures instead of the rule-based model")
	calib16 := fs.String("calib16", "", "a 16-bit calibration_param.txt of the same model, whose records --json lists beside --calib's (the page's graph view shows both)")
	images := fs.String("images", "", "images to measure on (DIR/images or DIR)")
	jsonOut := fs.String("json", "", "write every layer as JSON to this file (- for stdout)")
	maxImages := fs.Int("max-images", 8, "use at most this many images (0: all)")
	top := fs.Int("top", 20, "rows to print")
	placement := fs.String("placement", string(quant.DefaultPlacement), "where the chip quantizes (docs/QUANT.md); an NNIE calibration has its own arithmetic")
	chip := fs.String("chip", "", "svp or nnie: check that --calib is for this generation (default: as its content says)")
	threads := fs.Int("threads", 0, "engine threads (0: all cores)")
	rank := fs.String("rank", "damage", "order of the table: damage (the decoded-box damage of each layer alone, the search's proxy: what costs AP) or sqnr (worst isolated SQNR first)")
	proxyImages := fs.Int("proxy-images", 4, "images the damage is measured on (the first of --images)")
	loader := addModelFlags(fs)
	records := addRecordFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := require(fs, "model", "calib", "images"); err != nil {
		return err
	}
	if err := checkOutputs(fs, "json"); err != nil {
		return err
	}
	if *rank != "damage" && *rank != "sqnr" {
		return fmt.Errorf("--rank %q: want damage or sqnr", *rank)
	}
	pl, err := quant.ParsePlacement(*placement)
	if err != nil {
		return err
	}
	m, err := loader.load(env, *model)
	if err != nil {
		return err
	}
	if err := checkChip(*chip, "--calib", *calibPath); err != nil {
		return err
	}
	cal, err := openCalibration(*calibPath)
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
	sim, err := records.simulate(env, "layers", m, cal, quant.Options{Placement: pl, Threads: *threads})
	if err != nil {
		return err
	}
	bar := newProgress(env.Stderr, "layers", len(files))
	res, err := quant.AnalyseLayers(ctx, m, sim, files, *threads, bar.update)
	if err != nil {
		return err
	}
	sum := sim.Summary()
	res.Placement, res.Coverage, res.Ranking = sum.Placement, sum.Coverage, "sqnr"
	proxyFiles := files[:min(len(files), max(*proxyImages, 1))]
	if *rank == "damage" {
		if err := rankByDamage(ctx, env, m, sim, res, proxyFiles, *threads); err != nil {
			return err
		}
	}
	if *jsonOut != "" {
		out := layersOutput{LayersResult: res, Model: *model, Graph: graphOf(m), Records: map[string]map[string]recordJSON{"calib": recordsOfEither(cal)}}
		if out.Board, out.CostSource, err = boardTimes(m, *atcPerf, cal.Chip() == quant.NNIE, env.Stderr); err != nil {
			return err
		}
		if *calib16 != "" {
			c16, err := openCalibration(*calib16)
			if err != nil {
				return err
			}
			out.Records["calib16"] = recordsOfEither(c16)
		}
		if err := writeJSON(env.Stdout, *jsonOut, out); err != nil {
			return err
		}
		if *jsonOut == "-" {
			return nil
		}
	}
	order := "worst isolated SQNR first"
	if res.Ranking == "damage" {
		order = fmt.Sprintf("most decoded-box damage first (each layer alone, over %d images: the search's proxy)", len(proxyFiles))
	}
	fmt.Fprintf(env.Stdout, "%d layers over %d images, placement %s, calibration %s: %s; %s\n", len(res.Layers), res.Images, res.Placement, *calibPath, res.Coverage, order)
	fmt.Fprintf(env.Stdout, "%-44s %-8s %-8s %9s %9s %9s %9s %10s\n", "layer", "op", "branch", "damage", "iso cos", "iso dB", "cum dB", "cum maxabs")
	for i, l := range res.Layers {
		if i == *top {
			break
		}
		dmg := "–"
		if l.Damage != nil {
			dmg = fmt.Sprintf("%.4f", *l.Damage)
		}
		fmt.Fprintf(env.Stdout, "%-44s %-8s %-8s %9s %9.5f %9.1f %9.1f %10.3g\n", l.Name, l.Op, l.Branch, dmg, l.Isolated.Cosine, l.Isolated.SQNRdB, l.Cumulative.SQNRdB, l.Cumulative.MaxAbs)
	}
	if res.Ranking == "damage" {
		fmt.Fprintln(env.Stdout, "damage: mean (1 − IoU) + |Δscore| of float's confident boxes with this layer alone quantized; `nniescope search` confirms with AP which of the top layers to keep in 16-bit (--rank sqnr: the old order)")
	}
	for _, k := range []string{"box", "cls"} {
		if h, ok := res.Head[k]; ok {
			fmt.Fprintf(env.Stdout, "head %s output (cumulative): cosine %.5f, SQNR %.1f dB, max abs %.3g\n", k, h.Cosine, h.SQNRdB, h.MaxAbs)
		}
	}
	return nil
}

// layersOutput is `layers --json`: the analysis, and what the page's graph
// view draws it on — the graph, and the calibration records by layer.
type layersOutput struct {
	*quant.LayersResult
	Model string      `json:"model"`
	Graph []graphNode `json:"graph"`
	// Records are the calibration files' layer records by name: "calib"
	// (the file simulated) and, with --calib16, "calib16".
	Records map[string]map[string]recordJSON `json:"records"`
	// Board is each layer's estimated board time in 8- and 16-bit, by
	// name, from CostSource (the rule-based model, or --atc-perf).
	Board      map[string]boardTime `json:"board"`
	CostSource string               `json:"cost_source"`
}

type boardTime struct {
	MS8  float64 `json:"ms8"`
	MS16 float64 `json:"ms16"`
}

// boardTimes prices every layer as the search does: ATC's per-layer
// figures with --atc-perf, else the rule-based counts; NNIE's model for
// an NNIE calibration (which has no atc_perf.csv).
func boardTimes(m *onnx.Model, perfFile string, isNNIE bool, warn io.Writer) (map[string]boardTime, string, error) {
	if isNNIE && perfFile != "" {
		return nil, "", fmt.Errorf("--atc-perf is ATC's (SVP ACL) per-layer profile; an NNIE calibration has none: drop it")
	}
	costs, source, _, err := searchCosts(m, perfFile, warn, "layers")
	if err != nil {
		return nil, "", err
	}
	if costs == nil {
		p, err := engine.Analyze(m, engine.Options{Threads: 1}) // shapes and constants: nothing runs
		if err != nil {
			return nil, "", err
		}
		costs = mixed.Costs(p)
	}
	model := mixed.SVP
	if isNNIE {
		model, source = mixed.NNIE, "NNIE model (docs/NNIE.md: assumed rates)"
	}
	out := map[string]boardTime{}
	for _, c := range costs {
		out[c.Name] = boardTime{MS8: model.LayerMS(c, false), MS16: model.LayerMS(c, true)}
	}
	return out, source, nil
}

// graphNode is one node of the model as the analysis ran it: its op and
// the nodes whose outputs it reads (graph inputs and constants left out).
type graphNode struct {
	Name   string   `json:"name"`
	Op     string   `json:"op"`
	Inputs []string `json:"inputs"`
}

func graphOf(m *onnx.Model) []graphNode {
	producer := map[string]string{}
	for _, n := range m.Nodes {
		for _, o := range n.Outputs {
			producer[o] = n.Name
		}
	}
	var out []graphNode
	for _, n := range m.Nodes {
		g := graphNode{Name: n.Name, Op: n.OpType, Inputs: []string{}}
		for _, in := range n.Inputs {
			if p, ok := producer[in]; ok && !slices.Contains(g.Inputs, p) {
				g.Inputs = append(g.Inputs, p)
			}
		}
		out = append(out, g)
	}
	return out
}

// recordJSON is one layer record: its tensors' types, scales and offsets,
// and the step each scale means (1/scale: the value of one code); weights
// by their channel count and step range (a scale per channel).
type recordJSON struct {
	Calc    string       `json:"calc,omitempty"`
	Inputs  []factorJSON `json:"inputs,omitempty"`
	Outputs []factorJSON `json:"outputs,omitempty"`
	Weight  *weightJSON  `json:"weight,omitempty"`
}

type factorJSON struct {
	Type   string    `json:"type"`
	Scale  []float64 `json:"scale"`
	Offset []float64 `json:"offset"`
	Step   []float64 `json:"step"`
}

type weightJSON struct {
	Type     string  `json:"type"`
	Channels int     `json:"channels"`
	MinStep  float64 `json:"min_step"`
	MaxStep  float64 `json:"max_step"`
}

func recordsOf(f *calib.File) map[string]recordJSON {
	out := map[string]recordJSON{}
	factors := func(fs []calib.Factor) []factorJSON {
		var js []factorJSON
		for _, x := range fs {
			j := factorJSON{Type: x.DataType, Scale: x.Scale, Offset: x.Offset}
			for _, s := range x.Scale {
				j.Step = append(j.Step, 1/s)
			}
			js = append(js, j)
		}
		return js
	}
	for _, l := range f.Layers() {
		r := recordJSON{Calc: l.CalcDataType, Inputs: factors(l.Inputs), Outputs: factors(l.Outputs)}
		if w := l.Weight; w != nil && len(w.Scale) > 0 {
			wj := &weightJSON{Type: w.DataType, Channels: len(w.Scale), MinStep: math.Inf(1)}
			for _, s := range w.Scale {
				wj.MinStep, wj.MaxStep = min(wj.MinStep, 1/s), max(wj.MaxStep, 1/s)
			}
			r.Weight = wj
		}
		out[l.Name] = r
	}
	return out
}

// recordsOfEither lists the records of an ATC file or of an NNIE
// calibration (its clips: the largest magnitude of each data input, and
// of the weights, with the precision each layer runs at).
func recordsOfEither(c *quant.Calibration) map[string]recordJSON {
	if c.SVP != nil {
		return recordsOf(c.SVP)
	}
	nf := c.NNIE
	out := map[string]recordJSON{}
	for _, l := range nf.Layers {
		bits := nf.Bits
		if l.Bits != 0 {
			bits = l.Bits
		}
		kind := fmt.Sprintf("NNIE %d-bit logarithmic", bits)
		if bits == 16 {
			kind = fmt.Sprintf("NNIE 16-bit (%s)", nf.Format16)
		}
		r := recordJSON{Calc: kind}
		for _, c := range l.Inputs {
			r.Inputs = append(r.Inputs, factorJSON{Type: "max |x| " + strconv.FormatFloat(c, 'g', 5, 64), Scale: []float64{}, Offset: []float64{}, Step: []float64{}})
		}
		if l.Weight > 0 {
			r.Weight = &weightJSON{Type: "max |w| " + strconv.FormatFloat(l.Weight, 'g', 5, 64), Channels: 1}
		}
		out[l.Name] = r
	}
	return out
}

// rankByDamage measures each layer's decoded-box damage alone (the
// search's proxy) and orders the report by it, the most damaging first;
// layers it cannot measure keep their SQNR order after. A model whose
// output is not one output0 (raw heads) keeps the SQNR order, said on
// stderr.
func rankByDamage(ctx context.Context, env Env, m *onnx.Model, sim quant.Simulator, res *quant.LayersResult, images []string, threads int) error {
	float, err := engine.Compile(m, engine.Options{Threads: threads})
	if err != nil {
		return err
	}
	bar := newProgress(env.Stderr, "box damage", 0)
	sens, err := mixed.Sensitivities(ctx, float, sim.Layers(), sim.OnlyHooks, images, func(done, total int) { bar.total = total; bar.update(done) })
	if errors.Is(err, mixed.ErrNotOutput0) {
		fmt.Fprintf(env.Stderr, "nniescope layers: %v: ranked by isolated SQNR instead\n", err)
		return nil
	}
	if err != nil {
		return err
	}
	at := make(map[string]int, len(sens))
	for i, s := range sens {
		at[s.Layer] = i
	}
	for i := range res.Layers {
		if k, ok := at[res.Layers[i].Name]; ok {
			d := sens[k].Damage
			res.Layers[i].Damage = &d
		}
	}
	sort.SliceStable(res.Layers, func(i, j int) bool {
		a, b := res.Layers[i].Damage, res.Layers[j].Damage
		switch {
		case a != nil && b != nil:
			return *a > *b
		default:
			return a != nil && b == nil
		}
	})
	res.Ranking = "damage"
	return nil
}
