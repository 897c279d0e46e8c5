package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/nniescope/nniescope/shared/dataset"
	"github.com/nniescope/nniescope/shared/eval"
	"github.com/nniescope/nniescope/shared/yolo"
	"github.com/nniescope/nniescope/tools/internal/wasmhost"
)

// recordingIndex is the interim recording layout (a directory of decode
// requests with index.json) until the firmware's stream recordings exist;
// docs/CLI.md describes it.
type recordingIndex struct {
	Version int `json:"version"`
	Frames  []struct {
		Request string `json:"request"`
		Variant string `json:"variant"`
		ImageID int64  `json:"image_id"`
	} `json:"frames"`
}

type replayVariant struct {
	Name       string   `json:"name"`
	Frames     int      `json:"frames"`
	Detections int      `json:"detections"`
	AP         *float64 `json:"ap"`
	AP50       *float64 `json:"ap50"`
	AP75       *float64 `json:"ap75"`
}

func runReplay(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "replay", "replay --recording DIR [--labels DATASET_DIR] [--module bin/nniescope.wasm] [--json out.json]")
	rec := fs.String("recording", "", "recording directory (index.json + decode requests)")
	labels := fs.String("labels", "", "dataset directory with the frames' ground truth (images/ + labels/), for AP")
	module := fs.String("module", "bin/nniescope.wasm", "post-process module (go tool task wasm:build)")
	classes := fs.Int("classes", 80, "class count, for the ground truth")
	jsonOut := fs.String("json", "", "write the summary as JSON (- for stdout)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *rec == "" {
		fs.Usage()
		return errUsage
	}
	b, err := os.ReadFile(filepath.Join(*rec, "index.json"))
	if err != nil {
		return fmt.Errorf("recording: %w", err)
	}
	var idx recordingIndex
	if err := json.Unmarshal(b, &idx); err != nil {
		return fmt.Errorf("recording %s: index.json: %w", *rec, err)
	}
	if idx.Version != 1 {
		return fmt.Errorf("recording %s: index.json version %d, want 1", *rec, idx.Version)
	}
	cache, _ := os.UserCacheDir()
	if cache != "" {
		cache = filepath.Join(cache, "nniescope", "wazero")
	}
	mod, err := wasmhost.LoadFile(ctx, *module, cache)
	if err != nil {
		return err
	}
	defer mod.Close(ctx)
	var set *dataset.Set
	if *labels != "" {
		if set, err = dataset.Load(*labels, *classes); err != nil {
			return err
		}
	}
	runs := map[string]*eval.Run{}
	rows := map[string]*replayVariant{}
	bar := newProgress(env.Stderr, "replay", len(idx.Frames))
	for i, fr := range idx.Frames {
		req, err := os.ReadFile(filepath.Join(*rec, fr.Request))
		if err != nil {
			return fmt.Errorf("recording: frame %d: %w", i, err)
		}
		out, err := mod.Decode(ctx, req)
		if err != nil {
			return fmt.Errorf("recording %s: frame %d (%s): %w", *rec, i, fr.Request, err)
		}
		var res struct {
			Detections []yolo.Detection `json:"detections"`
		}
		if err := json.Unmarshal(out, &res); err != nil {
			return fmt.Errorf("recording: frame %d: module output: %w", i, err)
		}
		v := fr.Variant
		if v == "" {
			v = "default"
		}
		row := rows[v]
		if row == nil {
			row = &replayVariant{Name: v}
			rows[v] = row
		}
		row.Frames++
		row.Detections += len(res.Detections)
		if set != nil {
			r := runs[v]
			if r == nil {
				r = &eval.Run{Detections: make([][]yolo.Detection, len(set.Images))}
				runs[v] = r
			}
			for k, im := range set.Images {
				if im.ID == fr.ImageID {
					r.Detections[k] = res.Detections
				}
			}
		}
		bar.update(i + 1)
	}
	var out []replayVariant
	for name, row := range rows {
		if r := runs[name]; r != nil {
			st, err := eval.Score(set, r)
			if err != nil {
				return err
			}
			row.AP, row.AP50, row.AP75 = &st[0], &st[1], &st[2]
		}
		out = append(out, *row)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	if *jsonOut != "" {
		if err := writeJSON(env.Stdout, *jsonOut, map[string]any{"recording": *rec, "variants": out}); err != nil {
			return err
		}
		if *jsonOut == "-" {
			return nil
		}
	}
	for _, v := range out {
		line := fmt.Sprintf("%-12s %4d frames %6d detections", v.Name, v.Frames, v.Detections)
		if v.AP != nil {
			line += fmt.Sprintf("  AP %.3f AP50 %.3f AP75 %.3f", *v.AP, *v.AP50, *v.AP75)
		}
		fmt.Fprintln(env.Stdout, line)
	}
	return nil
}
