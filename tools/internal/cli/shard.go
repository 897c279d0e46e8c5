package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/nniescope/nniescope/shared/eval"
	"github.com/nniescope/nniescope/shared/onnx"
	"github.com/nniescope/nniescope/shared/quant"
	"github.com/nniescope/nniescope/shared/yolo"
)

// shardFormat names the file `eval --shard K/N` writes (docs/SCALE.md).
const shardFormat = "nniescope-eval-shard"

// shardFile is one shard's per-image detections for every variant: what
// `eval merge` needs to give exactly the unsharded table. Nothing in it is
// scored: AP over part of a dataset is not the dataset's AP.
type shardFile struct {
	Format      string         `json:"format"`
	Version     int            `json:"version"`
	Model       string         `json:"model"`
	ModelSHA256 string         `json:"model_sha256"`
	Data        string         `json:"data"`
	Images      int            `json:"images"` // in the whole dataset
	Placement   string         `json:"placement"`
	Shard       int            `json:"shard"` // 0..Shards-1
	Shards      int            `json:"shards"`
	First       int            `json:"first"` // dataset index of its first image
	ImageIDs    []int64        `json:"image_ids"`
	ImageFiles  []string       `json:"image_files"` // base names
	Variants    []shardVariant `json:"variants"`
}

type shardVariant struct {
	Name        string       `json:"name"`
	Calib       string       `json:"calib,omitempty"`
	CalibSHA256 string       `json:"calib_sha256,omitempty"`
	Points      int          `json:"quant_points"`
	Coverage    string       `json:"coverage,omitempty"`
	Seconds     float64      `json:"seconds"`
	Detections  [][]shardDet `json:"detections"` // per image of the shard
}

// shardDet is a detection; float32 values round-trip exactly through JSON.
type shardDet struct {
	Class int        `json:"c"`
	Score float32    `json:"s"`
	Box   [4]float32 `json:"b"`
}

// parseShard reads --shard K/N (K from 0).
func parseShard(s string) (k, n int, err error) {
	a, b, ok := strings.Cut(s, "/")
	k, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || k < 0 || k >= n {
		return 0, 0, fmt.Errorf("--shard %q: want K/N with 0 ≤ K < N (K counts from 0, as Slurm's and Kubernetes' indices do)", s)
	}
	return k, n, nil
}

// shardRange is the images of shard k of n: a contiguous block of the
// dataset's (sorted, deterministic) order.
func shardRange(images, k, n int) (lo, hi int) { return k * images / n, (k + 1) * images / n }

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// evalShard runs the variants over shard k of n and writes its file.
func evalShard(ctx context.Context, env Env, m *onnx.Model, modelPath, data string, variants []string, pl quant.Placement, threads int, records *recordPolicy, k, n int, out string) error {
	set, err := loadDataset(m, data)
	if err != nil {
		return err
	}
	sum, err := fileSHA256(modelPath)
	if err != nil {
		return err
	}
	lo, hi := shardRange(len(set.Images), k, n)
	part := *set
	part.Images = set.Images[lo:hi]
	sf := shardFile{Format: shardFormat, Version: 1, Model: modelPath, ModelSHA256: sum, Data: data, Images: len(set.Images), Placement: string(pl), Shard: k, Shards: n, First: lo}
	for _, im := range part.Images {
		sf.ImageIDs = append(sf.ImageIDs, im.ID)
		sf.ImageFiles = append(sf.ImageFiles, filepath.Base(im.Path))
	}
	for _, v := range variants {
		perImage := make([][]shardDet, len(part.Images))
		row, err := detectVariant(ctx, env, m, &part, v, pl, threads, records, func(i int, dets []yolo.Detection) error {
			ds := make([]shardDet, len(dets))
			for k, d := range dets {
				ds[k] = shardDet{d.ClassID, d.Score, d.Box}
			}
			perImage[i] = ds
			return nil
		})
		if err != nil {
			return err
		}
		sv := shardVariant{Name: row.Name, Calib: row.Calib, Points: row.Points, Coverage: row.Coverage, Seconds: row.Seconds, Detections: perImage}
		if sv.Calib != "" {
			if sv.CalibSHA256, err = fileSHA256(sv.Calib); err != nil {
				return err
			}
		}
		sf.Variants = append(sf.Variants, sv)
	}
	if err := writeJSON(nil, out, sf); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "shard %d/%d: images %d-%d of %d, %d variant(s); wrote %s (nothing scored: merge all %d shards with nniescope eval merge)\n", k, n, lo, hi-1, len(set.Images), len(variants), out, n)
	return nil
}

// runEvalMerge combines shard files into the unsharded table.
func runEvalMerge(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "eval merge", "eval merge --model M --data DIR [--json out.json] [--md] [--results DIR] SHARD.json...")
	model := fs.String("model", "", "the model the shards ran (checked by its SHA-256)")
	data := fs.String("data", "", "the dataset the shards ran on (checked image by image)")
	jsonOut := fs.String("json", "", "write the table as JSON to this file (- for stdout)")
	md := fs.Bool("md", false, "print the table as Markdown, with AP per class")
	htmlOut := fs.String("html", "", "also write a self-contained HTML report (the page's plots: AP per class, precision-recall curves, confusion matrices) to this file")
	resultsDir := fs.String("results", "", "also write each variant's detections as COCO results JSON (DIR/NAME.json)")
	loader := addModelFlags(fs)
	var files []string
	rest := args
	for len(rest) > 0 { // flags and shard files in any order
		if err := parseFlags(fs, rest); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		files, rest = append(files, fs.Arg(0)), fs.Args()[1:]
	}
	if err := require(fs, "model", "data"); err != nil {
		return err
	}
	inputs := map[string]string{}
	for _, f := range files {
		inputs[f] = "shard " + f
	}
	if err := checkOutputsAgainst(fs, []string{"json", "html"}, inputs); err != nil {
		return err
	}
	if len(files) == 0 {
		fmt.Fprintln(env.Stderr, "no shard files given")
		fs.Usage()
		return errUsage
	}
	shards, err := readShards(files)
	if err != nil {
		return err
	}
	first := shards[0].file
	if *resultsDir != "" {
		for _, v := range first.Variants {
			if err := resultsName(v.Name); err != nil {
				return err
			}
		}
	}
	if sum, err := fileSHA256(*model); err != nil {
		return err
	} else if sum != first.ModelSHA256 {
		return fmt.Errorf("--model %s is not the model the shards ran (%s, SHA-256 %s)", *model, first.Model, first.ModelSHA256)
	}
	m, err := loader.load(env, *model)
	if err != nil {
		return err
	}
	set, err := loadDataset(m, *data)
	if err != nil {
		return err
	}
	if len(set.Images) != first.Images {
		return fmt.Errorf("--data %s has %d images; the shards ran on %d", *data, len(set.Images), first.Images)
	}
	runs := make([]variantRun, len(first.Variants))
	for i, v := range first.Variants {
		runs[i] = variantRun{row: evalVariant{Name: v.Name, Calib: v.Calib, Points: v.Points, Coverage: v.Coverage}, run: &eval.Run{Detections: make([][]yolo.Detection, len(set.Images))}}
	}
	for _, s := range shards {
		for j, id := range s.file.ImageIDs {
			im := set.Images[s.file.First+j]
			if im.ID != id || filepath.Base(im.Path) != s.file.ImageFiles[j] {
				return fmt.Errorf("%s: image %d is %s (id %d), but --data %s has %s (id %d) there", s.path, s.file.First+j, s.file.ImageFiles[j], id, *data, filepath.Base(im.Path), im.ID)
			}
		}
		for i, v := range s.file.Variants {
			runs[i].row.Seconds += v.Seconds
			for j, ds := range v.Detections {
				dets := make([]yolo.Detection, len(ds))
				for k, d := range ds {
					dets[k] = yolo.Detection{ClassID: d.Class, Score: d.Score, Box: d.Box}
				}
				runs[i].run.Detections[s.file.First+j] = dets
			}
		}
	}
	sc, err := newScorer(set, *resultsDir)
	if err != nil {
		return err
	}
	defer sc.close()
	res := &evalOutput{Model: first.Model, Data: first.Data, Images: first.Images, Placement: first.Placement, Settings: settings()}
	if err := res.setNames(m, set); err != nil {
		return err
	}
	for _, vr := range runs {
		if err := ctx.Err(); err != nil {
			return err
		}
		row, err := sc.score(vr)
		if err != nil {
			return err
		}
		res.add(row)
	}
	return reportEval(env, res, *jsonOut, *htmlOut, *md)
}

// decodeShard parses one shard file and checks it is whole: its image
// block is the one its index names, and every variant has detections for
// each of its images.
func decodeShard(b []byte) (*shardFile, error) {
	var f shardFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("not a shard file: %w", err)
	}
	if f.Format != shardFormat || f.Version != 1 {
		return nil, fmt.Errorf("format %q version %d, want %q version 1 (written by eval --shard)", f.Format, f.Version, shardFormat)
	}
	if f.Images < 0 || f.Images > 1<<30 || f.Shards < 1 || f.Shards > 1<<20 || f.Shard < 0 || f.Shard >= f.Shards {
		return nil, fmt.Errorf("shard %d/%d of %d images: want 0 ≤ shard < shards and a plausible image count", f.Shard, f.Shards, f.Images)
	}
	if lo, hi := shardRange(f.Images, f.Shard, f.Shards); f.First != lo || len(f.ImageIDs) != hi-lo || len(f.ImageFiles) != hi-lo {
		return nil, fmt.Errorf("shard %d/%d of %d images should hold images %d-%d, holds %d from %d", f.Shard, f.Shards, f.Images, lo, hi-1, len(f.ImageIDs), f.First)
	}
	for _, v := range f.Variants {
		if len(v.Detections) != len(f.ImageIDs) {
			return nil, fmt.Errorf("variant %s has detections for %d of its %d images", v.Name, len(v.Detections), len(f.ImageIDs))
		}
	}
	return &f, nil
}

type readShard struct {
	path string
	file *shardFile
}

// readShards reads the files and checks they are the N shards of one run,
// each once: same model, dataset size, placement and variants (with the
// same calibration files), and image blocks that tile the dataset.
func readShards(paths []string) ([]readShard, error) {
	var shards []readShard
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		f, err := decodeShard(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		shards = append(shards, readShard{p, f})
	}
	first := shards[0]
	byIndex := map[int]string{}
	for _, s := range shards {
		f := s.file
		if f.ModelSHA256 != first.file.ModelSHA256 || f.Images != first.file.Images || f.Placement != first.file.Placement || f.Shards != first.file.Shards {
			return nil, fmt.Errorf("%s and %s are not shards of one run (model, image count, placement or shard count differ)", first.path, s.path)
		}
		if len(f.Variants) != len(first.file.Variants) {
			return nil, fmt.Errorf("%s and %s ran different variants", first.path, s.path)
		}
		for i, v := range f.Variants {
			w := first.file.Variants[i]
			if v.Name != w.Name || v.CalibSHA256 != w.CalibSHA256 {
				return nil, fmt.Errorf("%s and %s ran different variants: %s (%s) vs %s (%s)", first.path, s.path, w.Name, w.Calib, v.Name, v.Calib)
			}
		}
		if other, dup := byIndex[f.Shard]; dup {
			return nil, fmt.Errorf("%s and %s are both shard %d/%d", other, s.path, f.Shard, f.Shards)
		}
		byIndex[f.Shard] = s.path
	}
	var missing []string
	for k := range first.file.Shards {
		if _, ok := byIndex[k]; !ok {
			missing = append(missing, strconv.Itoa(k))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("shards %s of %d are missing: a merge needs every image", strings.Join(missing, ", "), first.file.Shards)
	}
	return shards, nil
}
