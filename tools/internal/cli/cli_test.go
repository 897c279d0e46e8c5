package cli

import (
	"bytes"
	"context"
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
		})
	}
}
