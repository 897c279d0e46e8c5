package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/nniescope/nniescope/internal/wasmhost"
	"github.com/nniescope/nniescope/shared/dataset"
	"github.com/nniescope/nniescope/shared/eval"
	"github.com/nniescope/nniescope/shared/recording"
	"github.com/nniescope/nniescope/shared/wire"
	"github.com/nniescope/nniescope/shared/yolo"
	"github.com/nniescope/nniescope/webui"
)

// recordingIndex is the directory layout of a recording (decode requests
// with index.json), beside the board's .nsw stream recordings.
type recordingIndex struct {
	Version int             `json:"version"`
	Frames  []recordedFrame `json:"frames"`
}

type recordedFrame struct {
	Request string `json:"request"`
	Variant string `json:"variant"`
	ImageID int64  `json:"image_id"`
	// Source and Version come from a stream recording's messages: the
	// frame's image file (v2), matched to the labels by file name.
	Source  string `json:"-"`
	Version uint16 `json:"-"`
	// Error is set for a frame the board could not process (it recorded
	// the error instead of results); Fatal when its engine stopped there.
	Error string `json:"-"`
	Fatal bool   `json:"-"`
}

// frameSource yields decode requests from either recording kind.
type frameSource struct {
	dir  string
	idx  recordingIndex
	nsw  *recording.Recording
	name string
}

func openRecording(path string) (*frameSource, error) {
	if st, err := os.Stat(path); err == nil && !st.IsDir() {
		r, err := recording.Open(path)
		if err != nil {
			return nil, err
		}
		return &frameSource{nsw: r, name: path}, nil
	}
	b, err := os.ReadFile(filepath.Join(path, "index.json"))
	if err != nil {
		return nil, fmt.Errorf("recording: %w", err)
	}
	fs := &frameSource{dir: path, name: path}
	if err := json.Unmarshal(b, &fs.idx); err != nil {
		return nil, fmt.Errorf("recording %s: index.json: %w", path, err)
	}
	if fs.idx.Version != 1 {
		return nil, fmt.Errorf("recording %s: index.json version %d, want 1", path, fs.idx.Version)
	}
	return fs, nil
}

func (f *frameSource) len() int {
	if f.nsw != nil {
		return f.nsw.Len()
	}
	return len(f.idx.Frames)
}

// frame returns frame i's description and decode request (nil for a
// stream message that carries no tensors, such as the frame's image).
func (f *frameSource) frame(i int) (recordedFrame, []byte, error) {
	if f.nsw == nil {
		fr := f.idx.Frames[i]
		req, err := os.ReadFile(filepath.Join(f.dir, fr.Request))
		if err != nil {
			return fr, nil, fmt.Errorf("recording: frame %d: %w", i, err)
		}
		return fr, req, nil
	}
	msg, err := f.nsw.Message(i)
	if err != nil {
		return recordedFrame{}, nil, err
	}
	h, err := wire.PeekHeader(msg)
	if err != nil {
		return recordedFrame{}, nil, fmt.Errorf("recording %s: message %d: %w", f.name, i, err)
	}
	switch h.Kind {
	case wire.KindResult:
	case wire.KindImage:
		return recordedFrame{}, nil, nil // the frame's picture: nothing to decode
	case wire.KindError:
		e, err := wire.DecodeError(msg)
		if err != nil {
			return recordedFrame{}, nil, fmt.Errorf("recording %s: message %d: %w", f.name, i, err)
		}
		return recordedFrame{Source: e.Source, Error: e.Text, Fatal: e.Fatal}, nil, nil
	default:
		return recordedFrame{}, nil, fmt.Errorf("recording %s: message %d is of %v: this nniescope is older than the board that recorded it", f.name, i, h.Kind)
	}
	r, err := wire.DecodeResult(msg)
	if err != nil {
		return recordedFrame{}, nil, fmt.Errorf("recording %s: message %d: %w", f.name, i, err)
	}
	req := r.Request(yolo.Params{ScoreThreshold: 0.001, NMSThreshold: 0.7, MaxDetections: 300})
	// v2 messages name their frame's source (the image file); v1 ones do
	// not, and their frames cannot be matched to labels.
	return recordedFrame{Request: fmt.Sprintf("message %d", i), Variant: r.Variant, Source: r.Source, Version: r.Version}, req.Encode(), nil
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
	fs := newFlagSet(env, "replay", "replay --recording FILE.nsw|DIR [--labels DATASET_DIR] [--module FILE.wasm] [--json out.json]")
	rec := fs.String("recording", "", "a board stream recording (.nsw), or a directory of decode requests with index.json")
	labels := fs.String("labels", "", "dataset directory with the frames' ground truth (images/ + labels/), for AP")
	module := fs.String("module", "", "post-process module to run (default: the one built into this binary)")
	classes := fs.Int("classes", 80, "class count, for the ground truth")
	jsonOut := fs.String("json", "", "write the summary as JSON (- for stdout)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := require(fs, "recording"); err != nil {
		return err
	}
	if err := checkOutputs(fs, "json"); err != nil {
		return err
	}
	frames, err := openRecording(*rec)
	if err != nil {
		return err
	}
	if r := frames.nsw; r != nil && r.DroppedFrom >= 0 {
		fmt.Fprintf(env.Stderr, "nniescope replay: %s: no index (the recorder did not close); kept the %d complete message(s), dropped bytes %d..%d (%d bytes: a message cut off at the end, or a corrupt length)\n",
			*rec, r.Len(), r.DroppedFrom, r.Size, r.Size-r.DroppedFrom)
	}
	cache, _ := os.UserCacheDir()
	if cache != "" {
		cache = filepath.Join(cache, "nniescope", "wazero")
	}
	mod, err := loadModule(ctx, *module, cache)
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
	unmatched, boardErrors := 0, 0
	byID, byName := map[int64]int{}, map[string]int{}
	if set != nil {
		for k, im := range set.Images {
			byID[im.ID] = k
			byName[filepath.Base(im.Path)] = k
		}
	}
	// match finds a frame's image in the labels: by file name for stream
	// recordings, by image id for directory recordings.
	match := func(fr recordedFrame) (int, bool) {
		if fr.Version != 0 {
			k, ok := byName[filepath.Base(fr.Source)]
			return k, ok && fr.Source != ""
		}
		k, ok := byID[fr.ImageID]
		return k, ok
	}
	bar := newProgress(env.Stderr, "replay", frames.len())
	for i := range frames.len() {
		fr, req, err := frames.frame(i)
		if err != nil {
			return err
		}
		if fr.Error != "" {
			boardErrors++
			if boardErrors <= 3 {
				fmt.Fprintf(env.Stderr, "nniescope replay: %s: the board could not process frame %q: %s\n", *rec, fr.Source, fr.Error)
			}
			continue
		}
		if req == nil {
			continue // an image message
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
			k, ok := match(fr)
			if !ok {
				unmatched++
				if fr.Version == 1 {
					return fmt.Errorf("recording %s: frame %d is a v1 message, which names no image: --labels needs a recording made by a v2 board", *rec, i)
				}
			} else {
				r := runs[v]
				if r == nil {
					r = &eval.Run{Detections: make([][]yolo.Detection, len(set.Images))}
					runs[v] = r
				}
				r.Detections[k] = res.Detections
			}
		}
		bar.update(i + 1)
	}
	if len(rows) == 0 {
		return fmt.Errorf("recording %s: %d message(s), none with results to decode", *rec, frames.len())
	}
	if boardErrors > 3 {
		fmt.Fprintf(env.Stderr, "nniescope replay: %s: %d frames in all could not be processed on the board\n", *rec, boardErrors)
	}
	if unmatched > 0 {
		fmt.Fprintf(env.Stderr, "nniescope replay: %d frame result(s) name no image of %s: left out of the AP\n", unmatched, *labels)
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

// loadModule loads the post-process module: path when given, else the one
// embedded in this binary with the web UI (the build copies it there).
func loadModule(ctx context.Context, path, cache string) (*wasmhost.Module, error) {
	if path != "" {
		return wasmhost.LoadFile(ctx, path, cache)
	}
	b, err := webui.Module()
	if errors.Is(err, webui.ErrNoModule) {
		return nil, errors.New("this nniescope was built without the post-process module (build it with `go tool task build`), or pass --module FILE.wasm")
	}
	if err != nil {
		return nil, err
	}
	return wasmhost.Load(ctx, b, cache)
}
