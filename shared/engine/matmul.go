package engine

import (
	"fmt"

	"github.com/nniescope/nniescope/shared/onnx"
	"github.com/nniescope/nniescope/shared/tensor"
)

// bindMatMul is numpy's matmul, as ONNX defines it: [..., M, K] × [..., K,
// N] with the batch dims broadcast; a 1-D operand is a row (A) or a column
// (B) whose dim is dropped from the result. YOLO11's attention (C2PSA)
// multiplies [1, heads, N, d] tensors this way.
func bindMatMul(_ *onnx.Node, in []*value, _ bindCtx) ([]meta, kernel, error) {
	for i, v := range in[:2] {
		if v.dtype != tensor.Float32 {
			return nil, nil, fmt.Errorf("input %d is %s: MatMul computes on FLOAT data only", i, v.dtype)
		}
		if len(v.shape) == 0 {
			return nil, nil, fmt.Errorf("input %d is a scalar: MatMul takes tensors of rank 1 or more", i)
		}
	}
	as, bs := in[0].shape, in[1].shape
	dropM, dropN := len(as) == 1, len(bs) == 1
	if dropM {
		as = []int{1, as[0]}
	}
	if dropN {
		bs = []int{bs[0], 1}
	}
	m, k, k2, n := as[len(as)-2], as[len(as)-1], bs[len(bs)-2], bs[len(bs)-1]
	if k != k2 {
		return nil, nil, fmt.Errorf("shapes %v and %v: inner dims %d and %d differ", in[0].shape, in[1].shape, k, k2)
	}
	batch, err := broadcastShape(as[:len(as)-2], bs[:len(bs)-2])
	if err != nil {
		return nil, nil, fmt.Errorf("batch dims: %w", err)
	}
	sa, sb := bcastStrides(as[:len(as)-2], batch), bcastStrides(bs[:len(bs)-2], batch)
	for i := range sa { // in matrices, not elements
		sa[i] *= m * k
		sb[i] *= k * n
	}
	shape := append([]int(nil), batch...)
	if !dropM {
		shape = append(shape, m)
	}
	if !dropN {
		shape = append(shape, n)
	}
	if len(shape) == 0 {
		shape = []int{} // 1-D × 1-D: a scalar
	}
	nb := tensor.Volume(batch)
	return []meta{{tensor.Float32, shape}}, func(x *exec, in, o []*tensor.Tensor) error {
		a, b, c := in[0].F, in[1].F, o[0].F
		x.parallel(nb*m, max(1, 1<<14/max(k*n, 1)), func(lo, hi int) {
			for r := lo; r < hi; r++ {
				bi, i := r/m, r%m
				oa, ob := 0, 0
				for d, rem := len(batch)-1, bi; d >= 0; d-- {
					ci := rem % batch[d]
					rem /= batch[d]
					oa += ci * sa[d]
					ob += ci * sb[d]
				}
				arow := a[oa+i*k : oa+(i+1)*k]
				crow := c[r*n : (r+1)*n]
				clear(crow)
				for kk, av := range arow {
					brow := b[ob+kk*n : ob+(kk+1)*n]
					for j, bv := range brow {
						// float32(av*bv): no fused multiply-add, the same
						// sums on every architecture.
						crow[j] += float32(av * bv)
					}
				}
			}
		})
		return nil
	}, nil
}
