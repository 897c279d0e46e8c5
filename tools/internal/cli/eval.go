package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nniescope/nniescope/shared/calib"
	"github.com/nniescope/nniescope/shared/dataset"
	"github.com/nniescope/nniescope/shared/detect"
	"github.com/nniescope/nniescope/shared/engine"
	"github.com/nniescope/nniescope/shared/eval"
	"github.com/nniescope/nniescope/shared/metrics/coco"
	"github.com/nniescope/nniescope/shared/metrics/confusion"
	"github.com/nniescope/nniescope/shared/names"
	"github.com/nniescope/nniescope/shared/onnx"
	"github.com/nniescope/nniescope/shared/quant"
	"github.com/nniescope/nniescope/shared/yolo"
	"github.com/nniescope/nniescope/webui"
)

// evalVariant is one row of `nniescope eval --json` (docs/CLI.md).
type evalVariant struct {
	Name       string   `json:"name"`
	Calib      string   `json:"calib,omitempty"`
	AP         float64  `json:"ap"`
	AP50       float64  `json:"ap50"`
	AP75       float64  `json:"ap75"`
	BoxShiftPx *float64 `json:"box_shift_px"` // vs float; null without a float variant
	Matched    *float64 `json:"matched"`      // share of confident float boxes found again
	Points     int      `json:"quant_points"`
	Coverage   string   `json:"coverage,omitempty"` // records used of a full file's, conv/matmul layers covered
	Seconds    float64  `json:"seconds"`
	// What Ultralytics' val shows besides the summary (docs/CLI.md):
	// AP per class, the precision-recall curve at IoU .50 (precision at
	// recall 0, 0.01, ..., 1; -1 where undefined), the confusion matrix
	// ([predicted][true], index nc = background).
	Classes   []classRow `json:"classes"`
	PR50      []float64  `json:"pr50"`
	Confusion [][]int    `json:"confusion"`
}

// classRow is one class's AP in a variant; AP -1 when the set has no
// ground truth of the class.
type classRow struct {
	Class     int     `json:"class_id"`
	Name      string  `json:"name,omitempty"`
	Instances int     `json:"instances"`
	AP        float64 `json:"ap"`
	AP50      float64 `json:"ap50"`
}

// evalSettings are the thresholds the numbers were computed with.
type evalSettings struct {
	Conf          float32 `json:"conf"`
	IoU           float32 `json:"iou"`
	MaxDet        int     `json:"max_det"`
	ConfusionConf float64 `json:"confusion_conf"`
	ConfusionIoU  float64 `json:"confusion_iou"`
}

type evalOutput struct {
	Model     string        `json:"model"`
	Data      string        `json:"data"`
	Images    int           `json:"images"`
	Placement string        `json:"placement"`
	Names     []string      `json:"names,omitempty"`
	Settings  evalSettings  `json:"settings"`
	Variants  []evalVariant `json:"variants"`
}

// variantSpec parses "float", "NAME=FILE" or "FILE".
func variantSpec(s string) (name, file string) {
	if s == "float" {
		return "float", ""
	}
	if i := strings.Index(s, "="); i > 0 {
		return s[:i], s[i+1:]
	}
	return strings.TrimSuffix(filepath.Base(s), filepath.Ext(s)), s
}

func runEval(ctx context.Context, env Env, args []string) error {
	if len(args) > 0 && args[0] == "merge" {
		return runEvalMerge(ctx, env, args[1:])
	}
	fs := newFlagSet(env, "eval", "eval --model M --data DIR --variant float --variant int8.txt [--variant NAME=FILE...] [--json out.json] [--md]\n       nniescope eval ... --shard K/N --shard-out FILE   (then: nniescope eval merge --model M --data DIR FILE...)")
	model := fs.String("model", "", "float YOLO ONNX model (YOLOv8, YOLO11, YOLOv5)")
	data := fs.String("data", "", "dataset: DIR/images + DIR/labels (YOLO txt)")
	var variants stringList
	fs.Var(&variants, "variant", `"float", a calibration file, or NAME=FILE (repeatable)`)
	jsonOut := fs.String("json", "", "write the table as JSON to this file (- for stdout)")
	md := fs.Bool("md", false, "print the table as Markdown, with AP per class")
	htmlOut := fs.String("html", "", "also write a self-contained HTML report (the page's plots: AP per class, precision-recall curves, confusion matrices) to this file")
	placement := fs.String("placement", string(quant.DefaultPlacement), "where the chip quantizes: literal, cube-const, fused, fused-sym (docs/QUANT.md)")
	chip := fs.String("chip", "", "svp or nnie: check that every calibration variant is for this generation (default: each file simulated as its content says)")
	threads := fs.Int("threads", 0, "engine threads (0: all cores)")
	loader := addModelFlags(fs)
	resultsDir := fs.String("results", "", "also write each variant's detections as COCO results JSON (DIR/NAME.json)")
	records := addRecordFlags(fs)
	shard := fs.String("shard", "", "evaluate only shard K of N (K from 0: a contiguous block of the sorted images) and write its per-image detections to --shard-out; nothing is scored until eval merge")
	shardOut := fs.String("shard-out", "", "with --shard: the shard file to write")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := require(fs, "model", "data", "variant"); err != nil {
		return err
	}
	inputs := map[string]string{}
	for _, v := range variants {
		name, file := variantSpec(v)
		if file != "" {
			inputs[file] = "--variant " + v
		}
		// --results names a file after each variant: checked now, not
		// after the variants before it have run.
		if *resultsDir != "" {
			if err := resultsName(name); err != nil {
				return err
			}
		}
	}
	if err := checkOutputsAgainst(fs, []string{"json", "html", "shard-out"}, inputs); err != nil {
		return err
	}
	pl, err := quant.ParsePlacement(*placement)
	if err != nil {
		return err
	}
	for _, v := range variants {
		if _, file := variantSpec(v); file != "" {
			if err := checkChip(*chip, "--variant", file); err != nil {
				return err
			}
		}
	}
	var k, n int
	if *shard != "" {
		if k, n, err = parseShard(*shard); err != nil {
			return err
		}
		if *shardOut == "" {
			return errors.New("--shard needs --shard-out FILE")
		}
		if *jsonOut != "" || *md || *resultsDir != "" {
			return errors.New("--json, --md and --results are eval merge's when sharding: a shard scores nothing")
		}
	} else if *shardOut != "" {
		return errors.New("--shard-out needs --shard K/N")
	}
	m, err := loader.load(env, *model)
	if err != nil {
		return err
	}
	if *shard != "" {
		return evalShard(ctx, env, m, *model, *data, variants, pl, *threads, records, k, n, *shardOut)
	}
	res, err := evaluate(ctx, env, m, *model, *data, variants, pl, *threads, *resultsDir, records)
	if err != nil {
		return err
	}
	return reportEval(env, res, *jsonOut, *htmlOut, *md)
}

// reportEval writes the table as JSON (--json FILE, or - for stdout) and,
// unless that went to stdout, prints it.
func reportEval(env Env, res *evalOutput, jsonOut, htmlOut string, md bool) error {
	if jsonOut != "" {
		if err := writeJSON(env.Stdout, jsonOut, res); err != nil {
			return err
		}
	}
	if htmlOut != "" {
		data, err := json.Marshal(res)
		if err != nil {
			return err
		}
		page, err := webui.EvalReport("nniescope eval: "+filepath.Base(res.Model)+" on "+res.Data, data)
		if err != nil {
			return err
		}
		if err := os.WriteFile(htmlOut, page, 0o644); err != nil {
			return fmt.Errorf("--html: %w", err)
		}
	}
	if jsonOut != "-" {
		printEvalTable(env.Stdout, res, md)
	}
	return nil
}

func evaluate(ctx context.Context, env Env, m *onnx.Model, modelPath, data string, variants []string, pl quant.Placement, threads int, resultsDir string, records *recordPolicy) (*evalOutput, error) {
	set, err := loadDataset(m, data)
	if err != nil {
		return nil, err
	}
	res := &evalOutput{Model: modelPath, Data: data, Images: len(set.Images), Placement: string(pl), Settings: settings()}
	if err := res.setNames(m, set); err != nil {
		return nil, err
	}
	sc, err := newScorer(set, resultsDir)
	if err != nil {
		return nil, err
	}
	defer sc.close()
	// Each image's detections are scored as they come and dropped: no
	// run is held (of the first float run, its confident boxes, the box
	// shift's reference).
	for _, v := range variants {
		name, file := variantSpec(v)
		vs, err := sc.begin(name, file)
		if err != nil {
			return nil, err
		}
		row, err := detectVariant(ctx, env, m, set, v, pl, threads, records, vs.add)
		if err != nil {
			vs.abandon()
			return nil, err
		}
		if row, err = vs.finish(row); err != nil {
			return nil, err
		}
		res.add(row)
	}
	return res, nil
}

// setNames takes the class names of the model (its metadata or --names),
// checked against the set's classes.
func (r *evalOutput) setNames(m *onnx.Model, set *dataset.Set) error {
	n, err := names.FromMetadata(m.Metadata)
	if err != nil {
		return err
	}
	if err := names.Check(n, set.Classes()); err != nil {
		return fmt.Errorf("%s: %w", m.Source, err)
	}
	r.Names = n
	return nil
}

// add appends a scored row, naming its classes.
func (r *evalOutput) add(row evalVariant) {
	for i := range row.Classes {
		if r.Names != nil {
			row.Classes[i].Name = names.Label(r.Names, row.Classes[i].Class)
		}
	}
	r.Variants = append(r.Variants, row)
}

// variantRun is one variant's detections over a set, with the fields of
// its row that need no scoring.
type variantRun struct {
	row evalVariant
	run *eval.Run
}

// detectVariant runs one variant ("float", a calibration file, NAME=FILE)
// over the set's images, handing each image's detections to each (valid
// during the call), and returns its row's fields that need no scoring.
func detectVariant(ctx context.Context, env Env, m *onnx.Model, set *dataset.Set, v string, pl quant.Placement, threads int, records *recordPolicy, each func(i int, dets []yolo.Detection) error) (evalVariant, error) {
	name, file := variantSpec(v)
	start := time.Now()
	row := evalVariant{Name: name, Calib: file}
	prog, hooks, err := variantProgram(env, m, &row, pl, threads, records)
	if err != nil {
		return row, err
	}
	det, err := detect.New(prog)
	if err != nil {
		return row, err
	}
	defer det.Close()
	bar := newProgress(env.Stderr, "eval "+name, len(set.Images))
	err = eval.DetectEach(ctx, set, det, eval.Params(), hooks, func(i int, dets []yolo.Detection) error {
		if err := each(i, dets); err != nil {
			return err
		}
		bar.update(i + 1)
		return nil
	})
	if err != nil {
		return row, err
	}
	row.Seconds = time.Since(start).Seconds()
	return row, nil
}

// scorer scores variants over a set: AP, and the boxes against the first
// float variant's; with a results folder it writes the ground truth and
// each variant's COCO results there.
type scorer struct {
	set        *dataset.Set
	resultsDir string
	ref        *eval.Reference // the first float variant's confident boxes, once scored
	kept       *eval.Reference // the same from its first image on: close removes it
}

// variantScore scores one variant's detections as they come.
type variantScore struct {
	s       *scorer
	sc      *eval.Scorer
	results *coco.ResultsWriter // nil without a results folder
	name    string
	isRef   bool
	rs      []coco.Result
}

// begin starts scoring the variant name (calibration file calib; "" for
// float): the first float variant becomes the box shift's reference.
func (s *scorer) begin(name, calib string) (*variantScore, error) {
	isRef := calib == "" && s.kept == nil
	sc, err := eval.NewScorer(s.set, s.set.Classes(), s.ref)
	if err != nil {
		return nil, err
	}
	if isRef {
		if err := sc.Keep(0.25); err != nil {
			sc.Close()
			return nil, err
		}
		s.kept = sc.Reference()
	}
	v := &variantScore{s: s, sc: sc, name: name, isRef: isRef}
	if s.resultsDir != "" {
		if err := resultsName(name); err != nil {
			v.abandon()
			return nil, err
		}
		if v.results, err = coco.NewResultsWriter(filepath.Join(s.resultsDir, name+".json")); err != nil {
			v.abandon()
			return nil, err
		}
	}
	return v, nil
}

func (v *variantScore) add(i int, dets []yolo.Detection) error {
	if err := v.sc.Add(i, dets); err != nil {
		return err
	}
	if v.results != nil {
		v.rs = eval.AppendResults(v.rs[:0], v.s.set, i, dets)
		return v.results.Write(v.rs...)
	}
	return nil
}

// abandon closes what a failed run left open.
func (v *variantScore) abandon() {
	if v.results != nil {
		v.results.Close()
	}
	v.sc.Close()
}

func newScorer(set *dataset.Set, resultsDir string) (*scorer, error) {
	if resultsDir != "" {
		if err := os.MkdirAll(resultsDir, 0o755); err != nil {
			return nil, err
		}
		if err := writeJSON(nil, filepath.Join(resultsDir, "gt.json"), set.GT); err != nil {
			return nil, err
		}
	}
	return &scorer{set: set, resultsDir: resultsDir}, nil
}

// resultsName checks that a variant's name can name its file in --results
// DIR: one plain file name, and not the ground truth's. A name comes from
// the command line or from a shard file someone sent: "../../x" wrote
// outside DIR.
func resultsName(name string) error {
	ok := name != "" && name != "gt" && name != "." && name != ".." && len(name) <= 128
	for _, r := range name {
		ok = ok && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' || r == '+' || r == '=')
	}
	if !ok {
		return fmt.Errorf("variant name %q cannot name a file in --results: want up to 128 letters, digits and . _ - + = (and not \"gt\", the ground truth's)", name)
	}
	return nil
}

// close removes the reference's temporary file.
func (s *scorer) close() error { return s.kept.Close() }

// settings are eval's thresholds, as the report states them.
func settings() evalSettings {
	p := eval.Params()
	return evalSettings{Conf: p.ScoreThreshold, IoU: p.NMSThreshold, MaxDet: p.MaxDetections, ConfusionConf: confusion.Conf, ConfusionIoU: confusion.IoU}
}

// score scores a whole run (eval merge's, from shard files).
func (s *scorer) score(vr variantRun) (evalVariant, error) {
	v, err := s.begin(vr.row.Name, vr.row.Calib)
	if err != nil {
		return vr.row, err
	}
	for i, dets := range vr.run.Detections {
		if err := v.add(i, dets); err != nil {
			v.abandon()
			return vr.row, err
		}
	}
	return v.finish(vr.row)
}

// finish fills the row's scores.
func (v *variantScore) finish(row evalVariant) (evalVariant, error) {
	s := v.s
	if v.results != nil {
		if err := v.results.Close(); err != nil {
			v.results = nil
			v.abandon()
			return row, err
		}
	}
	d, err := v.sc.Detail()
	if cerr := v.sc.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return row, err
	}
	row.AP, row.AP50, row.AP75, row.PR50 = d.Stats[0], d.Stats[1], d.Stats[2], d.PR50
	nc := s.set.Classes()
	classOf := eval.Classes(s.set, nc)
	instances := map[int64]int{}
	for _, a := range s.set.GT.Annotations {
		if a.IsCrowd == 0 {
			instances[a.CategoryID]++
		}
	}
	for k, cat := range d.Categories {
		if c := classOf[cat]; c >= 0 {
			row.Classes = append(row.Classes, classRow{Class: c, Instances: instances[cat], AP: d.ClassAP[k], AP50: d.ClassAP50[k]})
		}
	}
	row.Confusion = v.sc.Confusion().Counts
	if v.isRef {
		s.ref = s.kept
	}
	if shift, matched, ok := v.sc.Shift(); ok {
		row.BoxShiftPx, row.Matched = &shift, &matched
	}
	return row, nil
}

// variantProgram is what runs a variant: the float program, or the
// simulation its calibration file describes (ATC's calibration_param.txt
// for SVP ACL, or an NNIE calibration); it fills the row's points and
// coverage.
func variantProgram(env Env, m *onnx.Model, row *evalVariant, pl quant.Placement, threads int, records *recordPolicy) (*engine.Program, *engine.Hooks, error) {
	if row.Calib == "" {
		prog, err := engine.Compile(m, engine.Options{Threads: threads})
		return prog, nil, err
	}
	c, err := openCalibration(row.Calib)
	if err != nil {
		return nil, nil, err
	}
	sim, err := records.simulate(env, "eval", m, c, quant.Options{Placement: pl, Threads: threads})
	if err != nil {
		return nil, nil, fmt.Errorf("variant %s: %w", row.Name, err)
	}
	sum := sim.Summary()
	row.Points, row.Coverage = sum.Points, sum.Coverage
	return sim.Program(), sim.Hooks(), nil
}

// checkChip says whether a calibration file is for the generation --chip
// names ("" accepts either).
func checkChip(chip, flag, file string) error {
	if chip == "" {
		return nil
	}
	if chip != "svp" && chip != "nnie" {
		return fmt.Errorf("--chip %q: want svp or nnie", chip)
	}
	isNNIE, err := quant.IsNNIEFile(file)
	if err != nil {
		return err
	}
	if got := map[bool]string{true: "nnie", false: "svp"}[isNNIE]; got != chip {
		return fmt.Errorf("--chip %s, but %s %s is a calibration for %s", chip, flag, file, got)
	}
	return nil
}

// openCalibration reads a calibration file of either generation: an NNIE
// calibration (JSON, from calib --chip nnie) or ATC's calibration_param.txt.
func openCalibration(file string) (*quant.Calibration, error) { return quant.Open(file) }

// loadATC reads ATC's calibration_param.txt for a command that takes only
// those (splice, diff), saying so when given an NNIE calibration.
func loadATC(command, file string) (*calib.File, error) {
	c, err := openCalibration(file)
	if err != nil {
		return nil, err
	}
	if c.NNIE != nil {
		return nil, fmt.Errorf("%s is an NNIE calibration (calib --chip nnie): %s takes ATC's calibration_param.txt; NNIE files work with eval (docs/NNIE.md)", file, command)
	}
	return c.SVP, nil
}

func writeJSON(stdout io.Writer, path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if path == "-" {
		_, err = stdout.Write(b)
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// printClassTable writes AP50-95 per class and variant as Markdown (the
// classes with ground truth; conf, IoU and max detections stated).
func printClassTable(w io.Writer, r *evalOutput) {
	if len(r.Variants) == 0 || len(r.Variants[0].Classes) == 0 {
		return
	}
	fmt.Fprintf(w, "\nAP50-95 per class (conf %g, NMS IoU %g, max %d detections):\n\n| class | instances |", r.Settings.Conf, r.Settings.IoU, r.Settings.MaxDet)
	for _, v := range r.Variants {
		fmt.Fprintf(w, " %s |", v.Name)
	}
	fmt.Fprintf(w, "\n|---|---|%s\n", strings.Repeat("---|", len(r.Variants)))
	for i, c := range r.Variants[0].Classes {
		if c.AP < 0 {
			continue
		}
		fmt.Fprintf(w, "| %s | %d |", names.Label(r.Names, c.Class), c.Instances)
		for _, v := range r.Variants {
			fmt.Fprintf(w, " %.3f |", v.Classes[i].AP)
		}
		fmt.Fprintln(w)
	}
}

func printEvalTable(w io.Writer, r *evalOutput, md bool) {
	f := func(p *float64, format string) string {
		if p == nil {
			return "-"
		}
		return fmt.Sprintf(format, *p)
	}
	cov := func(v evalVariant) string {
		if v.Coverage == "" {
			return "-"
		}
		return v.Coverage
	}
	if md {
		fmt.Fprintf(w, "| variant | AP | AP50 | AP75 | box shift vs float (px) | float boxes kept | calibration records |\n|---|---|---|---|---|---|---|\n")
		for _, v := range r.Variants {
			fmt.Fprintf(w, "| %s | %.3f | %.3f | %.3f | %s | %s | %s |\n", v.Name, v.AP, v.AP50, v.AP75, f(v.BoxShiftPx, "%.2f"), f(v.Matched, "%.2f"), cov(v))
		}
		printClassTable(w, r)
		return
	}
	fmt.Fprintf(w, "%s on %s (%d images), placement %s\n", r.Model, r.Data, r.Images, r.Placement)
	width := 12 // the name column fits the longest name
	for _, v := range r.Variants {
		width = max(width, len(v.Name))
	}
	fmt.Fprintf(w, "%-*s %7s %7s %7s %10s %8s %7s  %s\n", width, "variant", "AP", "AP50", "AP75", "shift px", "kept", "sec", "calibration records")
	for _, v := range r.Variants {
		fmt.Fprintf(w, "%-*s %7.3f %7.3f %7.3f %10s %8s %7.1f  %s\n", width, v.Name, v.AP, v.AP50, v.AP75, f(v.BoxShiftPx, "%.2f"), f(v.Matched, "%.2f"), v.Seconds, cov(v))
	}
}
