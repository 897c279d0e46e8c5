package engine

import (
	"fmt"
	"math"

	"github.com/nniescope/nniescope/shared/engine/internal/vmath"
	"github.com/nniescope/nniescope/shared/onnx"
	"github.com/nniescope/nniescope/shared/tensor"
)

type binOp uint8

const (
	opAdd binOp = iota
	opSub
	opMul
	opDiv
	opPow
)

// broadcastShape applies numpy broadcasting rules.
func broadcastShape(a, b []int) ([]int, error) {
	r := max(len(a), len(b))
	out := make([]int, r)
	for i := range r {
		da, db := 1, 1
		if j := len(a) - r + i; j >= 0 {
			da = a[j]
		}
		if j := len(b) - r + i; j >= 0 {
			db = b[j]
		}
		switch {
		case da == db, db == 1:
			out[i] = da
		case da == 1:
			out[i] = db
		default:
			return nil, fmt.Errorf("shapes %v and %v do not broadcast", a, b)
		}
	}
	return out, nil
}

// bcastStrides returns the strides of shape s viewed as the broadcast shape
// out (0 on broadcast axes).
func bcastStrides(s, out []int) []int {
	st := make([]int, len(out))
	rs := rowStrides(s)
	off := len(out) - len(s)
	for i := range s {
		if s[i] != 1 {
			st[off+i] = rs[i]
		}
	}
	return st
}

func bindBinary(op binOp) func(*onnx.Node, []*value, bindCtx) ([]meta, kernel, error) {
	return func(_ *onnx.Node, in []*value, _ bindCtx) ([]meta, kernel, error) {
		if in[0].dtype != in[1].dtype {
			return nil, nil, fmt.Errorf("input types differ: %s and %s", in[0].dtype, in[1].dtype)
		}
		shape, err := broadcastShape(in[0].shape, in[1].shape)
		if err != nil {
			return nil, nil, err
		}
		sa, sb := bcastStrides(in[0].shape, shape), bcastStrides(in[1].shape, shape)
		// Collapse to (outer, inner) where, over the inner run, each operand
		// is either contiguous or one broadcast value: the YOLOv8 cases (same
		// shape, scalar, per-anchor strides) all reduce to tight loops.
		r := len(shape)
		al, bl := alignShape(in[0].shape, r), alignShape(in[1].shape, r)
		k, inner := r, 1
		aInner, bInner := -1, -1 // -1 undecided, 1 contiguous, 0 broadcast
		fits := func(mode *int, dim, full int) bool {
			m := 1
			if dim == 1 {
				m = 0
			}
			if *mode < 0 {
				*mode = m
			}
			return *mode == m
		}
		for k > 0 {
			d := k - 1
			if shape[d] != 1 && (!fits(&aInner, al[d], shape[d]) || !fits(&bInner, bl[d], shape[d])) {
				break
			}
			inner *= shape[d]
			k--
		}
		aInner, bInner = max(aInner, 0)|boolInt(aInner < 0), max(bInner, 0)|boolInt(bInner < 0)
		outer := tensor.Volume(shape[:k])
		outShape := shape[:k]
		oa, ob := sa[:k], sb[:k]
		return []meta{{in[0].dtype, shape}}, func(x *exec, in, out []*tensor.Tensor) error {
			if in[0].DType == tensor.Int64 {
				binaryInt(op, in[0].I, in[1].I, out[0].I, outShape, oa, ob, inner, aInner, bInner)
				return nil
			}
			a, b, o := in[0].F, in[1].F, out[0].F
			rowOff := func(i int) (int, int) {
				ia, ib := 0, 0
				for d := len(outShape) - 1; d >= 0; d-- {
					c := i % outShape[d]
					i /= outShape[d]
					ia += c * oa[d]
					ib += c * ob[d]
				}
				return ia, ib
			}
			x.parallel(outer*inner, 1<<15, func(lo, hi int) {
				for i := lo; i < hi; {
					row := i / inner
					j := i - row*inner
					n := min(inner-j, hi-i)
					ia, ib := rowOff(row)
					av := a[ia+j*aInner:]
					bv := b[ib+j*bInner:]
					ov := o[i : i+n]
					binaryRun(op, av, bv, ov, aInner, bInner)
					i += n
				}
			})
			return nil
		}, nil
	}
}

// binaryRun applies op over len(o) elements; aStep/bStep are 1 for a
// contiguous operand and 0 for a broadcast scalar.
func binaryRun(op binOp, a, b, o []float32, aStep, bStep int) {
	n := len(o)
	if op == opPow {
		for i := range o {
			o[i] = pow32(a[i*aStep], b[i*bStep])
		}
		return
	}
	switch {
	case aStep == 1 && bStep == 1:
		a, b = a[:n], b[:n]
		switch op {
		case opAdd:
			for i := range o {
				o[i] = a[i] + b[i]
			}
		case opSub:
			for i := range o {
				o[i] = a[i] - b[i]
			}
		case opMul:
			for i := range o {
				o[i] = a[i] * b[i]
			}
		case opDiv:
			for i := range o {
				o[i] = a[i] / b[i]
			}
		}
	case aStep == 1:
		a = a[:n]
		s := b[0]
		switch op {
		case opAdd:
			for i := range o {
				o[i] = a[i] + s
			}
		case opSub:
			for i := range o {
				o[i] = a[i] - s
			}
		case opMul:
			for i := range o {
				o[i] = a[i] * s
			}
		case opDiv:
			for i := range o {
				o[i] = a[i] / s
			}
		}
	case bStep == 1:
		b = b[:n]
		s := a[0]
		switch op {
		case opAdd:
			for i := range o {
				o[i] = s + b[i]
			}
		case opSub:
			for i := range o {
				o[i] = s - b[i]
			}
		case opMul:
			for i := range o {
				o[i] = s * b[i]
			}
		case opDiv:
			for i := range o {
				o[i] = s / b[i]
			}
		}
	default:
		v := applyBin(op, a[0], b[0])
		for i := range o {
			o[i] = v
		}
	}
}

func alignShape(s []int, r int) []int {
	out := make([]int, r)
	for i := range out {
		out[i] = 1
	}
	copy(out[r-len(s):], s)
	return out
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func applyBin(op binOp, a, b float32) float32 {
	switch op {
	case opAdd:
		return a + b
	case opSub:
		return a - b
	case opMul:
		return a * b
	case opPow:
		return pow32(a, b)
	}
	return a / b
}

// pow32 is C's powf as onnxruntime computes Pow: through float64 (exact
// for the squares and cubes YOLOv5's head takes), rounded once.
func pow32(a, b float32) float32 {
	switch b {
	case 1:
		return a
	case 2:
		return float32(float64(a) * float64(a))
	}
	return float32(math.Pow(float64(a), float64(b)))
}

// powInt is integer exponentiation; a negative exponent truncates toward
// zero as integer division would (1 and -1 keep a magnitude of 1).
func powInt(x, y int64) int64 {
	if y < 0 {
		switch x {
		case 1:
			return 1
		case -1:
			if y%2 == 0 {
				return 1
			}
			return -1
		}
		return 0
	}
	r := int64(1)
	for ; y > 0; y >>= 1 {
		if y&1 == 1 {
			r *= x
		}
		x *= x
	}
	return r
}

func binaryInt(op binOp, a, b, o []int64, shape, sa, sb []int, inner, aStep, bStep int) {
	outer := tensor.Volume(shape)
	for row := 0; row < outer; row++ {
		ia, ib, i := 0, 0, row
		for d := len(shape) - 1; d >= 0; d-- {
			c := i % shape[d]
			i /= shape[d]
			ia += c * sa[d]
			ib += c * sb[d]
		}
		for j := 0; j < inner; j++ {
			x, y := a[ia+j*aStep], b[ib+j*bStep]
			var v int64
			switch op {
			case opAdd:
				v = x + y
			case opSub:
				v = x - y
			case opMul:
				v = x * y
			case opDiv:
				if y != 0 {
					v = x / y
				}
			case opPow:
				v = powInt(x, y)
			}
			o[row*inner+j] = v
		}
	}
}

func bindUnary(f func(dst, src []float32)) func(*onnx.Node, []*value, bindCtx) ([]meta, kernel, error) {
	return func(_ *onnx.Node, in []*value, _ bindCtx) ([]meta, kernel, error) {
		if in[0].dtype != tensor.Float32 {
			return nil, nil, fmt.Errorf("input is %s, want float32", in[0].dtype)
		}
		return []meta{{tensor.Float32, in[0].shape}}, func(x *exec, in, out []*tensor.Tensor) error {
			src, dst := in[0].F, out[0].F
			x.parallel(len(dst), 1<<14, func(lo, hi int) { f(dst[lo:hi], src[lo:hi]) })
			return nil
		}, nil
	}
}

func bindSoftmax(n *onnx.Node, in []*value, bc bindCtx) ([]meta, kernel, error) {
	r := len(in[0].shape)
	def := int64(-1)
	if bc.opset < 13 {
		def = 1
	}
	axis, err := normAxis(n.Int("axis", def), r)
	if err != nil {
		return nil, nil, err
	}
	outer := tensor.Volume(in[0].shape[:axis])
	dim := in[0].shape[axis]
	inner := tensor.Volume(in[0].shape[axis+1:])
	if bc.opset < 13 {
		// Before opset 13 Softmax works on the input coerced to 2-D at axis.
		dim, inner = dim*inner, 1
	}
	return []meta{{tensor.Float32, in[0].shape}}, func(x *exec, in, out []*tensor.Tensor) error {
		src, dst := in[0].F, out[0].F
		// Row-wise over contiguous inner runs: max, exp (vectorised), sum,
		// scale. scratch holds the running max and sum per inner position.
		scratch := x.buf(2 * inner)
		for o := 0; o < outer; o++ {
			base := o * dim * inner
			x.parallel(inner, 1024, func(lo, hi int) {
				m, sum := scratch[lo:hi], scratch[inner+lo:inner+hi]
				copy(m, src[base+lo:base+hi])
				for d := 1; d < dim; d++ {
					row := src[base+d*inner+lo : base+d*inner+hi]
					for j, v := range row {
						m[j] = max(m[j], v)
					}
				}
				clear(sum)
				for d := 0; d < dim; d++ {
					row := dst[base+d*inner+lo : base+d*inner+hi]
					s := src[base+d*inner+lo : base+d*inner+hi]
					for j, v := range s {
						row[j] = v - m[j]
					}
					vmath.ExpSlice(row, row)
					for j, v := range row {
						sum[j] += v
					}
				}
				for j := range sum {
					sum[j] = 1 / sum[j]
				}
				for d := 0; d < dim; d++ {
					row := dst[base+d*inner+lo : base+d*inner+hi]
					for j := range row {
						row[j] *= sum[j]
					}
				}
			})
		}
		return nil
	}, nil
}

// bindPow is Pow: a float base with a float exponent, or an integer
// exponent (ONNX lets the two types differ) that is a constant, taken as
// float; integers to integer powers.
func bindPow(n *onnx.Node, in []*value, bc bindCtx) ([]meta, kernel, error) {
	if in[0].dtype == tensor.Float32 && in[1].dtype == tensor.Int64 {
		if in[1].konst == nil {
			return nil, nil, fmt.Errorf("exponent %q is INT64 computed at run time: only a constant integer exponent is supported with a FLOAT base", n.Inputs[1])
		}
		f := tensor.New(in[1].konst.Shape...)
		for i, v := range in[1].konst.I {
			f.F[i] = float32(v)
		}
		exp := &value{name: in[1].name, dtype: tensor.Float32, shape: in[1].shape, konst: f, producer: -1}
		metas, k, err := bindBinary(opPow)(n, []*value{in[0], exp}, bc)
		if err != nil {
			return nil, nil, err
		}
		return metas, func(x *exec, args, out []*tensor.Tensor) error {
			return k(x, []*tensor.Tensor{args[0], f}, out)
		}, nil
	}
	if in[0].dtype != in[1].dtype {
		return nil, nil, fmt.Errorf("base is %s and exponent %s: supported are FLOAT^FLOAT, FLOAT^INT64 (constant) and INT64^INT64", in[0].dtype, in[1].dtype)
	}
	return bindBinary(opPow)(n, in, bc)
}
