// Command testsummary reads `go test -json` on stdin and prints what plain
// `go test` prints (package lines, the output of failing tests) as it
// arrives, then a closing summary: how many tests passed, failed and were
// skipped, and why they were skipped, in one line. `go tool task test`
// pipes every go test run through it.
//
// With -tally FILE the counts accumulate in FILE across invocations and
// nothing is summarised; -tally FILE -report prints the summary of them all
// (scripts/test.sh runs go test twice: pure Go, then the cgo bindings). It
// exits 1 when anything failed.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strings"

	"github.com/nniescope/nniescope/internal/testassets"
)

func main() {
	tally := flag.String("tally", "", "file that accumulates counts across runs (created if missing)")
	report := flag.Bool("report", false, "read nothing: print the summary of the -tally file")
	flag.Parse()
	var t Tally
	if *tally != "" {
		if err := t.load(*tally); err != nil {
			fmt.Fprintln(os.Stderr, "testsummary:", err)
			os.Exit(2)
		}
	}
	if *report {
		t.Summary(os.Stdout)
		if t.Failed > 0 || t.FailedPackages > 0 {
			os.Exit(1)
		}
		return
	}
	run := t.Read(os.Stdin, os.Stdout)
	if *tally != "" {
		if err := t.save(*tally); err != nil {
			fmt.Fprintln(os.Stderr, "testsummary:", err)
			os.Exit(2)
		}
	}
	if *tally == "" {
		t.Summary(os.Stdout)
	}
	if run.Failed > 0 || run.FailedPackages > 0 {
		os.Exit(1)
	}
}

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

// Tally is the suite's counts; Skips maps a skip reason to the tests
// skipped for it.
type Tally struct {
	Passed, Failed, Skipped int
	// FailedPackages counts packages that failed with no failing test
	// (a build failure, a panic outside a test, a timeout).
	FailedPackages int
	Skips          map[string][]string
}

type testKey struct{ pkg, test string }

// Read consumes one go test -json stream, echoing what plain go test would
// show to w, and returns the counts of this stream alone (also added to t).
func (t *Tally) Read(r io.Reader, w io.Writer) Tally {
	var run Tally
	out := map[testKey][]string{}
	done := map[testKey]bool{}
	pkgFailedTests := map[string]int{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if err := json.Unmarshal(line, &e); err != nil || e.Action == "" {
			// Not an event (go vet or the toolchain writing to stdout).
			fmt.Fprintf(w, "%s\n", line)
			continue
		}
		k := testKey{e.Package, e.Test}
		switch e.Action {
		case "build-output":
			io.WriteString(w, e.Output)
		case "output":
			if e.Test == "" {
				if e.Output != "PASS\n" && e.Output != "FAIL\n" && !strings.HasPrefix(e.Output, "=== ") {
					io.WriteString(w, e.Output)
				}
				continue
			}
			out[k] = append(out[k], e.Output)
		case "pass":
			if e.Test != "" {
				run.Passed++
				done[k] = true
				delete(out, k)
			}
		case "skip":
			if e.Test != "" {
				run.Skipped++
				done[k] = true
				run.addSkip(skipReason(out[k]), e.Package+"."+e.Test)
				delete(out, k)
			}
		case "fail":
			if e.Test != "" {
				run.Failed++
				done[k] = true
				pkgFailedTests[e.Package]++
				writeTestOutput(w, out[k])
				delete(out, k)
				continue
			}
			// The package failed. Tests that never finished (a panic, a
			// timeout) still hold their output: show it, it is the story.
			var open []testKey
			for k := range out {
				if k.pkg == e.Package && !done[k] {
					open = append(open, k)
				}
			}
			sort.Slice(open, func(i, j int) bool { return open[i].test < open[j].test })
			for _, k := range open {
				writeTestOutput(w, out[k])
				delete(out, k)
			}
			if pkgFailedTests[e.Package] == 0 {
				run.FailedPackages++
			}
		}
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintln(w, "testsummary: reading go test output:", err)
		run.FailedPackages++
	}
	t.add(run)
	return run
}

func writeTestOutput(w io.Writer, lines []string) {
	for _, l := range lines {
		if strings.HasPrefix(l, "=== RUN") || strings.HasPrefix(l, "=== PAUSE") || strings.HasPrefix(l, "=== CONT") || strings.HasPrefix(l, "=== NAME") {
			continue
		}
		io.WriteString(w, l)
	}
}

// skipReason is the line a skipped test logged last, without its
// file:line prefix; a missing asset or tool is reduced to its kind so that
// they group.
func skipReason(lines []string) string {
	reason := "no reason given"
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "=== ") || strings.HasPrefix(l, "--- SKIP") {
			continue
		}
		if i := strings.Index(l, ": "); i > 0 && strings.Contains(l[:i], ".go:") {
			l = l[i+2:]
		}
		reason = l
	}
	return reason
}

func (t *Tally) addSkip(reason, test string) {
	if t.Skips == nil {
		t.Skips = map[string][]string{}
	}
	t.Skips[reason] = append(t.Skips[reason], test)
}

func (t *Tally) add(o Tally) {
	t.Passed += o.Passed
	t.Failed += o.Failed
	t.Skipped += o.Skipped
	t.FailedPackages += o.FailedPackages
	for r, ts := range o.Skips {
		for _, x := range ts {
			t.addSkip(r, x)
		}
	}
}

// Summary writes the skip line (when anything was skipped) and the closing
// count line.
func (t *Tally) Summary(w io.Writer) {
	if t.Skipped > 0 {
		fmt.Fprintf(w, "skipped %d: %s\n", t.Skipped, t.skipLine())
	}
	failed := t.Failed + t.FailedPackages
	fmt.Fprintf(w, "%d passed, %d failed, %d skipped\n", t.Passed, failed, t.Skipped)
}

// skipLine groups the reasons: tests skipped for missing assets count
// together with the first few assets named, the same for tools, and every
// other reason with its count.
func (t *Tally) skipLine() string {
	type group struct {
		label string
		n     int
		items []string
	}
	assets := &group{label: "need licensed test assets (set " + testassets.FullEnv + "=1 with ../shared beside the checkout to run them)"}
	tools := &group{label: "need programs `go tool task deps` installs"}
	others := map[string]int{}
	for r, ts := range t.Skips {
		switch {
		case strings.HasPrefix(r, testassets.MissingAsset+" "):
			assets.n += len(ts)
			assets.items = appendUniq(assets.items, firstWord(strings.TrimPrefix(r, testassets.MissingAsset+" ")))
		case strings.HasPrefix(r, testassets.MissingTool+" "):
			tools.n += len(ts)
			tools.items = appendUniq(tools.items, strings.SplitN(strings.TrimPrefix(r, testassets.MissingTool+" "), ":", 2)[0])
		default:
			others[r] += len(ts)
		}
	}
	var parts []string
	for _, g := range []*group{assets, tools} {
		if g.n == 0 {
			continue
		}
		sort.Strings(g.items)
		named := g.items
		more := ""
		if len(named) > 4 {
			more = fmt.Sprintf(" and %d more", len(named)-4)
			named = named[:4]
		}
		parts = append(parts, fmt.Sprintf("%d %s: %s%s", g.n, g.label, strings.Join(named, ", "), more))
	}
	var rs []string
	for r := range others {
		rs = append(rs, r)
	}
	sort.Strings(rs)
	for _, r := range rs {
		parts = append(parts, fmt.Sprintf("%d %q", others[r], r))
	}
	return strings.Join(parts, "; ")
}

func firstWord(s string) string {
	if i := strings.IndexAny(s, " :"); i > 0 {
		return s[:i]
	}
	return s
}

func appendUniq(xs []string, x string) []string {
	for _, y := range xs {
		if y == x {
			return xs
		}
	}
	return append(xs, x)
}

func (t *Tally) load(path string) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, t); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func (t *Tally) save(path string) error {
	b, err := json.Marshal(t)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}
