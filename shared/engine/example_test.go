package engine_test

import (
	"context"
	"fmt"

	"github.com/nniescope/nniescope/internal/onnxtest"
	"github.com/nniescope/nniescope/shared/engine"
	"github.com/nniescope/nniescope/shared/onnx"
	"github.com/nniescope/nniescope/shared/tensor"
)

// A Program is compiled once and run through sessions (one per goroutine).
func ExampleCompile() {
	// y = sigmoid(x)·[2 3] + 0.5
	m, _ := onnx.Decode(onnxtest.TinyModel("Sigmoid"), "tiny.onnx")
	p, err := engine.Compile(m, engine.Options{Threads: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	x, _ := tensor.FromFloat32([]float32{0, 0}, 1, 2)
	out, _ := p.NewSession().Run(context.Background(), []*tensor.Tensor{x}, nil)
	fmt.Println(out[0].F)
	// Output: [1.5 2]
}

// A vendor post-process appended to the graph is cut off; the values that
// fed it become the outputs.
func ExampleCutTail() {
	m, _ := onnx.Decode(onnxtest.TinyModel("Sigmoid"), "tiny.onnx")
	m.Nodes = append(m.Nodes, &onnx.Node{Name: "/rpn/nms", OpType: "NMS", Domain: "svp", Inputs: []string{"y"}, Outputs: []string{"boxes"}})
	m.Outputs = []onnx.ValueInfo{{Name: "boxes"}}
	cut, tail, _ := engine.CutTail(m, engine.TailOps(nil))
	fmt.Println(tail.Nodes[0].Name, tail.Cut, cut.Outputs[0].Name)
	// Output: /rpn/nms [y] y
}
