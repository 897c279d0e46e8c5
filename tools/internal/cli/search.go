package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/nniescope/nniescope/shared/engine"
	"github.com/nniescope/nniescope/shared/mixed"
	"github.com/nniescope/nniescope/shared/onnx"
	"github.com/nniescope/nniescope/shared/quant"
)

func runSearch(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "search", "search --model M --calib8 int8.txt --calib16 int16.txt --data DIR --max-drop 1.0 [--budget-ms X] [--vs float] -o mixed.txt --json out.json")
	model := fs.String("model", "", "float YOLO ONNX model (YOLOv8, YOLO11, YOLOv5)")
	c8 := fs.String("calib8", "", "8-bit calibration: ATC's calibration_param.txt, or an NNIE calibration (calib --chip nnie)")
	c16 := fs.String("calib16", "", "16-bit calibration_param.txt (SVP ACL); for NNIE optional: the 8-bit file's clips read at 16-bit by default")
	chipFlag := fs.String("chip", "", "svp or nnie: which generation the calibration files are for (default: told from --calib8's content)")
	prototxt := fs.String("prototxt", "", "NNIE: the Caffe prototxt of the ONNX→Caffe conversion, to print the chosen layers under the Caffe names nnie_mapper sees")
	data := fs.String("data", "", "dataset: DIR/images + DIR/labels")
	maxDrop := fs.Float64("max-drop", 1.0, "allowed AP@[.5:.95] drop below the reference, in AP points")
	budget := fs.Float64("budget-ms", 0, "estimated board-time budget in ms (0: none)")
	vs := fs.String("vs", "int16", "reference: int16 (the all-16-bit model) or float")
	out := fs.String("o", "", "write the spliced calibration file here")
	jsonOut := fs.String("json", "", "write the result as JSON (- for stdout)")
	placement := fs.String("placement", string(quant.DefaultPlacement), "where the chip quantizes (docs/QUANT.md)")
	proxy := fs.Int("proxy-images", 4, "images for the sensitivity proxy")
	threads := fs.Int("threads", 0, "engine threads (0: all cores)")
	atcPerf := fs.String("atc-perf", "", "ATC's atc_perf.csv from compiling this model: board times from its per-layer DDR traffic, weights and ops instead of the rule-based model")
	loader := addModelFlags(fs)
	records := addRecordFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := require(fs, "model", "calib8", "data", "o"); err != nil {
		return err
	}
	if err := checkOutputs(fs, "o", "json"); err != nil {
		return err
	}
	if *vs != "int16" && *vs != "float" {
		return fmt.Errorf("--vs %q: want int16 or float", *vs)
	}
	pl, err := quant.ParsePlacement(*placement)
	if err != nil {
		return err
	}
	m, err := loader.load(env, *model)
	if err != nil {
		return err
	}
	cal8, err := openCalibration(*c8)
	if err != nil {
		return err
	}
	switch want := string(cal8.Chip()); {
	case *chipFlag != "" && *chipFlag != "svp" && *chipFlag != "nnie":
		return fmt.Errorf("--chip %q: want svp or nnie", *chipFlag)
	case *chipFlag != "" && *chipFlag != want:
		return fmt.Errorf("--chip %s, but --calib8 %s is a calibration for %s", *chipFlag, *c8, want)
	}
	var cal16 *quant.Calibration
	if *c16 != "" {
		if cal16, err = openCalibration(*c16); err != nil {
			return err
		}
		if cal16.Chip() != cal8.Chip() && cal8.Chip() == quant.NNIE {
			return fmt.Errorf("--calib16 %s: --calib8 is an NNIE calibration; give an NNIE 16-bit one (calib --chip nnie --bits 16) or none", *c16)
		}
		if cal16.Chip() != cal8.Chip() {
			return fmt.Errorf("%s is an NNIE calibration (calib --chip nnie): search takes ATC's calibration_param.txt; NNIE files work with eval (docs/NNIE.md)", *c16)
		}
	} else if cal8.Chip() == quant.SVP {
		if err := require(fs, "calib16"); err != nil { // ATC's: the records the search splices in
			return err
		}
	}
	if err := checkRole("--calib8", cal8, 8, "--calib16"); err != nil {
		return err
	}
	if cal16 != nil {
		if err := checkRole("--calib16", cal16, 16, "--calib8"); err != nil {
			return err
		}
	}
	chip, err := mixed.NewChip(m, cal8, cal16, quant.Options{Placement: pl, Threads: *threads, AllowMissing: records.allow})
	if err != nil {
		return records.explain(err)
	}
	for _, w := range chip.Warnings() {
		fmt.Fprintf(env.Stderr, "nniescope search: %s\n", w)
	}
	coverage := chip.Coverage()
	n8 := cal8.NNIE
	if *prototxt != "" && n8 == nil {
		return fmt.Errorf("--prototxt is for NNIE calibrations (the Caffe names nnie_mapper sees); %s is ATC's", *c8)
	}
	set, err := loadDataset(m, *data)
	if err != nil {
		return err
	}
	costs, source, unmatched, err := searchCosts(m, *atcPerf, env.Stderr, "search")
	if err != nil {
		return err
	}
	res, err := mixed.SearchChip(ctx, m, chip, set, mixed.Options{
		MaxDrop: *maxDrop, VsFloat: *vs == "float", BudgetMS: *budget, Placement: pl, ProxyImages: *proxy, Threads: *threads, AllowMissing: records.allow, Costs: costs,
	}, phaseBars(env))
	if err != nil {
		return err
	}
	res.Coverage8, res.Coverage16 = coverage[0], coverage[1]
	res.CostSource, res.PerfUnmatched = source, unmatched
	if n8 != nil {
		res.CostSource = "NNIE model (docs/NNIE.md: assumed rates, checked against one published time)"
		if *atcPerf != "" {
			return fmt.Errorf("--atc-perf is ATC's (SVP ACL) per-layer profile; NNIE has none: drop it")
		}
	}
	if *prototxt != "" {
		if res.Caffe, res.CaffeUnmapped, err = caffeNames(*prototxt, m, res.Layers); err != nil {
			return err
		}
	}
	if err := chip.Save(res.Layers, *out); err != nil {
		return err
	}
	if *jsonOut != "" {
		if err := writeJSON(env.Stdout, *jsonOut, res); err != nil {
			return err
		}
		if *jsonOut == "-" {
			return nil
		}
	}
	w := env.Stdout
	fmt.Fprintf(w, "reference %s AP %.4f, target %.4f (max drop %.2f AP points), placement %s\n", res.Reference, res.ReferenceAP, res.TargetAP, *maxDrop, pl)
	fmt.Fprintf(w, "calibration records: %s %s, %s %s\n", *c8, res.Coverage8, *c16, res.Coverage16)
	fmt.Fprintf(w, "board time: %s\n", res.CostSource)
	if n := len(res.PerfUnmatched); n > 0 {
		names := strings.Join(res.PerfUnmatched[:min(n, 5)], ", ")
		if n > 5 {
			names += ", …"
		}
		fmt.Fprintf(w, "  atc_perf.csv records that name no node of the model (%d): %s\n", n, names)
	}
	if len(res.Sensitivity) == 0 {
		fmt.Fprintf(w, "all 8-bit already reaches the target: no layer needs 16-bit (the sensitivity proxy was not run)\n")
	} else {
		fmt.Fprintf(w, "top of the sensitivity proxy (each layer alone in 8-bit):\n")
	}
	for i, s := range res.Sensitivity {
		if i == 5 {
			break
		}
		fmt.Fprintf(w, "  %d. %-44s damage %.4f\n", i+1, s.Layer, s.Damage)
	}
	fmt.Fprintf(w, "evaluations (layers in 16-bit -> AP, estimated board ms):\n")
	for _, e := range res.Evaluations {
		name := strings.Join(e.Layers, " + ")
		if name == "" {
			name = "(all 8-bit)"
		}
		fmt.Fprintf(w, "  %-60s AP %.4f  %.2f ms\n", name, e.AP, e.LatencyMS)
	}
	if *prototxt != "" {
		fmt.Fprintf(w, "as Caffe layers (%s), to mark high precision for nnie_mapper (compile_mode 2): %s\n", *prototxt, strings.Join(res.Caffe, ", "))
		for _, u := range res.CaffeUnmapped {
			fmt.Fprintf(w, "  %q: no Caffe layer of that name or producing its output: mark it by hand\n", u)
		}
	}
	if res.Reached {
		fmt.Fprintf(w, "reached: %s in 16-bit, AP %.4f ≥ %.4f at %.2f ms; wrote %s\n", strings.Join(res.Layers, ", "), res.AP, res.TargetAP, res.LatencyMS, *out)
	} else {
		fmt.Fprintf(w, "NOT reached: the best set found, %s, gives AP %.4f < target %.4f (%.2f ms); wrote it to %s\n", strings.Join(res.Layers, ", "), res.AP, res.TargetAP, res.LatencyMS, *out)
	}
	return nil
}

// searchCosts is the board-time source: the records of an atc_perf.csv
// mapped onto the model, or (no file) the rule-based model.
// searchCosts reads --atc-perf for cmd; a profile that matches under 90%
// of its records to the model is used, and said on warn (it passed
// silently, visible only in the JSON).
func searchCosts(m *onnx.Model, perfFile string, warn io.Writer, cmd string) (costs []mixed.LayerCost, source string, unmatched []string, err error) {
	if perfFile == "" {
		return nil, "the rule-based model by op type (docs/QUANT.md; --atc-perf uses ATC's per-layer figures)", nil, nil
	}
	f, err := os.Open(perfFile)
	if err != nil {
		return nil, "", nil, err
	}
	defer f.Close()
	recs, err := mixed.ReadPerf(f)
	if err != nil {
		return nil, "", nil, fmt.Errorf("%s: %w", perfFile, err)
	}
	p, err := engine.Analyze(m, engine.Options{Threads: 1})
	if err != nil {
		return nil, "", nil, err
	}
	pc := mixed.CostsFromPerf(p, recs)
	if pc.Matched == 0 {
		return nil, "", nil, fmt.Errorf("--atc-perf %s: none of its %d records names a node of the model (a file from another model?)", perfFile, len(recs))
	}
	for _, r := range pc.Unmatched {
		unmatched = append(unmatched, r.Name)
	}
	if total := pc.Matched + len(unmatched); warn != nil && pc.Matched*10 < total*9 {
		fmt.Fprintf(warn, "nniescope %s: --atc-perf %s: only %d of its %d layer records name a node of this model (a profile of another model or export?): the board times it gives are partial\n", cmd, perfFile, pc.Matched, total)
	}
	return pc.Costs, pc.Source(perfFile), unmatched, nil
}

// checkRole refuses a calibration file whose records are of the other
// precision than its flag says (a mixed file passes: a spliced 8-bit file
// is a fine start): the search would otherwise run with the roles
// swapped and report the 8-bit file's AP as the 16-bit reference.
func checkRole(flag string, c *quant.Calibration, want int, other string) error {
	if got := c.Bits(); got != 0 && got != want {
		return fmt.Errorf("%s %s is a %d-bit calibration (its records are %d-bit), not %s %d-bit one: are %s and %s swapped?", flag, c.Path, got, got, map[int]string{8: "an", 16: "a"}[want], want, flag, other)
	}
	return nil
}
