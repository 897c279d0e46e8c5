package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/nniescope/nniescope/shared/synth"
)

func runSynth(_ context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "synth", "synth --out DIR [--n 500] [--seed 1] [--first 0] [--size 320x320]")
	out := fs.String("out", "", "dataset directory to write (images/ + labels/)")
	n := fs.Int("n", 500, "number of scenes")
	seed := fs.Uint64("seed", 1, "scene seed: the same seed and index give the same scene")
	first := fs.Int("first", 0, "index of the first scene")
	size := fs.String("size", "320x320", "picture size WxH")
	if err := parse(fs, args); err != nil {
		return err
	}
	var w, h int
	if _, err := fmt.Sscanf(strings.Replace(*size, "x", " ", 1), "%d %d", &w, &h); err != nil || w < 32 || h < 32 {
		return fmt.Errorf("--size %q: want WxH, at least 32x32", *size)
	}
	if *out == "" || *n <= 0 {
		fs.Usage()
		return errUsage
	}
	if err := synth.WriteDataset(*out, *seed, *first, *n, w, h); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "wrote %d scenes (%s) to %s: classes %s\n", *n, *size, *out, strings.Join(synth.Classes, ", "))
	return nil
}
