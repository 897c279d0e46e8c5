package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func TestMain_Dispatch(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		code      int
		stdoutHas string
		stderrHas string
	}{
		{"help lists commands", []string{"--help"}, 0, "version", ""},
		{"no args is a usage error", nil, 2, "Commands:", ""},
		{"unknown command", []string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{"version", []string{"version"}, 0, "nniescope dev", ""},
		{"bad flag", []string{"version", "--nope"}, 2, "", "flag provided but not defined"},
		{"a bad flag is one line pointing at --help", []string{"calib", "--bits", "eight"}, 2, "", "nniescope calib: invalid value \"eight\" for flag -bits: parse error (nniescope calib --help lists the flags)\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := Main(context.Background(), Env{Stdout: &out, Stderr: &errb}, tc.args)
			if code != tc.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tc.code, errb.String())
			}
			if !strings.Contains(out.String(), tc.stdoutHas) {
				t.Errorf("stdout %q lacks %q", out.String(), tc.stdoutHas)
			}
			if !strings.Contains(errb.String(), tc.stderrHas) {
				t.Errorf("stderr %q lacks %q", errb.String(), tc.stderrHas)
			}
			if code == 2 && len(tc.args) > 1 && strings.Count(errb.String(), "\n") != 1 {
				t.Errorf("a flag mistake printed %d lines, want one:\n%s", strings.Count(errb.String(), "\n"), errb.String())
			}
		})
	}
}

// A command stopped by Ctrl-C (its context cancelled) exits 130 saying
// so, as shells report an interrupted program; it exited 1 with the
// context's error.
func TestInterruptedExits130(t *testing.T) {
	model, data := demoData(t, 2)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb bytes.Buffer
	code := Main(ctx, Env{Stdout: &out, Stderr: &errb}, []string{"eval", "--model", model, "--data", data, "--variant", "float"})
	if code != ExitInterrupted || !strings.Contains(errb.String(), "(interrupted)") || !strings.HasPrefix(errb.String(), "nniescope eval: ") {
		t.Fatalf("exit %d, stderr %q: want %d and a line saying it was interrupted", code, errb.String(), ExitInterrupted)
	}
}

// Progress off a terminal is whole lines: a file or CI log of a run got
// one line of carriage-return redraws (34,785 bytes for a search). On a
// terminal the bar redraws its line.
func TestProgressOffATerminalIsPlainLines(t *testing.T) {
	model, data := demoData(t, 2)
	for _, tty := range []bool{false, true} {
		var out, errb bytes.Buffer
		code := Main(context.Background(), Env{Stdout: &out, Stderr: &errb, Terminal: tty}, []string{"calib", "--model", model, "--images", data, "-o", filepath.Join(t.TempDir(), "c.txt")})
		if code != 0 {
			t.Fatalf("calib: exit %d: %s", code, errb.String())
		}
		if got := strings.Contains(errb.String(), "\r"); got != tty {
			t.Errorf("terminal %v: carriage returns in stderr: %v\n%q", tty, got, errb.String())
		}
		if !strings.Contains(errb.String(), "done: 2 in") {
			t.Errorf("terminal %v: no final progress line in %q", tty, errb.String())
		}
	}
}
