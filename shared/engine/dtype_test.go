package engine_test

import (
	"context"
	"encoding/binary"
	"math"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/nniescope/nniescope/internal/demomodel"
	"github.com/nniescope/nniescope/internal/onnxtest"
	"github.com/nniescope/nniescope/shared/engine"
	"github.com/nniescope/nniescope/shared/onnx"
	"github.com/nniescope/nniescope/shared/onnx/onnxpb"
	"github.com/nniescope/nniescope/shared/tensor"
)

// graph builds a model of nodes with the given inputs, outputs and
// initializers (opset 13).
func graph(t *testing.T, nodes []*onnxpb.NodeProto, inits []*onnxpb.TensorProto, ins, outs []*onnxpb.ValueInfoProto) *onnx.Model {
	t.Helper()
	b, err := proto.Marshal(&onnxpb.ModelProto{
		IrVersion:   proto.Int64(7),
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(13)}},
		Graph:       &onnxpb.GraphProto{Name: proto.String("g"), Node: nodes, Initializer: inits, Input: ins, Output: outs},
	})
	if err != nil {
		t.Fatal(err)
	}
	m, err := onnx.Decode(b, "g.onnx")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func valueInfo(name string, elem onnxpb.TensorProto_DataType, dims ...int64) *onnxpb.ValueInfoProto {
	v := onnxtest.ValueInfo(name, dims...)
	v.Type.GetTensorType().ElemType = proto.Int32(int32(elem))
	return v
}

func ints(name string, dims []int64, vals ...int64) *onnxpb.TensorProto {
	raw := make([]byte, 8*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint64(raw[8*i:], uint64(v))
	}
	return &onnxpb.TensorProto{Name: proto.String(name), Dims: dims, DataType: proto.Int32(int32(onnxpb.TensorProto_INT64)), RawData: raw}
}

func attrInts(name string, v ...int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INTS.Enum(), Ints: v}
}

// TestCompileRefusesWhatItWouldMisread: each used to panic or give a
// silently wrong answer; each is now an error naming the node or input
// and what is supported.
func TestCompileRefusesWhatItWouldMisread(t *testing.T) {
	pool := &onnxpb.NodeProto{Name: proto.String("/pool"), OpType: proto.String("MaxPool"), Input: []string{"k"}, Output: []string{"y"},
		Attribute: []*onnxpb.AttributeProto{attrInts("kernel_shape", 1, 1)}}
	for _, tc := range []struct {
		name  string
		model func(t *testing.T) (*onnx.Model, error)
		want  string
	}{
		{"MaxPool on an INT64 constant (panicked)", func(t *testing.T) (*onnx.Model, error) {
			return graph(t, []*onnxpb.NodeProto{pool}, []*onnxpb.TensorProto{ints("k", []int64{1, 1, 2, 2}, 1, 2, 3, 4)}, nil, []*onnxpb.ValueInfoProto{onnxtest.ValueInfo("y", 1, 1, 2, 2)}), nil
		}, `node "/pool" (MaxPool): input "k" is int64: MaxPool computes on FLOAT data only`},
		{"a zero-size dimension (called dynamic)", func(t *testing.T) (*onnx.Model, error) {
			return graph(t, []*onnxpb.NodeProto{{Name: proto.String("/s"), OpType: proto.String("Sigmoid"), Input: []string{"x"}, Output: []string{"y"}}}, nil,
				[]*onnxpb.ValueInfoProto{onnxtest.ValueInfo("x", 1, 0)}, []*onnxpb.ValueInfoProto{onnxtest.ValueInfo("y", 1, 0)}), nil
		}, `input "x" dimension 1 is 0`},
		{"a rank-0 input (called shapeless)", func(t *testing.T) (*onnx.Model, error) {
			return graph(t, []*onnxpb.NodeProto{{Name: proto.String("/s"), OpType: proto.String("Sigmoid"), Input: []string{"x"}, Output: []string{"y"}}}, nil,
				[]*onnxpb.ValueInfoProto{onnxtest.ValueInfo("x")}, []*onnxpb.ValueInfoProto{onnxtest.ValueInfo("y")}), nil
		}, `input "x" is a scalar (rank 0)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := tc.model(t)
			if err != nil {
				t.Fatal(err)
			}
			if _, err = engine.Compile(m, engine.Options{Threads: 1}); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("compile: %v, want an error with %q", err, tc.want)
			}
		})
	}
}

// TestNonFloatInputsRefused: a UINT8 (or INT32, BOOL, FLOAT16, BFLOAT16,
// DOUBLE) graph input was read as float32 (Div uint8 gave 1.4545 for 1);
// it is refused at load, naming the input and its type.
func TestNonFloatInputsRefused(t *testing.T) {
	for _, dt := range []onnxpb.TensorProto_DataType{onnxpb.TensorProto_UINT8, onnxpb.TensorProto_INT32, onnxpb.TensorProto_BOOL,
		onnxpb.TensorProto_FLOAT16, onnxpb.TensorProto_BFLOAT16, onnxpb.TensorProto_DOUBLE} {
		b, err := proto.Marshal(&onnxpb.ModelProto{
			IrVersion:   proto.Int64(7),
			OpsetImport: []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(13)}},
			Graph: &onnxpb.GraphProto{Name: proto.String("g"),
				Node:   []*onnxpb.NodeProto{{Name: proto.String("/id"), OpType: proto.String("Identity"), Input: []string{"x"}, Output: []string{"y"}}},
				Input:  []*onnxpb.ValueInfoProto{valueInfo("x", dt, 1, 2)},
				Output: []*onnxpb.ValueInfoProto{valueInfo("y", dt, 1, 2)}},
		})
		if err != nil {
			t.Fatal(err)
		}
		_, err = onnx.Decode(b, "g.onnx")
		if err == nil || !strings.Contains(err.Error(), `"x" has element type `+dt.String()) || !strings.Contains(err.Error(), "FLOAT or INT64") {
			t.Errorf("%s input: %v", dt, err)
		}
	}
}

// TestCastToFloat16Rounds: Cast to FLOAT16 rounds to binary16 (it passed
// float32 values through): 1.0001 becomes 1, 65520 overflows to +Inf.
func TestCastToFloat16Rounds(t *testing.T) {
	m := graph(t, []*onnxpb.NodeProto{{Name: proto.String("/c"), OpType: proto.String("Cast"), Input: []string{"x"}, Output: []string{"y"},
		Attribute: []*onnxpb.AttributeProto{{Name: proto.String("to"), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(int64(onnxpb.TensorProto_FLOAT16))}}}},
		nil, []*onnxpb.ValueInfoProto{onnxtest.ValueInfo("x", 3)}, []*onnxpb.ValueInfoProto{valueInfo("y", onnxpb.TensorProto_FLOAT16, 3)})
	p, err := engine.Compile(m, engine.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	x, _ := tensor.FromFloat32([]float32{1.0001, 65520, 0.1}, 3)
	out, err := p.NewSession().Run(context.Background(), []*tensor.Tensor{x}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := out[0].F; got[0] != 1 || !math.IsInf(float64(got[1]), 1) || got[2] != tensor.Float16ToFloat32(tensor.Float32ToFloat16(0.1)) || got[2] == 0.1 {
		t.Fatalf("Cast to FLOAT16 of 1.0001, 65520, 0.1 = %v", got)
	}
}

// TestGraphWithoutInputs: a graph of constants is valid ONNX (it was
// refused at load); it compiles and runs with no inputs.
func TestGraphWithoutInputs(t *testing.T) {
	m := graph(t, []*onnxpb.NodeProto{{Name: proto.String("/shape"), OpType: proto.String("Shape"), Input: []string{"k"}, Output: []string{"y"}}},
		[]*onnxpb.TensorProto{ints("k", []int64{2, 3}, 1, 2, 3, 4, 5, 6)}, nil, []*onnxpb.ValueInfoProto{valueInfo("y", onnxpb.TensorProto_INT64, 2)})
	p, err := engine.Compile(m, engine.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.NewSession().Run(context.Background(), nil, nil)
	if err != nil || len(out) != 1 || len(out[0].I) != 2 || out[0].I[0] != 2 || out[0].I[1] != 3 {
		t.Fatalf("run: %v %v", out, err)
	}
}

// TestRelabelledOpsetRefused: the demo model (opset 13, Ultralytics' Split
// with a sizes input) relabelled opset 11 loaded and gave boxes hundreds
// of pixels off (its Softmax then follows opset 11); now its Split is
// refused naming the node. The opset-11 form (sizes as an attribute)
// still runs.
func TestRelabelledOpsetRefused(t *testing.T) {
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(demomodel.ONNX, &mp); err != nil {
		t.Fatal(err)
	}
	for _, o := range mp.OpsetImport {
		if o.GetDomain() == "" {
			o.Version = proto.Int64(11)
		}
	}
	b, _ := proto.Marshal(&mp)
	m, err := onnx.Decode(b, "relabelled.onnx")
	if err != nil {
		t.Fatal(err)
	}
	_, err = engine.Compile(m, engine.Options{Threads: 1})
	if err == nil || !strings.Contains(err.Error(), "(Split)") || !strings.Contains(err.Error(), "declares opset 11") {
		t.Fatalf("compile of the relabelled model: %v", err)
	}

	split := &onnxpb.NodeProto{Name: proto.String("/split"), OpType: proto.String("Split"), Input: []string{"x"}, Output: []string{"a", "b"},
		Attribute: []*onnxpb.AttributeProto{attrInts("split", 1, 3), {Name: proto.String("axis"), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(1)}}}
	b, _ = proto.Marshal(&onnxpb.ModelProto{IrVersion: proto.Int64(6), OpsetImport: []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(11)}},
		Graph: &onnxpb.GraphProto{Name: proto.String("g"), Node: []*onnxpb.NodeProto{split},
			Input: []*onnxpb.ValueInfoProto{onnxtest.ValueInfo("x", 1, 4)}, Output: []*onnxpb.ValueInfoProto{onnxtest.ValueInfo("a", 1, 1), onnxtest.ValueInfo("b", 1, 3)}}})
	m11, err := onnx.Decode(b, "split11.onnx")
	if err != nil {
		t.Fatal(err)
	}
	p, err := engine.Compile(m11, engine.Options{Threads: 1})
	if err != nil {
		t.Fatalf("opset-11 Split with a split attribute: %v", err)
	}
	x, _ := tensor.FromFloat32([]float32{1, 2, 3, 4}, 1, 4)
	out, err := p.NewSession().Run(context.Background(), []*tensor.Tensor{x}, nil)
	if err != nil || len(out[0].F) != 1 || len(out[1].F) != 3 || out[1].F[0] != 2 {
		t.Fatalf("split: %v %v", out, err)
	}
	// The same attribute at opset 13 is the older form: refused.
	for _, o := range []int64{13} {
		mp2 := onnxpb.ModelProto{}
		proto.Unmarshal(b, &mp2)
		mp2.OpsetImport[0].Version = proto.Int64(o)
		b2, _ := proto.Marshal(&mp2)
		m13, _ := onnx.Decode(b2, "split13.onnx")
		if _, err := engine.Compile(m13, engine.Options{Threads: 1}); err == nil || !strings.Contains(err.Error(), `attribute "split"`) {
			t.Errorf("opset %d with a split attribute: %v", o, err)
		}
	}
}
