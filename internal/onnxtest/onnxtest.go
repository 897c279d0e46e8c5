// Package onnxtest builds small ONNX models for tests of the loader and
// the engine.
package onnxtest

import (
	"encoding/binary"
	"fmt"
	"math"

	"google.golang.org/protobuf/proto"

	"github.com/nniescope/nniescope/shared/onnx/onnxpb"
)

// TinyModel builds a small valid model: y = Sigmoid(x) * W + Shape-derived
// reshape, exercising initializers, a Constant node and attributes.
func TinyModel(opType string) []byte {
	f := func(vals ...float32) []byte {
		b := make([]byte, 4*len(vals))
		for i, v := range vals {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
		}
		return b
	}
	m := &onnxpb.ModelProto{
		IrVersion:   proto.Int64(7),
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(13)}},
		Graph: &onnxpb.GraphProto{
			Name: proto.String("tiny"),
			Initializer: []*onnxpb.TensorProto{{
				Name: proto.String("w"), Dims: []int64{1, 2}, DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), RawData: f(2, 3),
			}},
			Node: []*onnxpb.NodeProto{
				{Name: proto.String("/c"), OpType: proto.String("Constant"), Output: []string{"k"}, Attribute: []*onnxpb.AttributeProto{{
					Name: proto.String("value"), Type: onnxpb.AttributeProto_TENSOR.Enum(),
					T: &onnxpb.TensorProto{Dims: []int64{}, DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), RawData: f(0.5)}}}},
				{Name: proto.String("/act"), OpType: proto.String(opType), Input: []string{"x"}, Output: []string{"s"}},
				{Name: proto.String("/mul"), OpType: proto.String("Mul"), Input: []string{"s", "w"}, Output: []string{"m"}},
				{Name: proto.String("/add"), OpType: proto.String("Add"), Input: []string{"m", "k"}, Output: []string{"y"}},
			},
			Input:  []*onnxpb.ValueInfoProto{ValueInfo("x", 1, 2)},
			Output: []*onnxpb.ValueInfoProto{ValueInfo("y", 1, 2)},
		},
	}
	b, err := proto.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

// ValueInfo is a float32 graph input or output of a static shape.
func ValueInfo(name string, dims ...int64) *onnxpb.ValueInfoProto {
	var ds []*onnxpb.TensorShapeProto_Dimension
	for _, d := range dims {
		ds = append(ds, &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: d}})
	}
	return &onnxpb.ValueInfoProto{Name: proto.String(name), Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{
		ElemType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), Shape: &onnxpb.TensorShapeProto{Dim: ds}}}}}
}

// GraftTail appends node to a serialized model, as the vendor's RPN patch
// appends its post-process, and makes the node's first output the graph
// output (float32 [1, 84, 3024]: the type matters to loaders, not the
// shape). A custom domain gets an opset import.
func GraftTail(model []byte, node *onnxpb.NodeProto) ([]byte, error) {
	var m onnxpb.ModelProto
	if err := proto.Unmarshal(model, &m); err != nil {
		return nil, err
	}
	if d := node.GetDomain(); d != "" {
		m.OpsetImport = append(m.OpsetImport, &onnxpb.OperatorSetIdProto{Domain: proto.String(d), Version: proto.Int64(1)})
	}
	m.Graph.Node = append(m.Graph.Node, node)
	m.Graph.Output = []*onnxpb.ValueInfoProto{ValueInfo(node.Output[0], 1, 84, 3024)}
	return proto.Marshal(&m)
}

// Dynamic returns model with its first input's batch, height and width
// left symbolic, as a dynamic-shape export declares them (the graph
// itself is unchanged).
func Dynamic(model []byte) ([]byte, error) {
	var m onnxpb.ModelProto
	if err := proto.Unmarshal(model, &m); err != nil {
		return nil, err
	}
	dims := m.Graph.Input[0].Type.GetTensorType().GetShape().GetDim()
	if len(dims) != 4 {
		return nil, fmt.Errorf("onnxtest: input has %d dims, want 4", len(dims))
	}
	for i, name := range map[int]string{0: "batch", 2: "height", 3: "width"} {
		dims[i].Value = &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: name}
	}
	return proto.Marshal(&m)
}
