package tensor_test

import (
	"fmt"

	"github.com/nniescope/nniescope/shared/tensor"
)

func ExampleFromFloat32() {
	t, err := tensor.FromFloat32([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	if err != nil {
		panic(err)
	}
	fmt.Println(t, t.Len())
	_, err = tensor.FromFloat32([]float32{1, 2}, 2, 3)
	fmt.Println(err)
	// Output:
	// float32[2,3] 6
	// tensor: shape [2 3] needs 6 values, have 2
}
