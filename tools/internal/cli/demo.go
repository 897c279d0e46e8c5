package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/nniescope/nniescope/internal/demomodel"
	"github.com/nniescope/nniescope/shared/calib"
	"github.com/nniescope/nniescope/shared/dataset"
	"github.com/nniescope/nniescope/shared/metrics/coco"
	"github.com/nniescope/nniescope/shared/mixed"
	"github.com/nniescope/nniescope/shared/quant"
	"github.com/nniescope/nniescope/shared/quant/nnie"
	"github.com/nniescope/nniescope/shared/synth"
)

// runDemo is the first thing a new user runs: calibrate 8- and 16-bit
// files, search the layers to keep in 16-bit, and start the board binary in
// sim mode with float / int8 / mixed side by side.
func runDemo(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "demo", "demo [--model M.onnx --images DIR [--labels DIR]] [--listen 127.0.0.1:8080] [--duration 0]")
	model := fs.String("model", "", "your YOLO ONNX: YOLOv8, YOLO11 or YOLOv5 (default: the embedded demo model)")
	images := fs.String("images", "", "your images (DIR/images or DIR): calibration, search and the stream")
	labels := fs.String("labels", "", "dataset directory with the images' labels (DIR/images + DIR/labels); default: --images")
	listen := fs.String("listen", "127.0.0.1:8080", "where the board binary serves the page")
	work := fs.String("work", "", "directory for the generated files (default: a temporary one)")
	duration := fs.Duration("duration", 0, "stop after this long (0: until interrupted)")
	chip := fs.String("chip", "svp", "svp (SVP ACL: ATC's 8/16-bit files spliced) or nnie (NNIE: logarithmic 8-bit, layers marked high precision)")
	board := fs.String("board", "", "the nniescope-board binary (default: the one beside this binary, else go run of the checkout's)")
	loader := addModelFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if (*model == "") != (*images == "") {
		return errors.New("--model and --images go together: a model of your own needs your own images")
	}
	dir := *work
	if dir == "" {
		d, err := os.MkdirTemp("", "nniescope-demo")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	say := func(format string, a ...any) { fmt.Fprintf(env.Stdout, "demo: "+format+"\n", a...) }
	modelPath, calibFiles, data, source := *model, []string(nil), *labels, ""
	var extra []string
	if modelPath == "" {
		modelPath = filepath.Join(dir, "demo.onnx")
		if err := os.WriteFile(modelPath, demomodel.ONNX, 0o644); err != nil {
			return err
		}
		// Calibration and search scenes come from seeds the model never
		// trained on; the stream uses the board's own held-out scenes.
		say("generating synthetic scenes (calibration and search sets)")
		if err := synth.WriteDataset(filepath.Join(dir, "calib"), 3, 0, 48, 256, 256); err != nil {
			return err
		}
		if err := synth.WriteDataset(filepath.Join(dir, "val"), 4, 0, 120, 256, 256); err != nil {
			return err
		}
		data, source = filepath.Join(dir, "val"), "synthetic"
		extra = []string{"--synthetic-size", "256x256"}
	} else if data == "" {
		data = *images
	}
	m, err := loader.load(env, modelPath)
	if err != nil {
		return err
	}
	set, err := loadDataset(m, data)
	if err != nil {
		return fmt.Errorf("%w (the search needs labelled images: --labels)", err)
	}
	if *model == "" {
		if calibFiles, err = dataset.ImageFiles(filepath.Join(dir, "calib")); err != nil {
			return err
		}
	} else {
		// Your images: calibrate on one half, search and stream the other,
		// so no score comes from an image the calibration saw.
		var val string
		if calibFiles, set, val, err = splitForDemo(set, filepath.Join(dir, "val")); err != nil {
			return err
		}
		source = "dir:" + val
		say("%d labelled images: calibrating on %d, searching and streaming the other %d", len(calibFiles)+len(set.Images), len(calibFiles), len(set.Images))
	}
	if len(calibFiles) > 64 {
		calibFiles = calibFiles[:64]
	}
	if *chip != "svp" && *chip != "nnie" {
		return fmt.Errorf("--chip %q: want svp or nnie", *chip)
	}
	files := map[int]string{}
	var res *mixed.Result
	mixedFile := filepath.Join(dir, "mixed.txt")
	if *chip == "nnie" {
		// One NNIE calibration: its clips serve both precisions, and the
		// search marks layers high precision (compile_mode 2).
		say("calibrating for NNIE (logarithmic 8-bit) on %d images", len(calibFiles))
		bar := newProgress(env.Stderr, "calib nnie", 0)
		n8, err := nnie.Calibrate(ctx, m, calibFiles, nnie.CalibOptions{Bits: 8, Model: filepath.Base(modelPath)}, func(done, total int) { bar.total = total; bar.update(done) })
		if err != nil {
			return err
		}
		files[8], mixedFile = filepath.Join(dir, "nnie8.json"), filepath.Join(dir, "mixed.json")
		if err := n8.Save(files[8]); err != nil {
			return err
		}
		c, err := mixed.NewChip(m, &quant.Calibration{Path: files[8], NNIE: n8}, nil, quant.Options{})
		if err != nil {
			return err
		}
		say("searching the layers to mark high precision on %d images", len(set.Images))
		if res, err = mixed.SearchChip(ctx, m, c, set, mixed.Options{MaxDrop: 1.0, ProxyImages: 4, Cost: mixed.NNIE}, phaseBars(env)); err != nil {
			return err
		}
		mf, err := n8.WithHighPrecision(res.Layers...)
		if err != nil {
			return err
		}
		if err := mf.Save(mixedFile); err != nil {
			return err
		}
	} else {
		for _, bits := range []int{8, 16} {
			say("calibrating %d-bit on %d images", bits, len(calibFiles))
			bar := newProgress(env.Stderr, fmt.Sprintf("calib %d-bit", bits), 0)
			f, err := quant.Calibrate(ctx, m, calibFiles, quant.CalibOptions{Bits: bits}, func(done, total int) { bar.total = total; bar.update(done) })
			if err != nil {
				return err
			}
			files[bits] = filepath.Join(dir, fmt.Sprintf("int%d.txt", bits))
			if err := f.Save(files[bits]); err != nil {
				return err
			}
		}
		f8, err := calib.Load(files[8])
		if err != nil {
			return err
		}
		f16, err := calib.Load(files[16])
		if err != nil {
			return err
		}
		say("searching the layers to keep in 16-bit on %d images", len(set.Images))
		if res, err = mixed.Search(ctx, m, f8, f16, set, mixed.Options{MaxDrop: 1.0, ProxyImages: 4}, phaseBars(env)); err != nil {
			return err
		}
		mf := f8
		if len(res.Layers) > 0 {
			if mf, err = f8.Splice(f16, res.Layers...); err != nil {
				return err
			}
		}
		if err := mf.Save(mixedFile); err != nil {
			return err
		}
	}
	say("16-bit layers: %s (AP %.3f, 8-bit %.3f, 16-bit %.3f; est. %.2f ms)", strings.Join(res.Layers, ", "), res.AP, res.Evaluations[0].AP, res.ReferenceAP, res.LatencyMS)

	boardArgs := []string{"--listen", *listen, "--engine", "sim", "--model", modelPath,
		"--variant", "float", "--variant", map[string]string{"svp": "int8=", "nnie": "nnie8="}[*chip] + files[8], "--variant", "mixed=" + mixedFile, "--source", source, "--fps", "5"}
	for _, op := range loader.tailOps {
		boardArgs = append(boardArgs, "--tail-op", op)
	}
	boardArgs = append(boardArgs, extra...)
	say("starting the board binary (sim engine, three variants)")
	cmd := boardCommand(ctx, *board, boardArgs)
	cmd.Stdout, cmd.Stderr = env.Stderr, env.Stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting the board binary: %w", err)
	}
	url := "http://" + *listen + "/"
	for i := 0; i < 300; i++ {
		if r, err := http.Get(url + "healthz"); err == nil {
			r.Body.Close()
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	say("open %s — float, 8-bit and mixed side by side, live AP per variant (Ctrl-C stops)", url)
	// --duration counts from here: on a slow machine the calibration and
	// the search take longer, the time the page is served does not.
	if *duration > 0 {
		select {
		case <-time.After(*duration):
		case <-ctx.Done():
		}
		cmd.Process.Signal(os.Interrupt)
	}
	if err := cmd.Wait(); err != nil && ctx.Err() == nil && *duration == 0 {
		return err
	}
	return nil
}

// splitForDemo splits a labelled set in two, alternating in file order:
// the calibration images, and the rest as a set of its own written to
// dir (images linked or copied, ground truth as annotations.json) for the
// board's dir source to stream and score.
func splitForDemo(set *dataset.Set, dir string) (calibFiles []string, scored *dataset.Set, _ string, err error) {
	if len(set.Images) < 2 {
		return nil, nil, "", fmt.Errorf("%s: %d labelled image(s): the demo needs at least 2 (one to calibrate on, one to score)", set.Dir, len(set.Images))
	}
	for i, im := range set.Images {
		if i%2 == 0 {
			calibFiles = append(calibFiles, im.Path)
		}
	}
	scored = set.Select(func(i int) bool { return i%2 == 1 })
	imgDir := filepath.Join(dir, "images")
	if err := os.MkdirAll(imgDir, 0o755); err != nil {
		return nil, nil, "", err
	}
	byID := map[int64]string{}
	for i, im := range scored.Images {
		name := fmt.Sprintf("%06d%s", i, strings.ToLower(filepath.Ext(im.Path)))
		dst := filepath.Join(imgDir, name)
		if err := linkOrCopy(im.Path, dst); err != nil {
			return nil, nil, "", err
		}
		byID[im.ID] = name
		scored.Images[i].Path = dst
	}
	gt := *scored.GT
	gt.Images = append([]coco.Image(nil), gt.Images...)
	for i := range gt.Images {
		gt.Images[i].FileName = byID[gt.Images[i].ID]
	}
	if err := writeJSON(nil, filepath.Join(dir, "annotations.json"), &gt); err != nil {
		return nil, nil, "", err
	}
	scored.GT, scored.Dir = &gt, dir
	return calibFiles, scored, dir, nil
}

func linkOrCopy(src, dst string) error {
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}

// boardCommand runs the board binary: the given path, else the one beside
// this executable, else `go run` from the module.
func boardCommand(ctx context.Context, path string, args []string) *exec.Cmd {
	if path == "" {
		if exe, err := os.Executable(); err == nil {
			p := filepath.Join(filepath.Dir(exe), "nniescope-board")
			if _, err := os.Stat(p); err == nil {
				path = p
			}
		}
	}
	if path != "" {
		return exec.CommandContext(ctx, path, args...)
	}
	return exec.CommandContext(ctx, "go", append([]string{"run", "./firmware/cmd/nniescope-board"}, args...)...)
}

// phaseBars is a search's progress as one bar per phase on stderr. A
// phase that starts over (the next evaluation of the same size) gets a
// new bar, so its time and ETA are its own, not the sum of every run so
// far.
func phaseBars(env Env) mixed.Progress {
	return (&phases{w: env.Stderr, bars: map[string]*progress{}}).update
}

type phases struct {
	w    io.Writer
	bars map[string]*progress
}

func (p *phases) update(phase string, done, total int) {
	b := p.bars[phase]
	if b == nil || done < b.done || b.total != total || b.done >= b.total {
		b = newProgress(p.w, phase, total)
		p.bars[phase] = b
	}
	b.update(done)
}
