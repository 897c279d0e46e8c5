package engine

import (
	"slices"
	"testing"

	"github.com/nniescope/nniescope/shared/onnx"
	"github.com/nniescope/nniescope/shared/tensor"
)

// TestDataMovementKeepsInt64: the data-movement kernels also run at compile
// time on int64 shape constants (unsimplified exports compute Reshape
// targets with Shape/Gather/Concat/Split); every one of them must move the
// int64 values, not only float32 ones.
func TestDataMovementKeepsInt64(t *testing.T) {
	src, _ := tensor.FromInt64([]int64{1, 2, 3, 4, 5, 6}, 2, 3)
	in := &value{dtype: tensor.Int64, shape: src.Shape}
	for _, tc := range []struct {
		name  string
		bind  func() ([]meta, kernel, error)
		wants [][]int64
	}{
		{"Split", func() ([]meta, kernel, error) {
			return bindSplit(&onnx.Node{Outputs: []string{"a", "b"}, Attrs: map[string]onnx.Attr{"axis": {Kind: onnx.AttrInt, I: 0}}}, []*value{in}, bindCtx{opset: 11})
		}, [][]int64{{1, 2, 3}, {4, 5, 6}}},
		{"Concat", func() ([]meta, kernel, error) {
			return bindConcat(&onnx.Node{Attrs: map[string]onnx.Attr{"axis": {Kind: onnx.AttrInt, I: 1}}}, []*value{in, in}, bindCtx{})
		}, [][]int64{{1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6}}},
		{"Gather", func() ([]meta, kernel, error) {
			return bindGather(&onnx.Node{Attrs: map[string]onnx.Attr{"axis": {Kind: onnx.AttrInt, I: 1}}}, []*value{in, ints(2, 0)}, bindCtx{})
		}, [][]int64{{3, 1, 6, 4}}},
		{"Transpose", func() ([]meta, kernel, error) {
			return bindTranspose(&onnx.Node{Attrs: map[string]onnx.Attr{"perm": {Kind: onnx.AttrInts, Ints: []int64{1, 0}}}}, []*value{in}, bindCtx{})
		}, [][]int64{{1, 4, 2, 5, 3, 6}}},
		{"Slice", func() ([]meta, kernel, error) {
			return bindSlice(&onnx.Node{}, []*value{in, ints(1), ints(3), ints(1)}, bindCtx{})
		}, [][]int64{{2, 3, 5, 6}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			metas, k, err := tc.bind()
			if err != nil {
				t.Fatal(err)
			}
			var outs []*tensor.Tensor
			for _, m := range metas {
				o, _ := tensor.FromInt64(make([]int64, tensor.Volume(m.shape)), m.shape...)
				outs = append(outs, o)
			}
			ins := []*tensor.Tensor{src}
			if tc.name == "Concat" {
				ins = append(ins, src)
			}
			if err := k(&exec{threads: 1}, ins, outs); err != nil {
				t.Fatal(err)
			}
			for i, o := range outs {
				if !slices.Equal(o.I, tc.wants[i]) {
					t.Errorf("output %d: %v, want %v", i, o.I, tc.wants[i])
				}
			}
		})
	}
}
