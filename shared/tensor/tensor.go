// Package tensor holds the dense tensors that flow between the ONNX loader,
// the engine, the quantization simulator and the post-process.
package tensor

import (
	"strconv"

	"github.com/nniescope/nniescope/shared/internal/errfmt"
)

// DType is the element type of a Tensor. The engine computes in float32;
// int64 only carries shape arithmetic (Shape, Gather, Reshape targets).
type DType uint8

const (
	Float32 DType = iota + 1
	Int64
)

func (d DType) String() string {
	switch d {
	case Float32:
		return "float32"
	case Int64:
		return "int64"
	}
	return errfmt.Sprintf("dtype(%d)", uint8(d))
}

// Tensor is a dense row-major (C-order) tensor. Exactly one of F and I is
// used, as DType says.
type Tensor struct {
	DType DType
	Shape []int
	F     []float32
	I     []int64
}

// New returns a zero float32 tensor of the given shape.
func New(shape ...int) *Tensor {
	return &Tensor{DType: Float32, Shape: append([]int(nil), shape...), F: make([]float32, Volume(shape))}
}

// FromFloat32 wraps data (not copied) as a tensor of the given shape.
func FromFloat32(data []float32, shape ...int) (*Tensor, error) {
	if Volume(shape) != len(data) {
		return nil, errfmt.Errorf("tensor: shape %v needs %d values, have %d", shape, Volume(shape), len(data))
	}
	return &Tensor{DType: Float32, Shape: append([]int(nil), shape...), F: data}, nil
}

// FromInt64 wraps data (not copied) as an int64 tensor.
func FromInt64(data []int64, shape ...int) (*Tensor, error) {
	if Volume(shape) != len(data) {
		return nil, errfmt.Errorf("tensor: shape %v needs %d values, have %d", shape, Volume(shape), len(data))
	}
	return &Tensor{DType: Int64, Shape: append([]int(nil), shape...), I: data}, nil
}

// Len is the number of elements.
func (t *Tensor) Len() int { return Volume(t.Shape) }

// Clone returns a deep copy.
func (t *Tensor) Clone() *Tensor {
	c := &Tensor{DType: t.DType, Shape: append([]int(nil), t.Shape...)}
	if t.F != nil {
		c.F = append([]float32(nil), t.F...)
	}
	if t.I != nil {
		c.I = append([]int64(nil), t.I...)
	}
	return c
}

func (t *Tensor) String() string {
	return errfmt.Sprintf("%s%s", t.DType, ShapeString(t.Shape))
}

// Volume is the number of elements of a shape (1 for a scalar).
func Volume(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// ShapeString formats a shape as [1,3,288,512].
func ShapeString(shape []int) string {
	// A byte slice, not strings.Builder: the package is part of the WASM
	// module, where every imported package costs download size.
	b := append(make([]byte, 0, 4+6*len(shape)), '[')
	for i, d := range shape {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(d), 10)
	}
	return string(append(b, ']'))
}

// EqualShape reports whether two shapes are identical.
func EqualShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
