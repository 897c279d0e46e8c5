// Package cli implements the subcommands of the nniescope workstation CLI.
// Each subcommand parses its own flags and writes results to the Env's
// writers, so tests run commands in-process without a subprocess.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/nniescope/nniescope/shared/version"
)

// Env is what a command may touch of the outside world.
type Env struct {
	Stdout io.Writer
	Stderr io.Writer
}

// command is one subcommand: its one-line summary and its entry point.
type command struct {
	summary string
	run     func(ctx context.Context, env Env, args []string) error
}

// errUsage marks an error already explained by the flag package's usage text.
var errUsage = errors.New("usage")

func commands() map[string]command {
	return map[string]command{
		"version":  {"print the version", runVersion},
		"run":      {"run a YOLO ONNX model on one image and print the detections", runRun},
		"calib":    {"calibrate 8/16-bit calibration_param.txt from images; splice and diff such files", runCalib},
		"eval":     {"AP of float and quantized variants over a dataset (the published table)", runEval},
		"layers":   {"per-layer error of a quantized simulation against float, isolated and cumulative", runLayers},
		"search":   {"find the layers to keep in 16-bit (mixed precision) and write the spliced file", runSearch},
		"replay":   {"decode a recording through the WASM post-process module (wazero)", runReplay},
		"serve":    {"serve the inspection page for recordings and layer reports", runServe},
		"synth":    {"write synthetic detection scenes with YOLO labels (deterministic)", runSynth},
		"demo":     {"the demo: calibrate, search, and stream float / 8-bit / mixed side by side", runDemo},
		"fq":       {"print what a chip's 8/16-bit format does to given numbers (nnie: logarithmic; svp: uniform)", runFq},
		"cocoeval": {"COCO bbox evaluation of a results file against ground truth (pycocotools semantics)", runCocoeval},
	}
}

// Main runs the CLI with args (without the program name) and returns the
// process exit code.
func Main(ctx context.Context, env Env, args []string) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(env.Stdout, cmds)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(env.Stderr, "nniescope: unknown command %q\n\n", args[0])
		usage(env.Stderr, cmds)
		return 2
	}
	// A progress bar leaves its line open; whatever is printed next (an
	// error, say) starts on a line of its own.
	lt := &lineTracker{w: env.Stderr}
	env.Stderr = lt
	err := c.run(ctx, env, args[1:])
	lt.endLine()
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		if errors.Is(err, errUsage) {
			return 2
		}
		// Package errors carry their package's name ("calib: ..."); where
		// that is the command's name too, say it once.
		fmt.Fprintf(env.Stderr, "nniescope %s: %s\n", args[0], strings.TrimPrefix(err.Error(), args[0]+": "))
		return 1
	}
	return 0
}

// lineTracker passes writes through and remembers whether the last byte
// ended a line.
type lineTracker struct {
	w    io.Writer
	open bool
}

func (l *lineTracker) Write(p []byte) (int, error) {
	n, err := l.w.Write(p)
	if n > 0 {
		l.open = p[n-1] != '\n'
	}
	return n, err
}

func (l *lineTracker) endLine() {
	if l.open {
		io.WriteString(l.w, "\n")
		l.open = false
	}
}

func usage(w io.Writer, cmds map[string]command) {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("nniescope: find where quantization hurts a YOLO model (YOLOv8, YOLO11, YOLOv5) on HiSilicon NPUs.\n\nUsage: nniescope <command> [flags]\n\nCommands:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  %-10s %s\n", n, cmds[n].summary)
	}
	b.WriteString("\nRun `nniescope <command> --help` for a command's flags. docs/CLI.md documents every command and JSON shape.\n")
	io.WriteString(w, b.String())
}

// newFlagSet returns a FlagSet that reports errors instead of exiting.
func newFlagSet(env Env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "Usage: nniescope %s\n\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args and maps a flag error to errUsage (already printed).
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected arguments: %q\n", fs.Args())
		return errUsage
	}
	return nil
}

// require checks that each named flag was given a value; for the first
// that was not, it prints which flag is missing and what it is for above
// the usage text, and returns errUsage.
func require(fs *flag.FlagSet, names ...string) error {
	for _, name := range names {
		f := fs.Lookup(name)
		if f == nil {
			panic("require: no flag --" + name) // a programming error, caught by the table test
		}
		if f.Value.String() != "" {
			continue
		}
		var set bool
		fs.Visit(func(v *flag.Flag) { set = set || v.Name == name })
		what := "a value"
		if set {
			what = "a non-empty value"
		}
		fmt.Fprintf(fs.Output(), "nniescope %s: missing --%s (%s): it needs %s\n\n", fs.Name(), name, f.Usage, what)
		fs.Usage()
		return errUsage
	}
	return nil
}

func runVersion(_ context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "version", "version")
	if err := parse(fs, args); err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, "nniescope", version.Version)
	return nil
}
