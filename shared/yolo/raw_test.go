package yolo

import (
	"errors"
	"math"
	"testing"
)

// A row stride so large that 6 rows of it overflow an int passed the
// length check (6*stride wrapped negative) and the read panicked; on the
// 32-bit board a stride past 357 million did.
func TestDecodeRPNHugeStride(t *testing.T) {
	for _, stride := range []int{math.MaxInt / 5, math.MaxInt32 / 5} {
		if _, err := DecodeRPN([]float32{1}, make([]float32, 6), stride); !errors.Is(err, ErrTensor) {
			t.Errorf("stride %d over 6 floats: %v, want ErrTensor", stride, err)
		}
	}
}
