package engine_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/nniescope/nniescope/internal/onnxtest"
	"github.com/nniescope/nniescope/shared/engine"
	"github.com/nniescope/nniescope/shared/onnx"
	"github.com/nniescope/nniescope/shared/onnx/onnxpb"
	"github.com/nniescope/nniescope/shared/tensor"
)

func tiny(t testing.TB, op string) *onnx.Model {
	t.Helper()
	m, err := onnx.Decode(onnxtest.TinyModel(op), "tiny.onnx")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestTinyRun(t *testing.T) {
	p, err := engine.Compile(tiny(t, "Sigmoid"), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	x, _ := tensor.FromFloat32([]float32{0, 1}, 1, 2)
	out, err := p.NewSession().Run(context.Background(), []*tensor.Tensor{x}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// y = sigmoid(x) * [2,3] + 0.5
	want := []float64{0.5*2 + 0.5, 3/(1+math.Exp(-1)) + 0.5}
	for i, w := range want {
		if math.Abs(float64(out[0].F[i])-w) > 1e-6 {
			t.Fatalf("y[%d] = %v, want %v", i, out[0].F[i], w)
		}
	}
}

func TestUnsupportedOpFailsAtCompile(t *testing.T) {
	_, err := engine.Compile(tiny(t, "Erf"), engine.Options{})
	if err == nil {
		t.Fatal("Erf compiled: the engine does not implement it")
	}
	for _, want := range []string{"tiny.onnx", "Erf", `"/act"`, "supported:", "Conv"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestHooksObserveAndReplace(t *testing.T) {
	p, err := engine.Compile(tiny(t, "Sigmoid"), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := p.NewSession()
	x, _ := tensor.FromFloat32([]float32{0, 1}, 1, 2)
	var seen []string
	hooks := &engine.Hooks{
		BeforeNode: func(n *onnx.Node, in []*tensor.Tensor) {
			if n.Name == "/mul" { // feed the Mul zeros instead of the sigmoid
				in[0] = tensor.New(1, 2)
			}
		},
		AfterNode: func(n *onnx.Node, out []*tensor.Tensor) {
			seen = append(seen, n.Name+":"+n.Outputs[0])
			if n.Name == "/add" {
				out[0].F[1] = 42
			}
		},
	}
	out, err := s.Run(context.Background(), []*tensor.Tensor{x}, hooks)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(seen, " "); got != "/act:s /mul:m /add:y" {
		t.Fatalf("observed %q", got)
	}
	if out[0].F[0] != 0.5 || out[0].F[1] != 42 {
		t.Fatalf("y = %v, want [0.5 42] (input replaced, output edited)", out[0].F)
	}
	// Without hooks the same session computes the float answer again.
	out, _ = s.Run(context.Background(), []*tensor.Tensor{x}, nil)
	if out[0].F[0] != 1.5 {
		t.Fatalf("y[0] = %v after a hooked run, want 1.5", out[0].F[0])
	}
}

func TestStopAtCutsACustomTail(t *testing.T) {
	m := tiny(t, "Sigmoid")
	// Graft an unknown vendor op after the head, as the RPN patch does.
	m.Nodes = append(m.Nodes, &onnx.Node{Name: "/rpn", OpType: "DecBBox", Domain: "svp.custom", Inputs: []string{"y"}, Outputs: []string{"boxes"}})
	m.Outputs = []onnx.ValueInfo{{Name: "boxes"}}
	if _, err := engine.Compile(m, engine.Options{}); err == nil || !strings.Contains(err.Error(), "svp.custom::DecBBox") {
		t.Fatalf("custom op: error %v, want it named with its domain", err)
	}
	p, err := engine.Compile(m, engine.Options{StopAt: []string{"y"}})
	if err != nil {
		t.Fatal(err)
	}
	if outs := p.Outputs(); len(outs) != 1 || outs[0].Name != "y" {
		t.Fatalf("outputs %v, want y", outs)
	}
}

func TestRunRejectsWrongInput(t *testing.T) {
	p, err := engine.Compile(tiny(t, "Sigmoid"), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.NewSession().Run(context.Background(), []*tensor.Tensor{tensor.New(1, 3)}, nil)
	if err == nil || !strings.Contains(err.Error(), `input "x"`) {
		t.Fatalf("error %v", err)
	}
}

// FuzzCompile: decoding, compiling and running arbitrary model bytes gives
// a result or an error, never a panic.
func FuzzCompile(f *testing.F) {
	f.Add(onnxtest.TinyModel("Sigmoid"))
	f.Add(onnxtest.TinyModel("Softmax"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := onnx.Decode(data, "fuzz.onnx")
		if err != nil {
			return
		}
		for _, in := range m.Inputs {
			if tensor.Volume(in.Shape) > 1<<16 {
				return
			}
		}
		p, err := engine.Compile(m, engine.Options{Threads: 1})
		if err != nil {
			return
		}
		var ins []*tensor.Tensor
		for _, in := range p.Inputs() {
			if in.DType != tensor.Float32 {
				return
			}
			ins = append(ins, tensor.New(in.Shape...))
		}
		_, _ = p.NewSession().Run(context.Background(), ins, nil)
	})
}

func TestFindTail(t *testing.T) {
	m := tiny(t, "Sigmoid")
	if tail := engine.FindTail(m, nil); len(tail.Nodes) != 0 {
		t.Fatalf("a plain model has tail %v", tail.Nodes)
	}
	m.Nodes = append(m.Nodes,
		&onnx.Node{Name: "/rpn/filter", OpType: "Filter", Domain: "svp", Inputs: []string{"y", "m"}, Outputs: []string{"f"}},
		&onnx.Node{Name: "/rpn/post", OpType: "Mul", Inputs: []string{"f", "w"}, Outputs: []string{"boxes"}})
	tail := engine.FindTail(m, nil)
	if len(tail.Nodes) != 2 {
		t.Fatalf("tail %d nodes, want the custom node and its consumer", len(tail.Nodes))
	}
	if strings.Join(tail.Cut, ",") != "y,m" {
		t.Fatalf("cut %v, want [y m]", tail.Cut)
	}
	// A mapping that declares Filter executable keeps it out of the tail.
	none := engine.FindTail(m, func(n *onnx.Node) bool { return false })
	if len(none.Nodes) != 0 {
		t.Fatalf("custom mapping ignored: %v", none.Nodes)
	}
}

// TestHammerSessions runs one Program from many goroutines, a session
// each (run with -race): programs are shared, sessions are not.
func TestHammerSessions(t *testing.T) {
	p, err := engine.Compile(tiny(t, "Sigmoid"), engine.Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	for g := range 8 {
		go func() {
			s := p.NewSession()
			defer s.Close()
			x, _ := tensor.FromFloat32([]float32{float32(g), 1}, 1, 2)
			for range 200 {
				out, err := s.Run(context.Background(), []*tensor.Tensor{x}, nil)
				if err != nil {
					done <- err
					return
				}
				want := float32(2/(1+math.Exp(-float64(g)))) + 0.5
				if d := out[0].F[0] - want; d > 1e-6 || d < -1e-6 {
					done <- fmt.Errorf("goroutine %d: y[0] = %v, want %v", g, out[0].F[0], want)
					return
				}
			}
			done <- nil
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

// TestUnsimplifiedShapeArithmetic: exports that were not simplified carry
// Shape → Gather → Unsqueeze → Concat → Reshape chains; they fold at
// compile time and only float tensors flow at run time.
func TestUnsimplifiedShapeArithmetic(t *testing.T) {
	i64 := func(name string, v ...int64) *onnxpb.TensorProto {
		return &onnxpb.TensorProto{Name: proto.String(name), Dims: []int64{int64(len(v))}, DataType: proto.Int32(int32(onnxpb.TensorProto_INT64)), Int64Data: v}
	}
	node := func(name, op string, in, out []string) *onnxpb.NodeProto {
		return &onnxpb.NodeProto{Name: proto.String(name), OpType: proto.String(op), Input: in, Output: out}
	}
	mp := &onnxpb.ModelProto{
		IrVersion:   proto.Int64(7),
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Version: proto.Int64(13)}},
		Graph: &onnxpb.GraphProto{
			Initializer: []*onnxpb.TensorProto{
				{Name: proto.String("idx0"), Dims: []int64{}, DataType: proto.Int32(int32(onnxpb.TensorProto_INT64)), Int64Data: []int64{0}}, // scalar, as exporters write it
				i64("axes0", 0), i64("minus1", -1)},
			Node: []*onnxpb.NodeProto{
				node("/Shape", "Shape", []string{"x"}, []string{"s"}),
				node("/Gather", "Gather", []string{"s", "idx0"}, []string{"b"}),
				node("/Unsqueeze", "Unsqueeze", []string{"b", "axes0"}, []string{"bu"}),
				node("/Concat", "Concat", []string{"bu", "minus1"}, []string{"target"}),
				node("/Reshape", "Reshape", []string{"x", "target"}, []string{"y"}),
			},
			Input:  []*onnxpb.ValueInfoProto{onnxtest.ValueInfo("x", 1, 4, 6)},
			Output: []*onnxpb.ValueInfoProto{onnxtest.ValueInfo("y", 1, 24)},
		},
	}
	mp.Graph.Node[3].Attribute = []*onnxpb.AttributeProto{{Name: proto.String("axis"), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(0)}}
	b, err := proto.Marshal(mp)
	if err != nil {
		t.Fatal(err)
	}
	m, err := onnx.Decode(b, "unsimplified.onnx")
	if err != nil {
		t.Fatal(err)
	}
	p, err := engine.Compile(m, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(p.Nodes()); got != 1 {
		t.Fatalf("%d run-time nodes, want only the Reshape (shape arithmetic folded)", got)
	}
	if sh := p.Outputs()[0].Shape; !tensor.EqualShape(sh, []int{1, 24}) {
		t.Fatalf("output shape %v", sh)
	}
}

func TestCutTail(t *testing.T) {
	plain := tiny(t, "Sigmoid")
	if m, tail, err := engine.CutTail(plain, nil); err != nil || m != plain || len(tail.Nodes) != 0 {
		t.Fatalf("a model without a tail: %v, %v, %v", m == plain, tail.Nodes, err)
	}
	for _, tc := range []struct {
		name  string
		graft []*onnx.Node
		extra []string
		want  string // the outputs after the cut
		err   string
	}{
		{"custom domain", []*onnx.Node{{Name: "/rpn/dec", OpType: "DecBBox", Domain: "svp", Inputs: []string{"y", "x"}, Outputs: []string{"boxes"}}}, nil, "y", ""},
		{"standard op named as tail", []*onnx.Node{{Name: "/rpn/nms", OpType: "Mul", Inputs: []string{"m", "w"}, Outputs: []string{"boxes"}}}, []string{"/rpn/nms"}, "m", ""},
		// The model's own first node is a Sigmoid of the input: naming the
		// op type makes the whole graph the tail.
		{"op type named as tail", []*onnx.Node{{Name: "/rpn/sig", OpType: "Sigmoid", Inputs: []string{"y"}, Outputs: []string{"boxes"}}}, []string{"Sigmoid"}, "", "reads only graph inputs"},
		{"domain::op named as tail", []*onnx.Node{{Name: "/rpn/f", OpType: "Relu", Inputs: []string{"y"}, Outputs: []string{"boxes"}}}, []string{"::Relu"}, "y", ""},
		{"an op type that is not ONNX's", []*onnx.Node{{Name: "/rpn/dec", OpType: "DecBBox", Inputs: []string{"y"}, Outputs: []string{"boxes"}}}, nil, "y", ""},
		// A standard op the engine lacks is not a tail (YOLO11's MatMul
		// was taken for one): the model is refused naming it.
		{"standard op the engine lacks", []*onnx.Node{{Name: "/model.10/attn/Einsum", OpType: "Einsum", Inputs: []string{"y"}, Outputs: []string{"boxes"}}}, nil, "", `unsupported operator Einsum (node "/model.10/attn/Einsum")`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := tiny(t, "Sigmoid")
			n0 := len(m.Nodes)
			m.Nodes = append(m.Nodes, tc.graft...)
			m.Outputs = []onnx.ValueInfo{{Name: "boxes"}}
			cut, tail, err := engine.CutTail(m, engine.TailOps(tc.extra))
			if err == nil && len(tail.Nodes) == 0 && tc.err != "" {
				_, err = engine.Compile(cut, engine.Options{})
			}
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var outs []string
			for _, o := range cut.Outputs {
				outs = append(outs, o.Name)
			}
			if strings.Join(outs, ",") != tc.want || len(tail.Nodes) == 0 {
				t.Fatalf("outputs %v, tail %d nodes; want outputs %s", outs, len(tail.Nodes), tc.want)
			}
			if len(m.Outputs) != 1 || m.Outputs[0].Name != "boxes" || len(m.Nodes) != n0+len(tc.graft) {
				t.Fatal("CutTail modified its input")
			}
			p, err := engine.Compile(cut, engine.Options{})
			if err != nil {
				t.Fatal(err)
			}
			x, _ := tensor.FromFloat32([]float32{0, 1}, 1, 2)
			if _, err := p.NewSession().Run(context.Background(), []*tensor.Tensor{x}, nil); err != nil {
				t.Fatal(err)
			}
		})
	}
}
