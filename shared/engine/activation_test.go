package engine_test

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/nniescope/nniescope/internal/onnxtest"
	"github.com/nniescope/nniescope/shared/engine"
	"github.com/nniescope/nniescope/shared/onnx/onnxpb"
	"github.com/nniescope/nniescope/shared/tensor"
)

func attrFloat(name string, v float32) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_FLOAT.Enum(), F: proto.Float32(v)}
}

func floats(name string, vals ...float32) *onnxpb.TensorProto {
	return &onnxpb.TensorProto{Name: proto.String(name), DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), FloatData: vals}
}

// TestActivations against the ONNX operator definitions, on values that
// cross every kink (the same formulas the ONNX node tests' expected
// outputs come from).
func TestActivations(t *testing.T) {
	x := []float32{-7, -3, -1, -0.25, 0, 0.25, 1, 2.5, 3, 7}
	f64 := func(f func(float64) float64) func(float32) float32 {
		return func(v float32) float32 { return float32(f(float64(v))) }
	}
	for _, tc := range []struct {
		op    string
		attrs []*onnxpb.AttributeProto
		inits []*onnxpb.TensorProto
		extra []string // further inputs (initializers)
		want  func(float32) float32
	}{
		{"Relu", nil, nil, nil, func(v float32) float32 { return max(v, 0) }},
		{"LeakyRelu", nil, nil, nil, func(v float32) float32 { return map[bool]float32{true: 0.01 * v, false: v}[v < 0] }},
		{"LeakyRelu", []*onnxpb.AttributeProto{attrFloat("alpha", 0.1)}, nil, nil, func(v float32) float32 { return map[bool]float32{true: 0.1 * v, false: v}[v < 0] }},
		{"HardSigmoid", nil, nil, nil, func(v float32) float32 { return max(0, min(1, 0.2*v+0.5)) }},
		{"HardSwish", nil, nil, nil, func(v float32) float32 { return v * max(0, min(1, v/6+0.5)) }},
		{"Clip", nil, []*onnxpb.TensorProto{floats("lo", -1), floats("hi", 2)}, []string{"lo", "hi"}, func(v float32) float32 { return max(-1, min(2, v)) }},
		{"Clip", nil, []*onnxpb.TensorProto{floats("hi", 0.5)}, []string{"", "hi"}, func(v float32) float32 { return min(0.5, v) }},
		{"Exp", nil, nil, nil, f64(math.Exp)},
		{"Sqrt", nil, nil, nil, f64(math.Sqrt)},
		{"Floor", nil, nil, nil, f64(math.Floor)},
	} {
		t.Run(tc.op, func(t *testing.T) {
			n := &onnxpb.NodeProto{OpType: proto.String(tc.op), Name: proto.String("n"), Input: append([]string{"x"}, tc.extra...), Output: []string{"y"}, Attribute: tc.attrs}
			m := graph(t, []*onnxpb.NodeProto{n}, tc.inits, []*onnxpb.ValueInfoProto{onnxtest.ValueInfo("x", int64(len(x)))}, []*onnxpb.ValueInfoProto{onnxtest.ValueInfo("y")})
			p, err := engine.Compile(m, engine.Options{})
			if err != nil {
				t.Fatal(err)
			}
			s := p.NewSession()
			defer s.Close()
			in, _ := tensor.FromFloat32(x, len(x))
			out, err := s.Run(context.Background(), []*tensor.Tensor{in}, nil)
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range x {
				w := tc.want(v)
				if g := out[0].F[i]; g != w && !(math.IsNaN(float64(g)) && math.IsNaN(float64(w))) {
					t.Fatalf("%s(%v) = %v, want %v", tc.op, v, g, w)
				}
			}
		})
	}
	// Clip's bounds must be constants, in the form the opset declares.
	n := &onnxpb.NodeProto{OpType: proto.String("Clip"), Name: proto.String("c"), Input: []string{"x", "lo"}, Output: []string{"y"}}
	m := graph(t, []*onnxpb.NodeProto{n}, nil, []*onnxpb.ValueInfoProto{onnxtest.ValueInfo("x", 3), onnxtest.ValueInfo("lo", 1)}, []*onnxpb.ValueInfoProto{onnxtest.ValueInfo("y")})
	if _, err := engine.Compile(m, engine.Options{}); err == nil || !strings.Contains(err.Error(), "constant float scalar") {
		t.Fatalf("Clip with a run-time bound: %v", err)
	}
	n = &onnxpb.NodeProto{OpType: proto.String("Clip"), Name: proto.String("c"), Input: []string{"x"}, Output: []string{"y"}, Attribute: []*onnxpb.AttributeProto{attrFloat("min", 0)}}
	m = graph(t, []*onnxpb.NodeProto{n}, nil, []*onnxpb.ValueInfoProto{onnxtest.ValueInfo("x", 3)}, []*onnxpb.ValueInfoProto{onnxtest.ValueInfo("y")})
	if _, err := engine.Compile(m, engine.Options{}); err == nil || !strings.Contains(err.Error(), "opset 11 made them inputs") {
		t.Fatalf("Clip attributes at opset 13: %v", err)
	}
}

// TestResizeLinear: the expected outputs of ONNX's own node tests
// resize_upsample_scales_linear, ..._align_corners and
// resize_downsample_scales_linear.
func TestResizeLinear(t *testing.T) {
	for _, tc := range []struct {
		name   string
		ctm    string
		in     []float32
		h, w   int
		scales []float32
		want   []float32
	}{
		{"upsample", "half_pixel", []float32{1, 2, 3, 4}, 2, 2, []float32{1, 1, 2, 2},
			[]float32{1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4}},
		{"upsample align_corners", "align_corners", []float32{1, 2, 3, 4}, 2, 2, []float32{1, 1, 2, 2},
			[]float32{1, 1.3333333, 1.6666667, 2, 1.6666666, 2, 2.3333333, 2.6666667, 2.3333335, 2.6666667, 3, 3.3333335, 3, 3.3333333, 3.6666667, 4}},
		{"downsample", "half_pixel", []float32{1, 2, 3, 4, 5, 6, 7, 8}, 2, 4, []float32{1, 1, 0.6, 0.6},
			[]float32{2.6666665, 4.3333331}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := &onnxpb.NodeProto{OpType: proto.String("Resize"), Name: proto.String("r"), Input: []string{"x", "", "scales"}, Output: []string{"y"},
				Attribute: []*onnxpb.AttributeProto{
					{Name: proto.String("mode"), Type: onnxpb.AttributeProto_STRING.Enum(), S: []byte("linear")},
					{Name: proto.String("coordinate_transformation_mode"), Type: onnxpb.AttributeProto_STRING.Enum(), S: []byte(tc.ctm)},
				}}
			sc := floats("scales", tc.scales...)
			sc.Dims = []int64{4}
			m := graph(t, []*onnxpb.NodeProto{n}, []*onnxpb.TensorProto{sc}, []*onnxpb.ValueInfoProto{onnxtest.ValueInfo("x", 1, 1, int64(tc.h), int64(tc.w))}, []*onnxpb.ValueInfoProto{onnxtest.ValueInfo("y")})
			p, err := engine.Compile(m, engine.Options{})
			if err != nil {
				t.Fatal(err)
			}
			s := p.NewSession()
			defer s.Close()
			x, _ := tensor.FromFloat32(tc.in, 1, 1, tc.h, tc.w)
			out, err := s.Run(context.Background(), []*tensor.Tensor{x}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(out[0].F) != len(tc.want) {
				t.Fatalf("shape %v, want %d values", out[0].Shape, len(tc.want))
			}
			for i, w := range tc.want {
				if math.Abs(float64(out[0].F[i]-w)) > 1e-5 {
					t.Fatalf("value %d: %v, want %v (all: %v)", i, out[0].F[i], w, out[0].F)
				}
			}
		})
	}
}

// TestShapeOpsFold: Range, Equal, ConstantOfShape and Where on constants
// fold at compile time, Expand and Where also run on floats: the
// arithmetic a dynamic-shape export builds its anchors and masks with.
func TestShapeOpsFold(t *testing.T) {
	node := func(op string, ins []string, out string, attrs ...*onnxpb.AttributeProto) *onnxpb.NodeProto {
		return &onnxpb.NodeProto{OpType: proto.String(op), Name: proto.String("/" + out), Input: ins, Output: []string{out}, Attribute: attrs}
	}
	two := &onnxpb.TensorProto{DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), Dims: []int64{1}, FloatData: []float32{2}}
	nodes := []*onnxpb.NodeProto{
		node("Range", []string{"zero", "three", "one"}, "r"), // [0 1 2]
		node("Equal", []string{"r", "pick"}, "eq"),           // [1 0 1]
		node("Cast", []string{"r"}, "rf", &onnxpb.AttributeProto{Name: proto.String("to"), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(1)}),
		node("ConstantOfShape", []string{"shape3"}, "twos", &onnxpb.AttributeProto{Name: proto.String("value"), Type: onnxpb.AttributeProto_TENSOR.Enum(), T: two}),
		node("Mul", []string{"x", "twos"}, "x2"),      // x·2
		node("Add", []string{"x2", "rf"}, "s"),        // 2x + [0 1 2]
		node("Where", []string{"eq", "s", "x"}, "w"),  // [2x0, x1, 2x2+2]
		node("Expand", []string{"w", "shape23"}, "y"), // two rows of w
	}
	inits := []*onnxpb.TensorProto{ints("zero", nil, 0), ints("three", nil, 3), ints("one", nil, 1), ints("pick", []int64{3}, 0, 5, 2), ints("shape3", []int64{1}, 3), ints("shape23", []int64{2}, 2, 3)}
	m := graph(t, nodes, inits, []*onnxpb.ValueInfoProto{onnxtest.ValueInfo("x", 3)}, []*onnxpb.ValueInfoProto{onnxtest.ValueInfo("y")})
	p, err := engine.Compile(m, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, folded := range []string{"r", "eq", "rf", "twos"} {
		if _, ok := p.Constant(folded); !ok {
			t.Errorf("%s was not folded", folded)
		}
	}
	s := p.NewSession()
	defer s.Close()
	x, _ := tensor.FromFloat32([]float32{1, 10, 100}, 3)
	out, err := s.Run(context.Background(), []*tensor.Tensor{x}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{2, 10, 202, 2, 10, 202}
	if !tensor.EqualShape(out[0].Shape, []int{2, 3}) || !slices.Equal(out[0].F, want) {
		t.Fatalf("y %v %v, want [2 3] %v", out[0].Shape, out[0].F, want)
	}
	// A Range whose bounds are computed at run time cannot be sized.
	bad := graph(t, []*onnxpb.NodeProto{node("Range", []string{"x", "x", "x"}, "y")}, nil, []*onnxpb.ValueInfoProto{onnxtest.ValueInfo("x", 1)}, []*onnxpb.ValueInfoProto{onnxtest.ValueInfo("y")})
	if _, err := engine.Compile(bad, engine.Options{}); err == nil || !strings.Contains(err.Error(), "must be a constant scalar") {
		t.Fatalf("run-time Range: %v", err)
	}
}
