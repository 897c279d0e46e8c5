package cli

import (
	"strings"
	"testing"
)

// TestFq: the chip's arithmetic on given numbers. nnie 8-bit on 0..9 and
// on −9, 0..3 prints HiSilicon's GFPQ reference values; svp rounds on its
// uniform grid and clamps; mistakes are one-line errors naming the flag.
func TestFq(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string // each must appear, in order
	}{
		{"nnie 8-bit, GFPQ's reference vector", []string{"fq", "--chip", "nnie", "--bits", "8", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}, 0,
			[]string{"clip 8.7240619659", "\n0 ", "0x80", "\n3 ", "2.9536523819", "\n5 ", "4.9674310684", "\n6 ", "5.9073047638", "\n7 ", "7.0250086784", "\n8 ", " 8 ", "\n9 ", "8.7240619659", "0x7f"}},
		{"negative values need no --", []string{"fq", "--chip", "nnie", "-9", "0", "3"}, 0, []string{"\n-9 ", "-8.7240619659", "0xff", "\n3 ", "2.9536523819"}},
		{"nnie with a given clip clamps", []string{"fq", "--chip", "nnie", "--clip", "4", "100"}, 0, []string{"clip 4 (given)", "\n100 ", " 4 ", "0x7f"}},
		{"nnie 16-bit", []string{"fq", "--chip", "nnie", "--bits", "16", "--nnie16", "log1.5.7", "1", "9"}, 0, []string{"reading log1.5.7", "\n1 ", " 1\n"}},
		{"svp 8-bit", []string{"fq", "--chip", "svp", "--scale", "12.7", "-9", "1", "20"}, 0, []string{"step 0.0787401575", "\n-9 ", "-8.9763774872", "-114", "\n20 ", " 10 ", "127"}},
		{"svp scale from the values", []string{"fq", "--chip", "svp", "--bits", "16", "-2", "1"}, 0, []string{"svp S16", "symmetric for the values' largest magnitude 2", "\n-2 ", "-2 ", "-32767"}},
		{"no values", []string{"fq", "--chip", "nnie"}, 2, []string{"Usage"}},
		// --chip defaults to svp, as in every other command (it was nnie).
		{"svp by default", []string{"fq", "--scale", "12.7", "1"}, 0, []string{"svp S8", "step 0.0787401575"}},
		{"bad value", []string{"fq", "1", "x"}, 1, []string{`value "x": want a number`}},
		{"bad bits", []string{"fq", "--bits", "4", "1"}, 1, []string{"--bits 4: want 8 or 16"}},
		{"bad chip", []string{"fq", "--chip", "npu", "1"}, 1, []string{`--chip "npu": want nnie or svp`}},
		{"clip on svp", []string{"fq", "--chip", "svp", "--clip", "2", "1"}, 1, []string{"--clip and --nnie16 are nnie's"}},
		{"scale on nnie", []string{"fq", "--chip", "nnie", "--scale", "2", "1"}, 1, []string{"--scale and --offset are svp's"}},
		{"zero clip", []string{"fq", "--chip", "nnie", "--clip", "0", "1"}, 1, []string{"--clip: clip 0: want a positive"}},
		{"all zeros, no clip", []string{"fq", "--chip", "nnie", "0", "0"}, 1, []string{"every value is zero", "give --clip"}},
		{"bad 16-bit reading", []string{"fq", "--chip", "nnie", "--bits", "16", "--nnie16", "1.5.7", "1"}, 1, []string{`--nnie16: 16-bit format "1.5.7"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := run(t, tc.args...)
			out := stdout + stderr
			if code != tc.code {
				t.Fatalf("exit %d, want %d:\n%s", code, tc.code, out)
			}
			rest := out
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("%q missing (in order) from:\n%s", w, out)
				}
				rest = rest[i+len(w):]
			}
			if tc.code == 1 && strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("error is not one line: %q", stderr)
			}
		})
	}
}
