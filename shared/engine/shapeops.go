package engine

import (
	"fmt"
	"math"

	"github.com/nniescope/nniescope/shared/onnx"
	"github.com/nniescope/nniescope/shared/tensor"
)

// The shape arithmetic dynamic-shape exports emit (Range, Expand,
// ConstantOfShape, Equal, Where): with the input size fixed (--imgsz)
// their inputs are constants and Compile folds them. BOOL values (Equal's
// result, Where's condition) are held as INT64 0 and 1.

// gatherBroadcast returns, for each element of out, the flat index of the
// element of a tensor of shape in that broadcasts to it.
func gatherBroadcast(in, out []int) []int {
	st := bcastStrides(in, out)
	idx := make([]int, tensor.Volume(out))
	for i := range idx {
		rem, src := i, 0
		for d := len(out) - 1; d >= 0; d-- {
			c := rem % out[d]
			rem /= out[d]
			src += c * st[d]
		}
		idx[i] = src
	}
	return idx
}

func bindExpand(n *onnx.Node, in []*value, _ bindCtx) ([]meta, kernel, error) {
	target, err := constInts(in[1], "shape")
	if err != nil {
		return nil, nil, err
	}
	ts := make([]int, len(target))
	for i, d := range target {
		if d < 0 {
			return nil, nil, fmt.Errorf("shape %v: negative dim", target)
		}
		ts[i] = int(d)
	}
	shape, err := broadcastShape(in[0].shape, ts)
	if err != nil {
		return nil, nil, err
	}
	idx := gatherBroadcast(in[0].shape, shape)
	return []meta{{in[0].dtype, shape}}, func(_ *exec, in, out []*tensor.Tensor) error {
		if in[0].DType == tensor.Int64 {
			for i, s := range idx {
				out[0].I[i] = in[0].I[s]
			}
			return nil
		}
		for i, s := range idx {
			out[0].F[i] = in[0].F[s]
		}
		return nil
	}, nil
}

func bindConstantOfShape(n *onnx.Node, in []*value, _ bindCtx) ([]meta, kernel, error) {
	dims, err := constInts(in[0], "shape")
	if err != nil {
		return nil, nil, err
	}
	shape := make([]int, len(dims))
	for i, d := range dims {
		if d < 0 || d > 1<<24 {
			return nil, nil, fmt.Errorf("shape %v: dims must be in 0..%d", dims, 1<<24)
		}
		shape[i] = int(d)
	}
	dt, f, iv := tensor.Float32, float32(0), int64(0)
	if a, ok := n.Attrs["value"]; ok {
		if a.Kind != onnx.AttrTensor || a.T == nil || a.T.Len() != 1 {
			return nil, nil, fmt.Errorf("attribute value must be a one-element tensor")
		}
		dt = a.T.DType
		if dt == tensor.Float32 {
			f = a.T.F[0]
		} else {
			iv = a.T.I[0]
		}
	}
	if tensor.Volume(shape) > 1<<26 {
		return nil, nil, fmt.Errorf("shape %v holds more than %d values", shape, 1<<26)
	}
	return []meta{{dt, shape}}, func(_ *exec, _, out []*tensor.Tensor) error {
		for i := range out[0].F {
			out[0].F[i] = f
		}
		for i := range out[0].I {
			out[0].I[i] = iv
		}
		return nil
	}, nil
}

// bindRange needs constant bounds: its length depends on them.
func bindRange(n *onnx.Node, in []*value, _ bindCtx) ([]meta, kernel, error) {
	for i, v := range in[:3] {
		if v.konst == nil || v.konst.Len() != 1 {
			return nil, nil, fmt.Errorf("input %d (%s) must be a constant scalar: the output's length depends on it", i, []string{"start", "limit", "delta"}[i])
		}
		if v.dtype != in[0].dtype {
			return nil, nil, fmt.Errorf("inputs are %s and %s: they must have one type", in[0].dtype, v.dtype)
		}
	}
	num := func(v *value) float64 {
		if v.dtype == tensor.Float32 {
			return float64(v.konst.F[0])
		}
		return float64(v.konst.I[0])
	}
	start, limit, delta := num(in[0]), num(in[1]), num(in[2])
	if delta == 0 || math.IsNaN(start+limit+delta) {
		return nil, nil, fmt.Errorf("delta %v with start %v, limit %v: no range", delta, start, limit)
	}
	count := max(0, math.Ceil((limit-start)/delta))
	if count > 1<<24 {
		return nil, nil, fmt.Errorf("%v values from %v to %v by %v: more than %d", count, start, limit, delta, 1<<24)
	}
	dt := in[0].dtype
	return []meta{{dt, []int{int(count)}}}, func(_ *exec, in, out []*tensor.Tensor) error {
		if dt == tensor.Int64 {
			s, d := in[0].I[0], in[2].I[0]
			for i := range out[0].I {
				out[0].I[i] = s + int64(i)*d
			}
			return nil
		}
		s, d := in[0].F[0], in[2].F[0]
		for i := range out[0].F {
			out[0].F[i] = s + float32(i)*d
		}
		return nil
	}, nil
}

func bindEqual(n *onnx.Node, in []*value, _ bindCtx) ([]meta, kernel, error) {
	if in[0].dtype != in[1].dtype {
		return nil, nil, fmt.Errorf("input types differ: %s and %s", in[0].dtype, in[1].dtype)
	}
	shape, err := broadcastShape(in[0].shape, in[1].shape)
	if err != nil {
		return nil, nil, err
	}
	ia, ib := gatherBroadcast(in[0].shape, shape), gatherBroadcast(in[1].shape, shape)
	return []meta{{tensor.Int64, shape}}, func(_ *exec, in, out []*tensor.Tensor) error {
		for i := range out[0].I {
			eq := false
			if in[0].DType == tensor.Int64 {
				eq = in[0].I[ia[i]] == in[1].I[ib[i]]
			} else {
				eq = in[0].F[ia[i]] == in[1].F[ib[i]]
			}
			out[0].I[i] = int64(boolInt(eq))
		}
		return nil
	}, nil
}

func bindWhere(n *onnx.Node, in []*value, _ bindCtx) ([]meta, kernel, error) {
	if in[0].dtype != tensor.Int64 {
		return nil, nil, fmt.Errorf("condition is %s: want BOOL (from Equal or a BOOL constant)", in[0].dtype)
	}
	if in[1].dtype != in[2].dtype {
		return nil, nil, fmt.Errorf("branch types differ: %s and %s", in[1].dtype, in[2].dtype)
	}
	shape, err := broadcastShape(in[0].shape, in[1].shape)
	if err == nil {
		shape, err = broadcastShape(shape, in[2].shape)
	}
	if err != nil {
		return nil, nil, err
	}
	ic, ix, iy := gatherBroadcast(in[0].shape, shape), gatherBroadcast(in[1].shape, shape), gatherBroadcast(in[2].shape, shape)
	return []meta{{in[1].dtype, shape}}, func(_ *exec, in, out []*tensor.Tensor) error {
		for i, c := range ic {
			pick, j := in[2], iy[i]
			if in[0].I[c] != 0 {
				pick, j = in[1], ix[i]
			}
			if pick.DType == tensor.Int64 {
				out[0].I[i] = pick.I[j]
			} else {
				out[0].F[i] = pick.F[j]
			}
		}
		return nil
	}, nil
}
