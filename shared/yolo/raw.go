package yolo

import (
	"errors"
	"math"
	"strconv"

	"github.com/nniescope/nniescope/shared/internal/errfmt"
	"github.com/nniescope/nniescope/shared/tensor"
)

// RawType is the element type of a tensor as a board emits it.
type RawType uint32

const (
	RawF32 RawType = iota + 1
	RawF16
	RawS8
	RawU8
	RawS16
	RawS32x4096 // NNIE: int32 = value × 4096
)

// String names the type as docs/POSTPROCESS.md does, and says what an
// unknown value is (error messages print it).
func (t RawType) String() string {
	switch t {
	case RawF32:
		return "F32"
	case RawF16:
		return "F16"
	case RawS8:
		return "S8"
	case RawU8:
		return "U8"
	case RawS16:
		return "S16"
	case RawS32x4096:
		return "S32x4096"
	}
	return "unknown element type " + strconv.FormatUint(uint64(t), 10)
}

func (t RawType) size() int {
	switch t {
	case RawF32, RawS32x4096:
		return 4
	case RawF16, RawS16:
		return 2
	case RawS8, RawU8:
		return 1
	}
	return 0
}

// Raw is a tensor as the NPU writes it: [N, C, H, W] (or [1, rows, cols])
// with every innermost row padded to RowStride bytes, quantized integers
// with value = (q − Offset) / Scale (the calibration file's convention).
type Raw struct {
	Type      RawType
	Shape     []int
	RowStride int // bytes per innermost row; 0 = packed
	Scale     float32
	Offset    float32
	Data      []byte
}

// ErrTensor marks a tensor whose description and bytes disagree.
var ErrTensor = errors.New("inconsistent tensor")

// Float dequantizes r into a dense float32 tensor.
func (r Raw) Float() (*tensor.Tensor, error) {
	n, err := r.validate()
	if err != nil {
		return nil, err
	}
	cols := r.Shape[len(r.Shape)-1]
	rows := n / cols
	rr := rowReader{r: r, cols: cols, stride: r.RowStride, inv: 1 / r.Scale}
	if rr.stride == 0 {
		rr.stride = cols * r.Type.size()
	}
	out := tensor.New(r.Shape...)
	for row := range rows {
		rr.row(row, out.F[row*cols:(row+1)*cols])
	}
	return out, nil
}

// validate checks the description against the bytes and returns the
// element count.
func (r Raw) validate() (int, error) {
	es := r.Type.size()
	if es == 0 {
		return 0, errfmt.Errorf("%w: %v", ErrTensor, r.Type) // "unknown element type N"
	}
	if len(r.Shape) == 0 || len(r.Shape) > 4 {
		return 0, errfmt.Errorf("%w: rank %d, want 1..4", ErrTensor, len(r.Shape))
	}
	n := 1
	for _, d := range r.Shape {
		if d <= 0 || d > 1<<24 {
			return 0, errfmt.Errorf("%w: dimension %d in %v", ErrTensor, d, r.Shape)
		}
		n *= d
		if n > 1<<26 {
			return 0, errfmt.Errorf("%w: shape %v is too large", ErrTensor, r.Shape)
		}
	}
	cols := r.Shape[len(r.Shape)-1]
	rows := n / cols
	stride := r.RowStride
	if stride == 0 {
		stride = cols * es
	}
	if stride < cols*es {
		return 0, errfmt.Errorf("%w: row stride %d bytes is smaller than a row (%d × %d bytes)", ErrTensor, stride, cols, es)
	}
	if need := (rows-1)*stride + cols*es; len(r.Data) < need {
		return 0, errfmt.Errorf("%w: shape %v with row stride %d needs %d bytes, have %d", ErrTensor, r.Shape, stride, need, len(r.Data))
	}
	quant := r.Type == RawS8 || r.Type == RawU8 || r.Type == RawS16
	if quant && (!(r.Scale > 0) || math.IsInf(float64(r.Scale), 0) || math.IsNaN(float64(r.Offset)) || math.IsInf(float64(r.Offset), 0)) {
		return 0, errfmt.Errorf("%w: scale %v / offset %v: scale must be positive and finite", ErrTensor, r.Scale, r.Offset)
	}
	return n, nil
}

// DecodeRPN reads the vendor RPN layer's output: count (one float per class
// or a total: summed) and a box tensor stored field-major — a row of
// xmin, then ymin, xmax, ymax, score, class id — each row stride floats
// long. Boxes come out in model-input pixels, already filtered by the board.
func DecodeRPN(count []float32, boxes []float32, stride int) ([]Detection, error) {
	var total float64
	for _, c := range count {
		if c < 0 || math.IsNaN(float64(c)) {
			return nil, errfmt.Errorf("%w: RPN box count %v", ErrTensor, c)
		}
		total += float64(c)
	}
	// Compare as floats before converting: int(+Inf) or int(1e30) is
	// undefined (negative on amd64), which made the capacity below panic.
	// stride > len(boxes)/6, not len(boxes) < 6*stride: the product
	// overflows a 32-bit int (the arm board) for a huge stride.
	if stride < 0 || total > float64(stride) || stride > len(boxes)/6 {
		return nil, errfmt.Errorf("%w: %v RPN boxes need 6 rows of at least as many floats, have row stride %d and %d floats", ErrTensor, total, stride, len(boxes))
	}
	n := int(total)
	dets := make([]Detection, 0, n)
	for i := range n {
		d := Detection{
			Box:     [4]float32{boxes[i], boxes[stride+i], boxes[2*stride+i], boxes[3*stride+i]},
			Score:   boxes[4*stride+i],
			ClassID: int(boxes[5*stride+i]),
		}
		dets = append(dets, d)
	}
	return dets, nil
}
