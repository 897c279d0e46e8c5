package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/nniescope/nniescope/internal/demoframes"
	"github.com/nniescope/nniescope/internal/wasmbuild"
	"github.com/nniescope/nniescope/shared/calib"
	"github.com/nniescope/nniescope/shared/recording"
	"github.com/nniescope/nniescope/shared/wire"
	"github.com/nniescope/nniescope/shared/yolo"
)

// truthFixture is what the mistakes table runs on: the demo model, labelled
// synthetic scenes, the same images without labels, full 8- and 16-bit
// calibration files, one holding only the first five records, and a
// recording cut off in its last message.
type truthFixture struct {
	model, data, noLabels  string
	c8, c16, partial, trun string
	dir                    string
	modelLink              string // a symlink to model
}

func newTruthFixture(t *testing.T) truthFixture {
	t.Helper()
	model, data := demoData(t, 3)
	dir := t.TempDir()
	fx := truthFixture{model: model, data: data, dir: dir, modelLink: filepath.Join(dir, "link.txt")}
	if err := os.Symlink(model, fx.modelLink); err != nil {
		t.Fatal(err)
	}
	fx.noLabels = filepath.Join(dir, "nolabels")
	os.MkdirAll(filepath.Join(fx.noLabels, "images"), 0o755)
	b, _ := os.ReadFile(filepath.Join(data, "images", "000000.png"))
	os.WriteFile(filepath.Join(fx.noLabels, "images", "000000.png"), b, 0o644)
	for bits, p := range map[string]*string{"8": &fx.c8, "16": &fx.c16} {
		*p = filepath.Join(dir, "int"+bits+".txt")
		if code, _, stderr := run(t, "calib", "--model", model, "--images", data, "--bits", bits, "-o", *p); code != 0 {
			t.Fatalf("calib %s: %s", bits, stderr)
		}
	}
	full, err := calib.Load(fx.c8)
	if err != nil {
		t.Fatal(err)
	}
	fx.partial = filepath.Join(dir, "partial.txt")
	var first []calib.Layer
	for _, l := range full.Layers()[:5] {
		first = append(first, *l)
	}
	part, err := calib.New(first)
	if err != nil {
		t.Fatal(err)
	}
	if err := part.Save(fx.partial); err != nil {
		t.Fatal(err)
	}
	fx.trun = writeCutRecording(t, dir)
	return fx
}

// writeCutRecording writes two result messages of the demo model's heads
// with no index, the second cut short, as a board killed mid-write leaves
// a recording.
func writeCutRecording(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "cut.nsw")
	var buf bytes.Buffer
	for i, req := range demoframes.Requests(t)[:2] {
		r, err := yolo.ParseRequest(req)
		if err != nil {
			t.Fatal(err)
		}
		res := &wire.Result{Header: wire.Header{Seq: uint64(i + 1)}, Variant: "float",
			Geometry: r.Geometry}
		for k, raw := range r.Tensors {
			res.Tensors = append(res.Tensors, wire.Tensor{Name: demoframes.HeadOutputs()[k], Raw: raw})
		}
		msg := wire.AppendResult(nil, res)
		var n [4]byte
		n[0], n[1], n[2], n[3] = byte(len(msg)), byte(len(msg)>>8), byte(len(msg)>>16), byte(len(msg)>>24)
		buf.Write(n[:])
		buf.Write(msg)
	}
	b := buf.Bytes()
	if err := os.WriteFile(path, b[:len(b)-1000], 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := recording.Open(path)
	if err != nil || r.Len() != 1 || !r.Recovered {
		t.Fatalf("the cut recording should open with one message: %v", err)
	}
	r.Close()
	return path
}

// TestCommandMistakes runs each command with a mistake a new user makes
// and checks the answer: the exit code, and a message that names the flag,
// file or field and says what was expected.
func TestCommandMistakes(t *testing.T) {
	fx := newTruthFixture(t)
	// An atc_perf.csv of another model: 1 of its 10 records names a node.
	otherPerf := filepath.Join(fx.dir, "other_atc_perf.csv")
	perf := "Net Id, Layer Id,Profile Layer Id,Layer Name,Layer Type,DLD DDR Read(byte),DSTR DDR Write(byte),WLD DDR Read(byte),Original Ops(Times),Core Ops(Times)\nNetNnn0,Total,--,--,--,1,1,1,1,1\n" +
		"NetNnn0,Layer1,0,/model.0/conv/Conv,Convolution,0,400000,216,100,300000000\n"
	for i := range 9 {
		perf += fmt.Sprintf("NetNnn0,Layer%d,0,/elsewhere/conv%d,Convolution,0,4000,216,100,3000000\n", i+2, i)
	}
	if err := os.WriteFile(otherPerf, []byte(perf), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string // in stderr, or stdout for help
		not  []string
	}{
		{"run without --image", []string{"run", "--model", fx.model}, 2, []string{"missing --image (JPEG or PNG image)"}, nil},
		{"search without --calib16", []string{"search", "--model", fx.model, "--calib8", fx.c8, "--data", fx.data, "-o", filepath.Join(fx.dir, "m.txt")}, 2, []string{"missing --calib16"}, nil},
		{"eval without --variant", []string{"eval", "--model", fx.model, "--data", fx.data}, 2, []string{"missing --variant"}, nil},
		{"run --help shows defaults as written", []string{"run", "--help"}, 0, []string{"(default 0.7)", "(default 0.25)"}, []string{"0.6999"}},
		{"demo --help names the board flag's type", []string{"demo", "--help"}, 0, []string{"-board string"}, []string{"-board go run"}},
		{"calib diff --help", []string{"calib", "diff", "--help"}, 0, []string{"calib diff a.txt b.txt"}, nil},
		{"calib diff with one file", []string{"calib", "diff", fx.c8}, 2, []string{"want two calibration files, have 1"}, nil},
		{"calib splice of a missing file says calib once", []string{"calib", "splice", "--base", filepath.Join(fx.dir, "none.txt"), "--from", fx.c16, "--layer", "/model.22/Mul_2", "-o", filepath.Join(fx.dir, "s.txt")}, 1, []string{"none.txt"}, []string{"calib: calib:"}},
		{"a model passed as --image", []string{"run", "--model", fx.model, "--image", fx.model}, 1, []string{"demo.onnx: not an image (want a JPEG or PNG file)"}, nil},
		{"eval on a folder that does not exist", []string{"eval", "--model", fx.model, "--data", filepath.Join(fx.dir, "nope"), "--variant", "float"}, 1, []string{"nope does not exist"}, []string{"empty"}},
		{"eval on images without labels", []string{"eval", "--model", fx.model, "--data", fx.noLabels, "--variant", "float"}, 1, []string{"no ground truth", "no labels/ folder"}, []string{"-1.000"}},
		{"eval with a partial calibration file", []string{"eval", "--model", fx.model, "--data", fx.data, "--variant", fx.partial}, 1, []string{"partial.txt has no record for", "--allow-missing-records"}, nil},
		{"layers with a partial calibration file", []string{"layers", "--model", fx.model, "--calib", fx.partial, "--images", fx.data}, 1, []string{"partial.txt has no record for", "--allow-missing-records"}, nil},
		{"search with a partial calibration file", []string{"search", "--model", fx.model, "--calib8", fx.partial, "--calib16", fx.c16, "--data", fx.data, "-o", filepath.Join(fx.dir, "m.txt")}, 1, []string{"partial.txt has no record for", "--allow-missing-records"}, nil},
		{"search with the 8- and 16-bit files swapped", []string{"search", "--model", fx.model, "--calib8", fx.c16, "--calib16", fx.c8, "--data", fx.data, "-o", filepath.Join(fx.dir, "m.txt")}, 1, []string{"--calib8 " + fx.c16 + " is a 16-bit calibration", "swapped"}, []string{"reference int16 AP"}},
		{"an ONNX given as a calibration file", []string{"eval", "--model", fx.model, "--data", fx.data, "--variant", "int8=" + fx.model}, 1, []string{"demo.onnx: not a calibration file: binary content (an ONNX model?)"}, []string{"unexpected character"}},
		// Outputs are checked before the work: these calibrated or evaluated
		// for seconds to minutes and then failed on the path.
		{"calib to a folder that does not exist", []string{"calib", "--model", fx.model, "--images", fx.data, "-o", filepath.Join(fx.dir, "nope", "int8.txt")}, 1, []string{"-o " + filepath.Join(fx.dir, "nope", "int8.txt") + ": cannot write there: the folder " + filepath.Join(fx.dir, "nope") + " does not exist"}, []string{"calib  ", "done:"}},
		{"eval --html to a folder that does not exist", []string{"eval", "--model", fx.model, "--data", fx.data, "--variant", "float", "--html", filepath.Join(fx.dir, "nope", "r.html")}, 1, []string{"--html " + filepath.Join(fx.dir, "nope", "r.html") + ": cannot write there"}, []string{"done:"}},
		{"search -o onto a folder", []string{"search", "--model", fx.model, "--calib8", fx.c8, "--calib16", fx.c16, "--data", fx.data, "-o", fx.dir}, 1, []string{"-o " + fx.dir + ": is a folder: want a file name"}, []string{"reference int16 AP"}},
		// An output must not overwrite an input or another output.
		{"search --json onto the model", []string{"search", "--model", fx.model, "--calib8", fx.c8, "--calib16", fx.c16, "--data", fx.data, "-o", filepath.Join(fx.dir, "m.txt"), "--json", fx.model}, 1, []string{"--json " + fx.model + " is the input --model: refusing to overwrite an input"}, nil},
		{"eval --json and --html on one file", []string{"eval", "--model", fx.model, "--data", fx.data, "--variant", "float", "--json", filepath.Join(fx.dir, "r.out"), "--html", filepath.Join(fx.dir, "r.out")}, 1, []string{"--json and --html both name"}, nil},
		{"calib -o through a symlink to the model", []string{"calib", "--model", fx.model, "--images", fx.data, "-o", fx.modelLink}, 1, []string{"is the input --model"}, nil},
		// It was taken silently, the match count visible only in the JSON.
		{"layers --atc-perf of another model", []string{"layers", "--model", fx.model, "--calib", fx.c8, "--images", fx.data, "--max-images", "1", "--atc-perf", otherPerf, "--json", filepath.Join(fx.dir, "l.json")}, 0, []string{"only 1 of its 10 layer records name a node of this model"}, nil},
		{"eval --json onto a --variant's calibration file", []string{"eval", "--model", fx.model, "--data", fx.data, "--variant", "int8=" + fx.c8, "--json", fx.c8}, 1, []string{"--json " + fx.c8 + " is the input --variant int8=" + fx.c8}, nil},
		{"eval --results with a variant name it cannot write, before the work", []string{"eval", "--model", fx.model, "--data", fx.data, "--variant", "float", "--variant", "my int8=" + fx.c8, "--results", filepath.Join(fx.dir, "res")}, 1, []string{`variant name "my int8" cannot name a file in --results`}, []string{"done:"}},
		{"--json /dev/null is a fine output", []string{"eval", "--model", fx.model, "--data", fx.data, "--variant", "float", "--json", "/dev/null"}, 0, []string{"float"}, []string{"cannot write"}},
		{"calib without -o names -o", []string{"calib", "--model", fx.model, "--images", fx.data}, 2, []string{"missing -o ("}, []string{"missing --o"}},
		{"search whose target all 8-bit meets lists no proxy", []string{"search", "--model", fx.model, "--calib8", fx.c8, "--calib16", fx.c16, "--data", fx.data, "--max-drop", "100", "-o", filepath.Join(fx.dir, "m.txt")}, 0, []string{"all 8-bit already reaches the target: no layer needs 16-bit"}, []string{"top of the sensitivity proxy"}},
		{"replay of a cut-off recording", []string{"replay", "--recording", fx.trun}, 0, []string{"cut.nsw: no index", "kept the 1 complete message(s), dropped bytes"}, nil},
		{"replay --help says what a recording is", []string{"replay", "--help"}, 0, []string{".nsw", "default: the one built into this binary"}, []string{"recording directory (index.json"}},
		{"replay of a recording with a board error and an unknown kind", []string{"replay", "--recording", writeOddRecording(t, fx.dir)}, 1, []string{`could not process frame "bad.png": jpeg: too large`, "message 2 is of unknown kind 9"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := run(t, tc.args...)
			all := stderr + stdout
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstderr: %s", code, tc.code, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("output lacks %q:\n%s", w, all)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(all, w) {
					t.Errorf("output has %q:\n%s", w, all)
				}
			}
		})
	}
}

// TestMissingRecordsAllowed: with --allow-missing-records a partial file
// runs, stderr names how many layers stay float, and the table's coverage
// column says how much of the file was there; a full file says full.
func TestMissingRecordsAllowed(t *testing.T) {
	fx := newTruthFixture(t)
	code, stdout, stderr := run(t, "eval", "--model", fx.model, "--data", fx.data, "--variant", fx.partial, "--variant", fx.c8, "--allow-missing-records")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "conv/matmul layers have no record and are simulated as float (--allow-missing-records)") {
		t.Errorf("stderr does not say which layers stay float:\n%s", stderr)
	}
	var partial, full string
	for _, l := range strings.Split(stdout, "\n") {
		switch {
		case strings.HasPrefix(l, "partial "):
			partial = l
		case strings.HasPrefix(l, "int8 "):
			full = l
		}
	}
	if !strings.Contains(partial, "4/") || strings.Contains(partial, " 0/") {
		t.Errorf("partial row %q: want 4 of the file's records used (5 minus the input's)", partial)
	}
	// The full file: every record and every conv covered (n/n twice).
	f := strings.Fields(full)
	if len(f) < 5 {
		t.Fatalf("full row %q", full)
	}
	recs, convs := f[len(f)-5], f[len(f)-3] // "n/n records, n/n conv/matmul layers"
	if a, b, ok := strings.Cut(recs, "/"); !ok || a != b {
		t.Errorf("full file records %q, want n/n", recs)
	}
	if a, b, ok := strings.Cut(convs, "/"); !ok || a != b {
		t.Errorf("full file conv layers %q, want n/n", convs)
	}
}

// cancelOnWrite cancels a context when the command first draws its
// progress bar: an interrupt in the middle of the run, without timing.
type cancelOnWrite struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	cancel context.CancelFunc
}

func (c *cancelOnWrite) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if bytes.Contains(p, []byte("[")) {
		c.cancel()
	}
	return c.buf.Write(p)
}

// TestInterruptBlamesNoImage: Ctrl-C during eval or calib says where the
// run stopped, names no image, and starts on a line of its own.
func TestInterruptBlamesNoImage(t *testing.T) {
	fx := newTruthFixture(t)
	for _, args := range [][]string{
		{"eval", "--model", fx.model, "--data", fx.data, "--variant", "float"},
		{"calib", "--model", fx.model, "--images", fx.data, "--bits", "8", "-o", filepath.Join(fx.dir, "x.txt")},
	} {
		t.Run(args[0], func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			w := &cancelOnWrite{cancel: cancel}
			// On a terminal, where the bar's line is open when the error
			// comes; an interrupt exits 130 (ExitInterrupted).
			code := Main(ctx, Env{Stdout: &bytes.Buffer{}, Stderr: w, Terminal: true}, args)
			msg := w.buf.String()
			if code != ExitInterrupted || !strings.Contains(msg, "stopped after ") || !strings.Contains(msg, "context canceled") {
				t.Fatalf("exit %d, stderr %q: want where it stopped", code, msg)
			}
			if strings.Contains(msg, ".png") {
				t.Errorf("an interrupt blames an image: %q", msg)
			}
			if !strings.Contains(msg, "\nnniescope "+args[0]+": ") {
				t.Errorf("the error is printed on the progress line: %q", msg)
			}
		})
	}
}

// TestReplayOutsideTheCheckout: replay needs no module file by default (the
// binary carries the one it was built with), so it works from any folder.
func TestReplayOutsideTheCheckout(t *testing.T) {
	wasmbuild.Embedded(t)
	rec := writeCutRecording(t, t.TempDir())
	t.Chdir(t.TempDir())
	code, stdout, stderr := run(t, "replay", "--recording", rec)
	if code != 0 || !strings.Contains(stdout, "float") || !strings.Contains(stdout, "1 frames") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
}

// writeOddRecording writes a recording holding a board error event, a
// result, and a message of a kind this reader does not know.
func writeOddRecording(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "odd.nsw")
	w, err := recording.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(wire.AppendError(nil, &wire.Error{Header: wire.Header{Seq: 1, Count: 1, Source: "bad.png"}, Text: "jpeg: too large"}))
	r, err := yolo.ParseRequest(demoframes.Requests(t)[0])
	if err != nil {
		t.Fatal(err)
	}
	res := &wire.Result{Header: wire.Header{Seq: 2, Count: 1, Source: "000000.png"}, Variant: "float", Layout: r.Layout,
		Geometry: r.Geometry}
	for k, raw := range r.Tensors {
		res.Tensors = append(res.Tensors, wire.Tensor{Name: demoframes.HeadOutputs()[k], Raw: raw})
	}
	w.Write(wire.AppendResult(nil, res))
	odd := wire.AppendImage(nil, &wire.Image{Header: wire.Header{Seq: 3, Count: 1}, MIME: "x"})
	odd[6] = 9 // the kind field
	w.Write(odd)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}
