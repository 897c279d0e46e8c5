package engine

import (
	"errors"
	"fmt"

	"github.com/nniescope/nniescope/shared/engine/internal/vmath"
	"github.com/nniescope/nniescope/shared/onnx"
	"github.com/nniescope/nniescope/shared/tensor"
)

// meta is what shape inference knows of an output.
type meta struct {
	dtype tensor.DType
	shape []int
}

// opDef binds a node: it infers output metas from the inputs (constant
// inputs carry their values) and returns the kernel that computes them.
type opDef struct {
	minIn, maxIn int // maxIn < 0: variadic
	bind         func(n *onnx.Node, in []*value, bc bindCtx) ([]meta, kernel, error)
	// floatOnly ops compute on float32 data: an INT64 data input is
	// refused at compile instead of being read as float (it panicked).
	floatOnly bool
}

var registry map[string]opDef

func init() {
	registry = map[string]opDef{
		"Conv":            {2, 3, nil, true}, // Compile binds it with bindConvKernel, keeping the kernel to fuse
		"Add":             {2, 2, bindBinary(opAdd), false},
		"Sub":             {2, 2, bindBinary(opSub), false},
		"Mul":             {2, 2, bindBinary(opMul), false},
		"Div":             {2, 2, bindBinary(opDiv), false},
		"Pow":             {2, 2, bindPow, false},
		"MatMul":          {2, 2, bindMatMul, true},
		"Sigmoid":         {1, 1, bindUnary(vmath.Sigmoid), true},
		"Relu":            {1, 1, bindScalar(opRelu), true},
		"LeakyRelu":       {1, 1, bindScalar(opLeakyRelu), true},
		"HardSigmoid":     {1, 1, bindScalar(opHardSigmoid), true},
		"HardSwish":       {1, 1, bindScalar(opHardSwish), true},
		"Clip":            {1, 3, bindScalar(opClip), true},
		"Exp":             {1, 1, bindScalar(opExp), true},
		"Sqrt":            {1, 1, bindScalar(opSqrt), true},
		"Floor":           {1, 1, bindScalar(opFloor), true},
		"Identity":        {1, 1, bindIdentity, false},
		"Concat":          {1, -1, bindConcat, false},
		"Split":           {1, 2, bindSplit, false},
		"Slice":           {3, 5, bindSlice, false},
		"MaxPool":         {1, 1, bindMaxPool, true},
		"Resize":          {1, 4, bindResize, true},
		"Reshape":         {2, 2, bindReshape, false},
		"Flatten":         {1, 1, bindFlatten, false},
		"Transpose":       {1, 1, bindTranspose, false},
		"Softmax":         {1, 1, bindSoftmax, true},
		"Shape":           {1, 1, bindShape, false},
		"Gather":          {2, 2, bindGather, false},
		"Unsqueeze":       {1, 2, bindUnsqueeze, false},
		"Squeeze":         {1, 2, bindSqueeze, false},
		"Cast":            {1, 1, bindCast, false},
		"Expand":          {2, 2, bindExpand, false},
		"ConstantOfShape": {1, 1, bindConstantOfShape, false},
		"Range":           {3, 3, bindRange, false},
		"Equal":           {2, 2, bindEqual, false},
		"Where":           {3, 3, bindWhere, false},
	}
}

var errConstInput = errors.New("input must be a constant (an initializer or computable at load time)")

// attrOrInput reads a list an op takes as attribute name before opset
// since, and as input idx from it on (Split's sizes, Squeeze's and
// Unsqueeze's axes), and refuses the other form: a model whose nodes do
// not match its declared opset would otherwise run with another version's
// semantics (other ops, Softmax for one, honour the declared opset).
// Opset 0 (a node bound outside a model) accepts either.
func attrOrInput(n *onnx.Node, in []*value, bc bindCtx, name string, idx int, since int64) ([]int64, error) {
	hasInput := len(in) > idx && in[idx] != nil
	_, hasAttr := n.Attrs[name]
	switch {
	case bc.opset >= since && hasAttr:
		return nil, fmt.Errorf("attribute %q: opset %d made it input %d, and the model declares opset %d: was it written for an older opset?", name, since, idx, bc.opset)
	case bc.opset != 0 && bc.opset < since && hasInput:
		return nil, fmt.Errorf("input %d (%s) exists from opset %d on, but the model declares opset %d, where %s is an attribute: was the opset relabelled?", idx, name, since, bc.opset, name)
	case hasInput:
		return constInts(in[idx], name)
	}
	return n.Ints(name, nil), nil
}

// constInts returns the int64 values of a constant input.
func constInts(v *value, what string) ([]int64, error) {
	if v == nil {
		return nil, nil
	}
	if v.konst == nil {
		return nil, fmt.Errorf("%s: %w", what, errConstInput)
	}
	if v.konst.DType == tensor.Int64 {
		return v.konst.I, nil
	}
	out := make([]int64, len(v.konst.F))
	for i, f := range v.konst.F {
		out[i] = int64(f)
	}
	return out, nil
}

func normAxis(axis int64, rank int) (int, error) {
	if axis < 0 {
		axis += int64(rank)
	}
	if axis < 0 || axis >= int64(rank) {
		return 0, fmt.Errorf("axis %d out of range for rank %d", axis, rank)
	}
	return int(axis), nil
}

// copyElems copies n elements from src at so to dst at do, of whichever
// element type the tensors hold: the data-movement kernels also run at
// compile time on int64 shape constants.
func copyElems(dst *tensor.Tensor, do int, src *tensor.Tensor, so, n int) {
	if src.DType == tensor.Int64 {
		copy(dst.I[do:do+n], src.I[so:so+n])
		return
	}
	copy(dst.F[do:do+n], src.F[so:so+n])
}

func bindIdentity(_ *onnx.Node, in []*value, _ bindCtx) ([]meta, kernel, error) {
	return []meta{{in[0].dtype, in[0].shape}}, func(_ *exec, in, out []*tensor.Tensor) error {
		copy(out[0].F, in[0].F)
		copy(out[0].I, in[0].I)
		return nil
	}, nil
}

func bindCast(n *onnx.Node, in []*value, _ bindCtx) ([]meta, kernel, error) {
	to := n.Int("to", 1)
	var dt tensor.DType
	switch to {
	case 1, 10, 11: // FLOAT, FLOAT16, DOUBLE: computed as float32
		dt = tensor.Float32
	case 6, 7: // INT32, INT64
		dt = tensor.Int64
	default:
		return nil, nil, fmt.Errorf("cast to ONNX type %d is not supported", to)
	}
	return []meta{{dt, in[0].shape}}, func(_ *exec, in, out []*tensor.Tensor) error {
		switch {
		case to == 10 && in[0].DType == tensor.Float32:
			// FLOAT16 is held as float32, rounded to binary16 as the cast does.
			for i, v := range in[0].F {
				out[0].F[i] = tensor.Float16ToFloat32(tensor.Float32ToFloat16(v))
			}
		case to == 10:
			for i, v := range in[0].I {
				out[0].F[i] = tensor.Float16ToFloat32(tensor.Float32ToFloat16(float32(v)))
			}
		case in[0].DType == dt && dt == tensor.Float32:
			copy(out[0].F, in[0].F)
		case in[0].DType == dt:
			copy(out[0].I, in[0].I)
		case dt == tensor.Float32:
			for i, v := range in[0].I {
				out[0].F[i] = float32(v)
			}
		default:
			for i, v := range in[0].F {
				out[0].I[i] = int64(v)
			}
		}
		return nil
	}, nil
}

func bindShape(n *onnx.Node, in []*value, _ bindCtx) ([]meta, kernel, error) {
	r := len(in[0].shape)
	start, end := int(n.Int("start", 0)), int(n.Int("end", int64(r)))
	if start < 0 {
		start += r
	}
	if end < 0 {
		end += r
	}
	start, end = max(0, min(start, r)), max(0, min(end, r))
	if end < start {
		end = start
	}
	shape := in[0].shape
	return []meta{{tensor.Int64, []int{end - start}}}, func(_ *exec, _, out []*tensor.Tensor) error {
		for i := start; i < end; i++ {
			out[0].I[i-start] = int64(shape[i])
		}
		return nil
	}, nil
}

func bindReshape(n *onnx.Node, in []*value, _ bindCtx) ([]meta, kernel, error) {
	target, err := constInts(in[1], "shape")
	if err != nil {
		return nil, nil, err
	}
	shape, err := reshapeTarget(in[0].shape, target, n.Int("allowzero", 0) != 0)
	if err != nil {
		return nil, nil, err
	}
	return []meta{{in[0].dtype, shape}}, copyKernel, nil
}

func reshapeTarget(from []int, target []int64, allowZero bool) ([]int, error) {
	shape := make([]int, len(target))
	infer := -1
	known := 1
	for i, d := range target {
		switch {
		case d == -1:
			if infer >= 0 {
				return nil, errors.New("reshape target has more than one -1")
			}
			infer = i
			continue
		case d == 0 && !allowZero:
			if i >= len(from) {
				return nil, fmt.Errorf("reshape target %v copies dimension %d the input %v lacks", target, i, from)
			}
			shape[i] = from[i]
		case d < 0:
			return nil, fmt.Errorf("reshape target %v has a negative dimension", target)
		default:
			shape[i] = int(d)
		}
		known *= shape[i]
	}
	total := tensor.Volume(from)
	if infer >= 0 {
		if known == 0 || total%known != 0 {
			return nil, fmt.Errorf("cannot reshape %v to %v", from, target)
		}
		shape[infer] = total / known
	}
	if tensor.Volume(shape) != total {
		return nil, fmt.Errorf("cannot reshape %v (%d values) to %v", from, total, shape)
	}
	return shape, nil
}

func copyKernel(_ *exec, in, out []*tensor.Tensor) error {
	copy(out[0].F, in[0].F)
	copy(out[0].I, in[0].I)
	return nil
}

func bindFlatten(n *onnx.Node, in []*value, _ bindCtx) ([]meta, kernel, error) {
	r := len(in[0].shape)
	axis := int(n.Int("axis", 1))
	if axis < 0 {
		axis += r
	}
	if axis < 0 || axis > r {
		return nil, nil, fmt.Errorf("axis %d out of range for rank %d", axis, r)
	}
	a := tensor.Volume(in[0].shape[:axis])
	return []meta{{in[0].dtype, []int{a, tensor.Volume(in[0].shape) / max(a, 1)}}}, copyKernel, nil
}

func bindUnsqueeze(n *onnx.Node, in []*value, bc bindCtx) ([]meta, kernel, error) {
	axes, err := attrOrInput(n, in, bc, "axes", 1, 13)
	if err != nil {
		return nil, nil, err
	}
	r := len(in[0].shape) + len(axes)
	ins := make([]bool, r)
	for _, a := range axes {
		ax, err := normAxis(a, r)
		if err != nil {
			return nil, nil, err
		}
		ins[ax] = true
	}
	shape := make([]int, 0, r)
	j := 0
	for i := 0; i < r; i++ {
		if ins[i] {
			shape = append(shape, 1)
		} else {
			if j >= len(in[0].shape) {
				return nil, nil, fmt.Errorf("axes %v do not fit rank %d", axes, len(in[0].shape))
			}
			shape = append(shape, in[0].shape[j])
			j++
		}
	}
	return []meta{{in[0].dtype, shape}}, copyKernel, nil
}

func bindSqueeze(n *onnx.Node, in []*value, bc bindCtx) ([]meta, kernel, error) {
	axes, err := attrOrInput(n, in, bc, "axes", 1, 13)
	if err != nil {
		return nil, nil, err
	}
	r := len(in[0].shape)
	drop := make([]bool, r)
	for _, a := range axes {
		ax, err := normAxis(a, r)
		if err != nil {
			return nil, nil, err
		}
		if in[0].shape[ax] != 1 {
			return nil, nil, fmt.Errorf("cannot squeeze axis %d of size %d", ax, in[0].shape[ax])
		}
		drop[ax] = true
	}
	var shape []int
	for i, d := range in[0].shape {
		if (len(axes) == 0 && d == 1) || drop[i] {
			continue
		}
		shape = append(shape, d)
	}
	return []meta{{in[0].dtype, shape}}, copyKernel, nil
}

func bindGather(n *onnx.Node, in []*value, _ bindCtx) ([]meta, kernel, error) {
	r := len(in[0].shape)
	axis, err := normAxis(n.Int("axis", 0), r)
	if err != nil {
		return nil, nil, err
	}
	idx, err := constInts(in[1], "indices")
	if err != nil {
		return nil, nil, err
	}
	dim := in[0].shape[axis]
	norm := make([]int, len(idx))
	for i, v := range idx {
		if v < 0 {
			v += int64(dim)
		}
		if v < 0 || v >= int64(dim) {
			return nil, nil, fmt.Errorf("index %d out of range for axis of size %d", idx[i], dim)
		}
		norm[i] = int(v)
	}
	shape := append(append(append([]int{}, in[0].shape[:axis]...), in[1].shape...), in[0].shape[axis+1:]...)
	outer := tensor.Volume(in[0].shape[:axis])
	inner := tensor.Volume(in[0].shape[axis+1:])
	return []meta{{in[0].dtype, shape}}, func(_ *exec, in, out []*tensor.Tensor) error {
		o := 0
		for a := 0; a < outer; a++ {
			for _, ix := range norm {
				src := (a*dim + ix) * inner
				copyElems(out[0], o, in[0], src, inner)
				o += inner
			}
		}
		return nil
	}, nil
}

func bindConcat(n *onnx.Node, in []*value, _ bindCtx) ([]meta, kernel, error) {
	r := len(in[0].shape)
	axis, err := normAxis(n.Int("axis", 0), r)
	if err != nil {
		return nil, nil, err
	}
	shape := append([]int(nil), in[0].shape...)
	shape[axis] = 0
	for i, v := range in {
		if v == nil || len(v.shape) != r || v.dtype != in[0].dtype {
			return nil, nil, fmt.Errorf("input %d does not match input 0 (%s%v)", i, in[0].dtype, in[0].shape)
		}
		for d := range r {
			if d != axis && v.shape[d] != in[0].shape[d] {
				return nil, nil, fmt.Errorf("input %d shape %v does not match %v outside axis %d", i, v.shape, in[0].shape, axis)
			}
		}
		shape[axis] += v.shape[axis]
	}
	outer := tensor.Volume(shape[:axis])
	inner := tensor.Volume(shape[axis+1:])
	return []meta{{in[0].dtype, shape}}, func(_ *exec, in, out []*tensor.Tensor) error {
		off := 0
		total := shape[axis] * inner
		for _, t := range in {
			w := t.Shape[axis] * inner
			for a := 0; a < outer; a++ {
				copyElems(out[0], a*total+off, t, a*w, w)
			}
			off += w
		}
		return nil
	}, nil
}

func bindSplit(n *onnx.Node, in []*value, bc bindCtx) ([]meta, kernel, error) {
	r := len(in[0].shape)
	axis, err := normAxis(n.Int("axis", 0), r)
	if err != nil {
		return nil, nil, err
	}
	sizes, err := attrOrInput(n, in, bc, "split", 1, 13)
	if err != nil {
		return nil, nil, err
	}
	nOut := len(n.Outputs)
	dim := in[0].shape[axis]
	if len(sizes) == 0 {
		if dim%nOut != 0 {
			return nil, nil, fmt.Errorf("axis size %d does not split evenly into %d outputs", dim, nOut)
		}
		for range nOut {
			sizes = append(sizes, int64(dim/nOut))
		}
	}
	if len(sizes) != nOut {
		return nil, nil, fmt.Errorf("split has %d sizes for %d outputs", len(sizes), nOut)
	}
	var sum int64
	metas := make([]meta, nOut)
	for i, s := range sizes {
		sum += s
		shape := append([]int(nil), in[0].shape...)
		shape[axis] = int(s)
		metas[i] = meta{in[0].dtype, shape}
	}
	if sum != int64(dim) {
		return nil, nil, fmt.Errorf("split sizes %v do not sum to axis size %d", sizes, dim)
	}
	outer := tensor.Volume(in[0].shape[:axis])
	inner := tensor.Volume(in[0].shape[axis+1:])
	return metas, func(_ *exec, in, out []*tensor.Tensor) error {
		off := 0
		total := dim * inner
		for _, t := range out {
			w := t.Shape[axis] * inner
			for a := 0; a < outer; a++ {
				copyElems(t, a*w, in[0], a*total+off, w)
			}
			off += w
		}
		return nil
	}, nil
}

func bindSlice(_ *onnx.Node, in []*value, _ bindCtx) ([]meta, kernel, error) {
	r := len(in[0].shape)
	starts, err := constInts(in[1], "starts")
	if err != nil {
		return nil, nil, err
	}
	ends, err := constInts(in[2], "ends")
	if err != nil {
		return nil, nil, err
	}
	var axes, steps []int64
	if len(in) > 3 {
		if axes, err = constInts(in[3], "axes"); err != nil {
			return nil, nil, err
		}
	}
	if len(in) > 4 {
		if steps, err = constInts(in[4], "steps"); err != nil {
			return nil, nil, err
		}
	}
	if len(axes) == 0 {
		for i := range starts {
			axes = append(axes, int64(i))
		}
	}
	if len(ends) != len(starts) || len(axes) != len(starts) || (len(steps) > 0 && len(steps) != len(starts)) {
		return nil, nil, fmt.Errorf("starts %v, ends %v, axes %v, steps %v differ in length", starts, ends, axes, steps)
	}
	st := make([]int, r)
	step := make([]int, r)
	shape := append([]int(nil), in[0].shape...)
	for i := range step {
		step[i] = 1
	}
	for i, a := range axes {
		ax, err := normAxis(a, r)
		if err != nil {
			return nil, nil, err
		}
		d := int64(in[0].shape[ax])
		s, e, k := starts[i], ends[i], int64(1)
		if len(steps) > 0 {
			k = steps[i]
		}
		if k == 0 {
			return nil, nil, errors.New("slice step is 0")
		}
		clampIdx := func(v, lo, hi int64) int64 {
			if v < 0 {
				v += d
			}
			return max(lo, min(v, hi))
		}
		var n int64
		if k > 0 {
			s, e = clampIdx(s, 0, d), clampIdx(e, 0, d)
			n = max(0, (e-s+k-1)/k)
		} else {
			s, e = clampIdx(s, 0, d-1), clampIdx(e, -1, d-1)
			if ends[i] < -d {
				e = -1
			}
			n = max(0, (s-e+(-k)-1)/(-k))
		}
		st[ax], step[ax], shape[ax] = int(s), int(k), int(n)
	}
	src := in[0].shape
	strides := rowStrides(src)
	// The longest suffix of untouched axes plus the innermost sliced axis
	// (when its step is 1) is one contiguous run: copy runs, not elements.
	d := r - 1
	for d > 0 && st[d] == 0 && step[d] == 1 && shape[d] == src[d] {
		d--
	}
	run := shape[d] * strides[d]
	if step[d] != 1 {
		run, d = strides[d], d+1 // fall back to runs below axis d
		if d > r-1 {
			d, run = r-1, 1
		}
	}
	if step[d] != 1 {
		run = 1
	}
	outer := tensor.Volume(shape[:d])
	return []meta{{in[0].dtype, shape}}, func(_ *exec, in, out []*tensor.Tensor) error {
		idx := make([]int, d)
		o := 0
		for range outer {
			off := st[d] * strides[d]
			for k := range d {
				off += (st[k] + idx[k]*step[k]) * strides[k]
			}
			if run == 1 && step[d] != 1 {
				sj := step[d] * strides[d]
				if in[0].DType == tensor.Int64 {
					for j := range shape[d] {
						out[0].I[o+j] = in[0].I[off+j*sj]
					}
				} else {
					for j := range shape[d] {
						out[0].F[o+j] = in[0].F[off+j*sj]
					}
				}
				o += shape[d]
			} else {
				copyElems(out[0], o, in[0], off, run)
				o += run
			}
			for k := d - 1; k >= 0; k-- {
				idx[k]++
				if idx[k] < shape[k] {
					break
				}
				idx[k] = 0
			}
		}
		return nil
	}, nil
}

func rowStrides(shape []int) []int {
	s := make([]int, len(shape))
	acc := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = acc
		acc *= shape[i]
	}
	return s
}

func bindTranspose(n *onnx.Node, in []*value, _ bindCtx) ([]meta, kernel, error) {
	r := len(in[0].shape)
	perm := n.Ints("perm", nil)
	if len(perm) == 0 {
		for i := r - 1; i >= 0; i-- {
			perm = append(perm, int64(i))
		}
	}
	if len(perm) != r {
		return nil, nil, fmt.Errorf("perm %v does not match rank %d", perm, r)
	}
	shape := make([]int, r)
	seen := make([]bool, r)
	p := make([]int, r)
	for i, a := range perm {
		ax, err := normAxis(a, r)
		if err != nil || seen[ax] {
			return nil, nil, fmt.Errorf("perm %v is not a permutation", perm)
		}
		seen[ax] = true
		p[i] = ax
		shape[i] = in[0].shape[ax]
	}
	srcStrides := rowStrides(in[0].shape)
	// Axes at the end that stay in place form contiguous runs; otherwise
	// the innermost output axis is walked with its source stride.
	d := r
	for d > 0 && p[d-1] == d-1 {
		d--
	}
	run := tensor.Volume(shape[d:]) // 1 when the last axis moves
	walk := d
	if run == 1 {
		walk = r - 1
	}
	outer := tensor.Volume(shape[:walk])
	inner := tensor.Volume(shape[walk:])
	innerStride := 1
	if run == 1 && r > 0 {
		innerStride = srcStrides[p[r-1]]
	}
	return []meta{{in[0].dtype, shape}}, func(_ *exec, in, out []*tensor.Tensor) error {
		idx := make([]int, walk)
		o := 0
		for range outer {
			off := 0
			for k := range walk {
				off += idx[k] * srcStrides[p[k]]
			}
			switch {
			case run > 1:
				copyElems(out[0], o, in[0], off, inner)
			case in[0].DType == tensor.Int64:
				for j := range inner {
					out[0].I[o+j] = in[0].I[off+j*innerStride]
				}
			default:
				dst := out[0].F[o : o+inner]
				for j := range dst {
					dst[j] = in[0].F[off+j*innerStride]
				}
			}
			o += inner
			for k := walk - 1; k >= 0; k-- {
				idx[k]++
				if idx[k] < shape[k] {
					break
				}
				idx[k] = 0
			}
		}
		return nil
	}, nil
}

// bindCtx is what binding may know beyond the node and its inputs.
type bindCtx struct {
	threads int
	opset   int64
}
