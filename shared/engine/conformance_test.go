package engine_test

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/nniescope/nniescope/internal/testassets"
	"github.com/nniescope/nniescope/shared/engine"
	"github.com/nniescope/nniescope/shared/onnx"
	"github.com/nniescope/nniescope/shared/onnx/onnxpb"
	"github.com/nniescope/nniescope/shared/tensor"
)

// TestONNXNodeConformance runs ONNX's own backend node tests (generated
// now with Debian's python3-onnx 1.12, scripts/onnx-node-tests.py; or
// read from $NNIESCOPE_ONNX_NODE_TESTS) whose nodes are all ops the
// engine supports, twice: with the inputs fed at run time as the test
// gives them, and with every input but the first made a constant (how a
// YOLO export carries weights, shapes and scales). Each must match the
// expected outputs (rtol 1e-3, atol 1e-6, as ONNX's runner allows) or be
// refused with an error that testdata/onnx-node-known.txt lists with its
// reason; a wrong answer always fails, and so does a listed test that now
// passes or a refusal the list lacks.
func TestONNXNodeConformance(t *testing.T) {
	dir := os.Getenv("NNIESCOPE_ONNX_NODE_TESTS")
	if dir == "" {
		testassets.SystemFile(t, "/usr/lib/python3/dist-packages/onnx/__init__.py", "python3-onnx")
		dir = t.TempDir()
		if out, err := exec.Command("/usr/bin/python3", filepath.Join("..", "..", "scripts", "onnx-node-tests.py"), dir).CombinedOutput(); err != nil {
			t.Fatalf("generating the node tests: %v\n%s", err, out)
		}
	}
	known := readKnown(t, filepath.Join("testdata", "onnx-node-known.txt"))
	tests, err := filepath.Glob(filepath.Join(dir, "node", "test_*"))
	if err != nil || len(tests) < 500 {
		t.Fatalf("%d node tests in %s (%v): want ONNX 1.12's ~900", len(tests), dir, err)
	}
	supported := map[string]bool{}
	for _, op := range engine.SupportedOps() {
		supported[op] = true
	}
	counts := map[string]int{}
	perOp := map[string]*[3]int{} // pass, refused, wrong per op type
	seen := map[string]bool{}
	for _, td := range tests {
		name := filepath.Base(td)
		b, err := os.ReadFile(filepath.Join(td, "model.onnx"))
		if err != nil {
			t.Fatal(err)
		}
		var mp onnxpb.ModelProto
		if err := proto.Unmarshal(b, &mp); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !allSupported(mp.Graph, supported) {
			continue
		}
		op := mp.Graph.Node[0].GetOpType()
		if len(mp.Graph.Node) > 1 {
			op = "(expanded functions)"
		}
		if perOp[op] == nil {
			perOp[op] = &[3]int{}
		}
		ins := readPBs(t, td, "input")
		outs := readPBs(t, td, "output")
		for _, mode := range []string{"runtime", "const"} {
			if mode == "const" && len(ins) < 2 {
				continue
			}
			key := name + " " + mode
			seen[key] = true
			got, err := runNodeTest(&mp, ins, mode)
			reason, listed := known[key]
			switch {
			case err == nil:
				if bad := compareOutputs(got, outs); bad != "" {
					counts["wrong"]++
					perOp[op][2]++
					t.Errorf("%s: WRONG ANSWER: %s", key, bad)
				} else if listed {
					t.Errorf("%s passes now: remove it from onnx-node-known.txt (%s)", key, reason)
				} else {
					counts["pass"]++
					perOp[op][0]++
				}
			case listed:
				counts["refused"]++
				perOp[op][1]++
			default:
				t.Errorf("%s: refused, and onnx-node-known.txt does not list it: %v", key, err)
			}
		}
	}
	for key := range known {
		if !seen[key] {
			t.Errorf("onnx-node-known.txt lists %s, which no longer runs (op unsupported, or the test is gone)", key)
		}
	}
	ops := make([]string, 0, len(perOp))
	for op := range perOp {
		ops = append(ops, op)
	}
	slices.Sort(ops)
	var tab strings.Builder
	fmt.Fprintf(&tab, "%-22s %5s %8s %6s\n", "op", "pass", "refused", "wrong")
	for _, op := range ops {
		c := perOp[op]
		fmt.Fprintf(&tab, "%-22s %5d %8d %6d\n", op, c[0], c[1], c[2])
	}
	t.Logf("ONNX node tests of supported ops (each test run with inputs at run time, and with inputs after the first as constants):\n%s%d pass, %d refused with a listed reason, %d wrong", tab.String(), counts["pass"], counts["refused"], counts["wrong"])
}

func allSupported(g *onnxpb.GraphProto, supported map[string]bool) bool {
	for _, n := range g.Node {
		if n.GetDomain() != "" || !supported[n.GetOpType()] {
			return false
		}
	}
	return len(g.Node) > 0
}

// readPBs reads test_data_set_0/<kind>_N.pb in order.
func readPBs(t *testing.T, dir, kind string) []*onnxpb.TensorProto {
	var out []*onnxpb.TensorProto
	for i := 0; ; i++ {
		b, err := os.ReadFile(filepath.Join(dir, "test_data_set_0", fmt.Sprintf("%s_%d.pb", kind, i)))
		if err != nil {
			return out
		}
		var tp onnxpb.TensorProto
		if err := proto.Unmarshal(b, &tp); err != nil {
			t.Fatalf("%s %s_%d: %v", dir, kind, i, err)
		}
		out = append(out, &tp)
	}
}

// runNodeTest compiles the test's model (in const mode with inputs after
// the first moved into initializers) and runs it on the test's inputs.
func runNodeTest(mp *onnxpb.ModelProto, ins []*onnxpb.TensorProto, mode string) ([]*tensor.Tensor, error) {
	m := proto.Clone(mp).(*onnxpb.ModelProto)
	g := m.Graph
	feed := ins
	if mode == "const" {
		for i, vi := range g.Input[1:] {
			tp := proto.Clone(ins[i+1]).(*onnxpb.TensorProto)
			tp.Name = proto.String(vi.GetName())
			g.Initializer = append(g.Initializer, tp)
		}
		g.Input, feed = g.Input[:1], ins[:1]
	}
	b, err := proto.Marshal(m)
	if err != nil {
		return nil, err
	}
	model, err := onnx.Decode(b, "model.onnx")
	if err != nil {
		return nil, err
	}
	p, err := engine.Compile(model, engine.Options{Threads: 1})
	if err != nil {
		return nil, err
	}
	var xs []*tensor.Tensor
	for i, tp := range feed {
		b, _ := proto.Marshal(tp)
		x, err := onnx.DecodeTensor(b, fmt.Sprintf("input_%d", i))
		if err != nil {
			return nil, err
		}
		xs = append(xs, x)
	}
	s := p.NewSession()
	defer s.Close()
	outs, err := s.Run(context.Background(), xs, nil)
	if err != nil {
		return nil, err
	}
	var res []*tensor.Tensor
	for _, o := range outs {
		c := &tensor.Tensor{DType: o.DType, Shape: slices.Clone(o.Shape), F: slices.Clone(o.F), I: slices.Clone(o.I)}
		res = append(res, c)
	}
	return res, nil
}

// compareOutputs returns "" when got matches the expected outputs.
func compareOutputs(got []*tensor.Tensor, want []*onnxpb.TensorProto) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d outputs, want %d", len(got), len(want))
	}
	for i, tp := range want {
		b, _ := proto.Marshal(tp)
		w, err := onnx.DecodeTensor(b, "expected")
		if err != nil {
			return fmt.Sprintf("output %d: expected value unreadable: %v", i, err)
		}
		g := got[i]
		if !slices.Equal(g.Shape, w.Shape) && !(g.Len() == w.Len() && len(w.Shape) == 0) {
			return fmt.Sprintf("output %d: shape %v, want %v", i, g.Shape, w.Shape)
		}
		gv, wv := values(g), values(w)
		if len(gv) != len(wv) {
			return fmt.Sprintf("output %d: %d values, want %d", i, len(gv), len(wv))
		}
		for j := range wv {
			a, e := gv[j], wv[j]
			if math.IsNaN(a) && math.IsNaN(e) || a == e {
				continue
			}
			if !(math.Abs(a-e) <= 1e-6+1e-3*math.Abs(e)) {
				return fmt.Sprintf("output %d value %d: %v, want %v", i, j, a, e)
			}
		}
	}
	return ""
}

func values(t *tensor.Tensor) []float64 {
	v := make([]float64, 0, t.Len())
	for _, f := range t.F {
		v = append(v, float64(f))
	}
	for _, i := range t.I {
		v = append(v, float64(i))
	}
	return v
}

// readKnown reads "test_name mode: reason" lines.
func readKnown(t *testing.T, path string) map[string]string {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	known := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, reason, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(reason) == "" {
			t.Fatalf("%s: %q: want \"test_name mode: reason\"", path, line)
		}
		known[strings.TrimSpace(key)] = strings.TrimSpace(reason)
	}
	return known
}
