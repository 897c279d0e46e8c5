package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nniescope/nniescope/internal/demoframes"
	"github.com/nniescope/nniescope/internal/testassets"
	"github.com/nniescope/nniescope/shared/synth"
)

// TestShardsMergeToOneRun: three shards of an uneven split (7 images),
// merged, give the unsharded run's table to the last digit and the same
// COCO results files, byte for byte; merging a wrong set of shards is a
// one-line error naming what is wrong.
func TestShardsMergeToOneRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the model")
	}
	model, data := demoData(t, 7)
	dir := t.TempDir()
	c8 := filepath.Join(dir, "int8.txt")
	if code, _, stderr := run(t, "calib", "--model", model, "--images", data, "--bits", "8", "-o", c8); code != 0 {
		t.Fatal(stderr)
	}
	variants := []string{"--variant", "float", "--variant", "int8=" + c8}
	evalArgs := append([]string{"eval", "--model", model, "--data", data}, variants...)
	one, oneRes := filepath.Join(dir, "one.json"), filepath.Join(dir, "one")
	if code, _, stderr := run(t, append(evalArgs, "--json", one, "--results", oneRes)...); code != 0 {
		t.Fatal(stderr)
	}
	var shards []string
	for _, k := range []string{"2", "0", "1"} {
		out := filepath.Join(dir, "shard"+k+".json")
		code, stdout, stderr := run(t, append(evalArgs, "--shard", k+"/3", "--shard-out", out)...)
		if code != 0 || !strings.Contains(stdout, "nothing scored") {
			t.Fatalf("shard %s: exit %d\n%s%s", k, code, stdout, stderr)
		}
		shards = append(shards, out)
	}
	merged, mergedRes := filepath.Join(dir, "merged.json"), filepath.Join(dir, "merged")
	mergeArgs := []string{"eval", "merge", "--model", model, "--data", data}
	if code, _, stderr := run(t, append(append(mergeArgs, shards...), "--json", merged, "--results", mergedRes)...); code != 0 {
		t.Fatal(stderr)
	}
	read := func(p string) evalOutput {
		var o evalOutput
		b, err := os.ReadFile(p)
		if err != nil || json.Unmarshal(b, &o) != nil {
			t.Fatalf("%s: %v", p, err)
		}
		return o
	}
	a, b := read(one), read(merged)
	if len(a.Variants) != 2 || len(b.Variants) != 2 || a.Images != 7 || b.Images != 7 {
		t.Fatalf("unsharded %+v\nmerged %+v", a, b)
	}
	for i := range a.Variants {
		x, y := a.Variants[i], b.Variants[i]
		if x.Name != y.Name || x.AP != y.AP || x.AP50 != y.AP50 || x.AP75 != y.AP75 || *x.BoxShiftPx != *y.BoxShiftPx || *x.Matched != *y.Matched || x.Points != y.Points || x.Coverage != y.Coverage {
			t.Errorf("variant %d: unsharded %+v, merged %+v", i, x, y)
		}
		// The val-style views merge exactly too, names included.
		xj, _ := json.Marshal([]any{x.Classes, x.PR50, x.Confusion})
		yj, _ := json.Marshal([]any{y.Classes, y.PR50, y.Confusion})
		if string(xj) != string(yj) || len(x.Classes) == 0 || x.Classes[0].Name == "" {
			t.Errorf("variant %d: per-class, PR and confusion differ (or are unnamed): unsharded %s, merged %s", i, xj, yj)
		}
	}
	if strings.Join(a.Names, ",") != strings.Join(b.Names, ",") || len(b.Names) == 0 {
		t.Errorf("names: unsharded %v, merged %v", a.Names, b.Names)
	}
	for _, f := range []string{"gt.json", "float.json", "int8.json"} {
		x, err1 := os.ReadFile(filepath.Join(oneRes, f))
		y, err2 := os.ReadFile(filepath.Join(mergedRes, f))
		if err1 != nil || err2 != nil || string(x) != string(y) {
			t.Errorf("%s differs between the unsharded run and the merge (%v %v)", f, err1, err2)
		}
	}
	other := filepath.Join(dir, "other")
	if err := synth.WriteDataset(other, demoframes.Seed, 0, 6, demoframes.SrcW, demoframes.SrcH); err != nil {
		t.Fatal(err)
	}
	otherModel := filepath.Join(dir, "other.onnx")
	b0, _ := os.ReadFile(model)
	os.WriteFile(otherModel, append(b0, 0), 0o644)
	// Shards whose variant is named "../escaped": the merge wrote
	// DIR/../escaped.json, outside --results.
	var evil []string
	for i, sh := range shards {
		b, err := os.ReadFile(sh)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), `"int8"`) {
			t.Fatalf("%s does not name the int8 variant as expected", sh)
		}
		p := filepath.Join(dir, fmt.Sprintf("evil%d.json", i))
		if err := os.WriteFile(p, []byte(strings.ReplaceAll(string(b), `"int8"`, `"../escaped"`)), 0o644); err != nil {
			t.Fatal(err)
		}
		evil = append(evil, p)
	}
	evilRes := filepath.Join(dir, "evil", "results")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"a variant name that escapes --results", append(append(mergeArgs, evil...), "--results", evilRes), `variant name "../escaped" cannot name a file in --results`},
		{"a shard missing", append(mergeArgs, shards[:2]...), "shards 1 of 3 are missing"},
		{"a shard twice", append(mergeArgs, shards[0], shards[1], shards[2], shards[0]), "are both shard 2/3"},
		{"another model", []string{"eval", "merge", "--model", otherModel, "--data", data, shards[0], shards[1], shards[2]}, "is not the model the shards ran"},
		{"another dataset", []string{"eval", "merge", "--model", model, "--data", other, shards[0], shards[1], shards[2]}, "has 6 images; the shards ran on 7"},
		{"not a shard", append(mergeArgs, c8), "not a shard file"},
		{"K past N", append(evalArgs, "--shard", "3/3", "--shard-out", "x"), `--shard "3/3": want K/N with 0 ≤ K < N`},
		{"no shard file", append(evalArgs, "--shard", "0/3"), "--shard needs --shard-out FILE"},
		{"scoring a shard", append(evalArgs, "--shard", "0/3", "--shard-out", "x", "--md"), "a shard scores nothing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := run(t, tc.args...)
			if code != 1 || !strings.Contains(stderr, tc.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("exit %d, stderr %q; want one line with %q", code, stderr, tc.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "evil", "escaped.json")); err == nil {
		t.Error("the merge wrote evil/escaped.json, outside --results")
	}
}

// TestParallelExample runs examples/shards/parallel.sh (GNU parallel, 3
// shards two at a time) with a freshly built nniescope on PATH: its merge
// gives the unsharded AP.
func TestParallelExample(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the CLI and runs the model")
	}
	testassets.Tool(t, "parallel", "parallel")
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "nniescope"), "github.com/nniescope/nniescope/tools/cmd/nniescope")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	model, data := demoData(t, 5)
	out := filepath.Join(t.TempDir(), "shards")
	script, err := filepath.Abs(filepath.Join("..", "..", "..", "examples", "shards", "parallel.sh"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", script, "--variant", "float")
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "MODEL="+model, "DATA="+data, "N=3", "J=2", "OUT="+out, "HOME="+t.TempDir())
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("parallel.sh: %v\n%s", err, b)
	}
	one := filepath.Join(t.TempDir(), "one.json")
	if code, _, stderr := run(t, "eval", "--model", model, "--data", data, "--variant", "float", "--json", one); code != 0 {
		t.Fatal(stderr)
	}
	var a, b evalOutput
	for p, o := range map[string]*evalOutput{one: &a, filepath.Join(out, "eval.json"): &b} {
		raw, err := os.ReadFile(p)
		if err != nil || json.Unmarshal(raw, o) != nil || len(o.Variants) != 1 {
			t.Fatalf("%s: %v", p, err)
		}
	}
	if a.Variants[0].AP != b.Variants[0].AP || a.Variants[0].AP50 != b.Variants[0].AP50 {
		t.Fatalf("unsharded AP %v/%v, parallel.sh's merge %v/%v", a.Variants[0].AP, a.Variants[0].AP50, b.Variants[0].AP, b.Variants[0].AP50)
	}
}

// TestPhaseBarsStartOver: a search phase run twice (two evaluations of
// the same size) gets a bar of its own the second time, so its time and
// ETA count from its own start, not the first run's.
func TestPhaseBarsStartOver(t *testing.T) {
	var out bytes.Buffer
	p := &phases{w: &out, bars: map[string]*progress{}}
	var starts []*progress
	for range 2 {
		for done := 1; done <= 3; done++ {
			p.update("AP 1 layer(s)", done, 3)
			if done == 1 {
				starts = append(starts, p.bars["AP 1 layer(s)"])
			}
		}
	}
	if starts[0] == starts[1] {
		t.Fatal("the second run of a phase reused the first run's bar: its time would be the sum of both")
	}
	if n := strings.Count(out.String(), "AP 1 layer(s)      done: 3 in "); n != 2 {
		t.Fatalf("%d finished bars for two runs:\n%q", n, out.String())
	}
}
