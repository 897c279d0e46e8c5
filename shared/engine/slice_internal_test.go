package engine

import (
	"testing"

	"github.com/nniescope/nniescope/shared/onnx"
	"github.com/nniescope/nniescope/shared/tensor"
)

func ints(v ...int64) *value {
	t, _ := tensor.FromInt64(v, len(v))
	return &value{dtype: tensor.Int64, shape: t.Shape, konst: t}
}

// TestSliceMatchesNaive checks the run-copying Slice against a direct
// per-element reading of the ONNX definition.
func TestSliceMatchesNaive(t *testing.T) {
	shape := []int{2, 3, 4, 5}
	src := tensor.New(shape...)
	for i := range src.F {
		src.F[i] = float32(i)
	}
	tests := []struct {
		name                      string
		starts, ends, axes, steps []int64
	}{
		{"channel half", []int64{0}, []int64{2}, []int64{1}, nil},
		{"inner axis", []int64{1}, []int64{4}, []int64{3}, nil},
		{"stepped inner", []int64{0}, []int64{5}, []int64{3}, []int64{2}},
		{"stepped middle", []int64{1}, []int64{4}, []int64{2}, []int64{2}},
		{"negative step", []int64{-1}, []int64{-100}, []int64{2}, []int64{-1}},
		{"two axes", []int64{1, 1}, []int64{3, 3}, []int64{1, 3}, []int64{1, 1}},
		{"everything", []int64{0}, []int64{9}, []int64{0}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := []*value{{dtype: tensor.Float32, shape: shape}, ints(tc.starts...), ints(tc.ends...), ints(tc.axes...)}
			if tc.steps != nil {
				in = append(in, ints(tc.steps...))
			}
			metas, k, err := bindSlice(&onnx.Node{}, in, bindCtx{})
			if err != nil {
				t.Fatal(err)
			}
			out := tensor.New(metas[0].shape...)
			if err := k(&exec{threads: 1}, []*tensor.Tensor{src}, []*tensor.Tensor{out}); err != nil {
				t.Fatal(err)
			}
			// Naive: walk every output index.
			st := []int{0, 0, 0, 0}
			sp := []int{1, 1, 1, 1}
			for i, a := range tc.axes {
				d := int64(shape[a])
				s := tc.starts[i]
				if s < 0 {
					s += d
				}
				step := int64(1)
				if tc.steps != nil {
					step = tc.steps[i]
				}
				s = max(0, min(s, d-1))
				st[a], sp[a] = int(s), int(step)
			}
			os := metas[0].shape
			n := 0
			for a := 0; a < os[0]; a++ {
				for b := 0; b < os[1]; b++ {
					for c := 0; c < os[2]; c++ {
						for d := 0; d < os[3]; d++ {
							want := src.F[(((st[0]+a*sp[0])*3+st[1]+b*sp[1])*4+st[2]+c*sp[2])*5+st[3]+d*sp[3]]
							if out.F[n] != want {
								t.Fatalf("out[%d] (%d,%d,%d,%d) = %v, want %v; shape %v", n, a, b, c, d, out.F[n], want, os)
							}
							n++
						}
					}
				}
			}
		})
	}
}

func TestTransposeMatchesNaive(t *testing.T) {
	shape := []int{2, 3, 4, 5}
	src := tensor.New(shape...)
	for i := range src.F {
		src.F[i] = float32(i)
	}
	st := rowStrides(shape)
	for _, perm := range [][]int64{{0, 2, 1, 3}, {0, 1, 2, 3}, {3, 2, 1, 0}, {0, 3, 1, 2}, {1, 0, 2, 3}, {0, 1, 3, 2}} {
		n := &onnx.Node{Attrs: map[string]onnx.Attr{"perm": {Kind: onnx.AttrInts, Ints: perm}}}
		metas, k, err := bindTranspose(n, []*value{{dtype: tensor.Float32, shape: shape}}, bindCtx{})
		if err != nil {
			t.Fatal(err)
		}
		out := tensor.New(metas[0].shape...)
		if err := k(&exec{threads: 1}, []*tensor.Tensor{src}, []*tensor.Tensor{out}); err != nil {
			t.Fatal(err)
		}
		os := metas[0].shape
		i := 0
		for a := range os[0] {
			for b := range os[1] {
				for c := range os[2] {
					for d := range os[3] {
						o := [4]int{a, b, c, d}
						off := 0
						for j, ax := range perm {
							off += o[j] * st[ax]
						}
						if out.F[i] != src.F[off] {
							t.Fatalf("perm %v: out[%v] = %v, want %v", perm, o, out.F[i], src.F[off])
						}
						i++
					}
				}
			}
		}
	}
}
