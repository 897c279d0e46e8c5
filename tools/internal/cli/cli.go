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
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/nniescope/nniescope/shared/version"
)

// Env is what a command may touch of the outside world.
type Env struct {
	Stdout io.Writer
	Stderr io.Writer
	// Terminal says Stderr is a terminal: progress bars redraw one line
	// there; elsewhere (a file, a CI log) they print a plain line now and
	// then instead of carriage returns.
	Terminal bool
}

// command is one subcommand: its one-line summary and its entry point.
type command struct {
	summary string
	run     func(ctx context.Context, env Env, args []string) error
}

// ExitInterrupted is the exit code of a command stopped by Ctrl-C or
// SIGTERM (128 + SIGINT, as shells report it).
const ExitInterrupted = 130

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
	lt := &lineTracker{w: env.Stderr, tty: env.Terminal}
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
		msg := strings.TrimPrefix(err.Error(), args[0]+": ")
		if ctx.Err() != nil {
			// Interrupted (Ctrl-C, SIGTERM): say where it stopped, and exit
			// as shells report an interrupted program (128 + SIGINT).
			fmt.Fprintf(env.Stderr, "nniescope %s: %s (interrupted)\n", args[0], msg)
			return ExitInterrupted
		}
		fmt.Fprintf(env.Stderr, "nniescope %s: %s\n", args[0], msg)
		return 1
	}
	return 0
}

// lineTracker passes writes through and remembers whether the last byte
// ended a line.
type lineTracker struct {
	w    io.Writer
	open bool
	tty  bool // w is a terminal (Env.Terminal)
}

// terminal reports whether w is a terminal, as Env.Terminal said.
func terminal(w io.Writer) bool {
	lt, ok := w.(*lineTracker)
	return ok && lt.tty
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

// parse parses args. --help prints the usage text; a flag error is one
// line naming the flag and pointing at --help (the usage text after every
// mistake was 20-40 lines to scroll past), mapped to errUsage.
func parse(fs *flag.FlagSet, args []string) error {
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "nniescope %s: unexpected arguments %q %s\n", fs.Name(), fs.Args(), helpHint(fs))
		return errUsage
	}
	return nil
}

// parseFlags is parse for a command that takes arguments after its flags
// (calib diff's files, eval merge's shards): fs.Args() holds them.
func parseFlags(fs *flag.FlagSet, args []string) error {
	out, usage := fs.Output(), fs.Usage
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(args)
	fs.SetOutput(out)
	fs.Usage = usage
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.Usage()
		return err
	case err != nil:
		fmt.Fprintf(out, "nniescope %s: %v %s\n", fs.Name(), err, helpHint(fs))
		return errUsage
	}
	return nil
}

// helpHint points at the command's flag list.
func helpHint(fs *flag.FlagSet) string {
	return fmt.Sprintf("(nniescope %s --help lists the flags)", fs.Name())
}

// require checks that each named flag was given a value; for the first
// that was not, it prints one line saying which flag is missing and what
// it is for, and returns errUsage.
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
		fmt.Fprintf(fs.Output(), "nniescope %s: missing %s (%s): it needs %s %s\n", fs.Name(), flagName(name), f.Usage, what, helpHint(fs))
		return errUsage
	}
	return nil
}

// flagName is a flag as its usage text writes it: -o, --model.
func flagName(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

func runVersion(_ context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "version", "version")
	if err := parse(fs, args); err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, "nniescope", version.Version)
	return nil
}

// checkOutputs checks, before any work, that each named flag's output file
// can be written: its folder exists and takes a new file, and the path is
// not a folder ("" and "-", stdout, pass). A calibration that ran for
// minutes must not fail on its output path at the end. It also refuses an
// output that is one of the command's input files (every flag of the
// set that names an existing file, through symlinks too) or another
// output: --json pointing at the model overwrote it.
func checkOutputs(fs *flag.FlagSet, names ...string) error {
	return checkOutputsAgainst(fs, names, nil)
}

// checkOutputsAgainst is checkOutputs for a command whose inputs are not
// all single-file flags (eval's --variant NAME=FILE list, eval merge's
// shard arguments): inputs lists those files, by the flag or role that
// names them.
func checkOutputsAgainst(fs *flag.FlagSet, names []string, inputs map[string]string) error {
	type named struct{ flag, path string }
	var outs []named
	isOut := map[string]bool{}
	for _, name := range names {
		f := fs.Lookup(name)
		if f == nil {
			panic("checkOutputs: no flag --" + name) // a programming error
		}
		isOut[name] = true
		if path := f.Value.String(); path != "" && path != "-" {
			outs = append(outs, named{name, path})
		}
	}
	for i, o := range outs {
		if err := writable(o.path); err != nil {
			return fmt.Errorf("%s %s: %w", flagName(o.flag), o.path, err)
		}
		for _, p := range outs[:i] {
			if sameFile(p.path, o.path) {
				return fmt.Errorf("%s and %s both name %s: give each output its own file", flagName(p.flag), flagName(o.flag), o.path)
			}
		}
		var clash error
		fs.Visit(func(f *flag.Flag) {
			if clash == nil && !isOut[f.Name] && sameFile(f.Value.String(), o.path) {
				clash = fmt.Errorf("%s %s is the input %s: refusing to overwrite an input", flagName(o.flag), o.path, flagName(f.Name))
			}
		})
		if clash != nil {
			return clash
		}
		for path, role := range inputs {
			if sameFile(path, o.path) {
				return fmt.Errorf("%s %s is the input %s: refusing to overwrite an input", flagName(o.flag), o.path, role)
			}
		}
	}
	return nil
}

// sameFile says whether two paths name one file: the same path, or one
// existing file reached both ways (a symlink, another spelling).
func sameFile(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	if filepath.Clean(a) == filepath.Clean(b) {
		return true
	}
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}

// writable says why a file cannot be written at path (nil if it can). An
// existing file is opened for writing, untruncated (/dev/null, a file in
// a read-only folder); otherwise a new file is tried in its folder.
func writable(path string) error {
	if st, err := os.Stat(path); err == nil {
		if st.IsDir() {
			return errors.New("is a folder: want a file name")
		}
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return fmt.Errorf("cannot write it: %w", errors.Unwrap(err))
		}
		return f.Close()
	}
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("cannot write there: the folder %s does not exist", dir)
	}
	if !st.IsDir() {
		return fmt.Errorf("cannot write there: %s is not a folder", dir)
	}
	probe, err := os.CreateTemp(dir, ".nniescope-write-check-*")
	if err != nil {
		return fmt.Errorf("cannot write in %s: %w", dir, errors.Unwrap(err))
	}
	probe.Close()
	return os.Remove(probe.Name())
}
