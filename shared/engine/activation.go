package engine

import (
	"fmt"
	"math"

	"github.com/nniescope/nniescope/shared/onnx"
	"github.com/nniescope/nniescope/shared/tensor"
)

// The activations and element-wise functions other detector families use
// (YOLOv3-tiny's LeakyRelu, MobileNet heads' HardSwish, YOLOX and
// exported decodes' Exp and Sqrt). Each is a scalar function of the
// node's attributes, applied element-wise; results are computed in
// float64 and rounded once where a libm call is involved, as onnxruntime's
// reference kernels do.

// scalarFn builds the element function of a node.
type scalarFn func(n *onnx.Node, in []*value, bc bindCtx) (func(float32) float32, error)

func bindScalar(mk scalarFn) func(*onnx.Node, []*value, bindCtx) ([]meta, kernel, error) {
	return func(n *onnx.Node, in []*value, bc bindCtx) ([]meta, kernel, error) {
		if in[0].dtype != tensor.Float32 {
			return nil, nil, fmt.Errorf("input is %s, want float32", in[0].dtype)
		}
		f, err := mk(n, in, bc)
		if err != nil {
			return nil, nil, err
		}
		return []meta{{tensor.Float32, in[0].shape}}, func(x *exec, in, out []*tensor.Tensor) error {
			src, dst := in[0].F, out[0].F
			x.parallel(len(dst), 1<<14, func(lo, hi int) {
				for i := lo; i < hi; i++ {
					dst[i] = f(src[i])
				}
			})
			return nil
		}, nil
	}
}

func fixed(f func(float32) float32) scalarFn {
	return func(*onnx.Node, []*value, bindCtx) (func(float32) float32, error) { return f, nil }
}

var (
	opRelu  = fixed(func(v float32) float32 { return max(v, 0) }) // NaN stays NaN
	opExp   = fixed(func(v float32) float32 { return float32(math.Exp(float64(v))) })
	opSqrt  = fixed(func(v float32) float32 { return float32(math.Sqrt(float64(v))) })
	opFloor = fixed(func(v float32) float32 { return float32(math.Floor(float64(v))) })
)

func opLeakyRelu(n *onnx.Node, _ []*value, _ bindCtx) (func(float32) float32, error) {
	a := n.Float("alpha", 0.01)
	return func(v float32) float32 {
		if v < 0 {
			return a * v
		}
		return v
	}, nil
}

func opHardSigmoid(n *onnx.Node, _ []*value, _ bindCtx) (func(float32) float32, error) {
	a, b := n.Float("alpha", 0.2), n.Float("beta", 0.5)
	return func(v float32) float32 { return max(0, min(1, a*v+b)) }, nil
}

// opHardSwish is x · HardSigmoid(x) with alpha 1/6, beta 0.5.
func opHardSwish(*onnx.Node, []*value, bindCtx) (func(float32) float32, error) {
	return func(v float32) float32 { return v * max(0, min(1, v/6+0.5)) }, nil
}

// opClip bounds values: attributes min and max before opset 11, optional
// constant inputs from it on; the other form is refused (as attrOrInput
// refuses it for the list ops).
func opClip(n *onnx.Node, in []*value, bc bindCtx) (func(float32) float32, error) {
	lo, hi := float32(math.Inf(-1)), float32(math.Inf(1))
	_, minAttr := n.Attrs["min"]
	_, maxAttr := n.Attrs["max"]
	hasInput := false
	for _, v := range in[1:] {
		hasInput = hasInput || v != nil
	}
	switch {
	case bc.opset >= 11 && (minAttr || maxAttr):
		return nil, fmt.Errorf("attributes min/max: opset 11 made them inputs, and the model declares opset %d", bc.opset)
	case bc.opset != 0 && bc.opset < 11 && hasInput:
		return nil, fmt.Errorf("inputs min/max exist from opset 11 on, but the model declares opset %d", bc.opset)
	case hasInput:
		for i, p := range []*float32{&lo, &hi} {
			v := (*value)(nil)
			if len(in) > i+1 {
				v = in[i+1]
			}
			if v == nil {
				continue
			}
			if v.konst == nil || v.konst.DType != tensor.Float32 || v.konst.Len() != 1 {
				return nil, fmt.Errorf("input %d (%s) must be a constant float scalar", i+1, []string{"min", "max"}[i])
			}
			*p = v.konst.F[0]
		}
	default:
		lo, hi = n.Float("min", lo), n.Float("max", hi)
	}
	return func(v float32) float32 {
		if v < lo {
			return lo
		}
		if v > hi {
			return hi
		}
		return v
	}, nil
}
