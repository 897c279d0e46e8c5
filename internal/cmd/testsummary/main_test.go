package main

import (
	"strings"
	"testing"
)

func TestRead(t *testing.T) {
	const pkg = `"Package":"p"`
	ev := func(action, test, output string) string {
		s := `{"Action":"` + action + `",` + pkg
		if test != "" {
			s += `,"Test":"` + test + `"`
		}
		if output != "" {
			s += `,"Output":` + quote(output)
		}
		return s + "}\n"
	}
	for _, tc := range []struct {
		name       string
		in         string
		wantOut    []string
		notOut     []string
		wantCounts string
		wantSkip   string
	}{
		{
			name: "pass and skip for an asset",
			in: ev("run", "TestA", "") + ev("output", "TestA", "=== RUN   TestA\n") + ev("output", "TestA", "    a_test.go:3: chatter\n") + ev("pass", "TestA", "") +
				ev("output", "TestB", "    x.go:9: missing test asset models/m.onnx (not in /a): licensed\n") + ev("skip", "TestB", "") +
				ev("output", "TestC", "    x.go:9: missing test asset models/m.onnx (not in /a): licensed\n") + ev("skip", "TestC", "") +
				ev("output", "TestD", "    y.go:1: missing test tool chromium: install Debian's chromium\n") + ev("skip", "TestD", "") +
				ev("output", "TestE", "    z.go:1: runs the model\n") + ev("skip", "TestE", "") +
				ev("output", "", "PASS\n") + ev("output", "", "ok  \tp\t0.1s\n") + ev("pass", "", ""),
			wantOut:    []string{"ok  \tp\t0.1s"},
			notOut:     []string{"chatter", "PASS\n"},
			wantCounts: "1 passed, 0 failed, 4 skipped",
			wantSkip:   `skipped 4: 2 need licensed test assets (set NNIESCOPE_TEST_FULL=1 with ../shared beside the checkout to run them): models/m.onnx; 1 need programs ` + "`go tool task deps`" + ` installs: chromium; 1 "runs the model"`,
		},
		{
			name:       "a failing test shows its output",
			in:         ev("output", "TestF", "=== RUN   TestF\n") + ev("output", "TestF", "    f.go:2: boom\n") + ev("output", "TestF", "--- FAIL: TestF (0.00s)\n") + ev("fail", "TestF", "") + ev("output", "", "FAIL\tp\t0.2s\n") + ev("fail", "", ""),
			wantOut:    []string{"f.go:2: boom", "--- FAIL: TestF", "FAIL\tp\t0.2s"},
			notOut:     []string{"=== RUN"},
			wantCounts: "0 passed, 1 failed, 0 skipped",
		},
		{
			name:       "a package that panics counts as a failure and shows the unfinished test",
			in:         ev("output", "TestG", "=== RUN   TestG\n") + ev("output", "TestG", "half-way\n") + ev("output", "", "panic: x\n") + ev("fail", "", ""),
			wantOut:    []string{"half-way", "panic: x"},
			wantCounts: "0 passed, 1 failed, 0 skipped",
		},
		{
			name:       "a build failure counts",
			in:         `{"ImportPath":"p","Action":"build-output","Output":"x.go:1: syntax error\n"}` + "\n" + `{"ImportPath":"p","Action":"build-fail"}` + "\n" + ev("output", "", "FAIL\tp [build failed]\n") + ev("fail", "", ""),
			wantOut:    []string{"syntax error", "[build failed]"},
			wantCounts: "0 passed, 1 failed, 0 skipped",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var tl Tally
			var out, sum strings.Builder
			tl.Read(strings.NewReader(tc.in), &out)
			tl.Summary(&sum)
			for _, w := range tc.wantOut {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
			for _, w := range tc.notOut {
				if strings.Contains(out.String(), w) {
					t.Errorf("output has %q:\n%s", w, out.String())
				}
			}
			lines := strings.Split(strings.TrimSpace(sum.String()), "\n")
			if got := lines[len(lines)-1]; got != tc.wantCounts {
				t.Errorf("closing line %q, want %q", got, tc.wantCounts)
			}
			if tc.wantSkip != "" && lines[0] != tc.wantSkip {
				t.Errorf("skip line\n %s\nwant\n %s", lines[0], tc.wantSkip)
			}
		})
	}
}

// TestTallyAccumulates: two runs through one tally file sum their counts.
func TestTallyAccumulates(t *testing.T) {
	path := t.TempDir() + "/tally.json"
	for i := 0; i < 2; i++ {
		var tl Tally
		if err := tl.load(path); err != nil {
			t.Fatal(err)
		}
		tl.Read(strings.NewReader(`{"Action":"pass","Package":"p","Test":"T"}`+"\n"+`{"Action":"output","Package":"p","Test":"S","Output":"s.go:1: why\n"}`+"\n"+`{"Action":"skip","Package":"p","Test":"S"}`+"\n"), &strings.Builder{})
		if err := tl.save(path); err != nil {
			t.Fatal(err)
		}
		if tl.Passed != i+1 || tl.Skipped != i+1 || len(tl.Skips["why"]) != i+1 {
			t.Fatalf("after run %d: %+v", i+1, tl)
		}
	}
}

func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\t", `\t`)
	return `"` + r.Replace(s) + `"`
}
