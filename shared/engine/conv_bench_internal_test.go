package engine

import (
	"testing"

	"github.com/nniescope/nniescope/shared/onnx"
	"github.com/nniescope/nniescope/shared/tensor"
)

func benchConv(b *testing.B, m, c, h, w, k, s, threads int) {
	wt := tensor.New(m, c, k, k)
	for i := range wt.F {
		wt.F[i] = float32(i%7) * 0.01
	}
	n := &onnx.Node{Attrs: map[string]onnx.Attr{
		"pads":    {Kind: onnx.AttrInts, Ints: []int64{int64(k / 2), int64(k / 2), int64(k / 2), int64(k / 2)}},
		"strides": {Kind: onnx.AttrInts, Ints: []int64{int64(s), int64(s)}},
	}}
	metas, ck, err := bindConvKernel(n, []*value{{dtype: tensor.Float32, shape: []int{1, c, h, w}}, {dtype: tensor.Float32, shape: wt.Shape, konst: wt}}, bindCtx{threads: threads})
	if err != nil {
		b.Fatal(err)
	}
	in := tensor.New(1, c, h, w)
	out := tensor.New(metas[0].shape...)
	x := &exec{threads: threads}
	flops := 2 * float64(m*c*k*k) * float64(metas[0].shape[2]*metas[0].shape[3])
	for b.Loop() {
		_ = ck.run(x, []*tensor.Tensor{in, wt}, []*tensor.Tensor{out})
	}
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func BenchmarkConv64x64k3at18x32(b *testing.B)   { benchConv(b, 64, 64, 18, 32, 3, 1, 1) }
func BenchmarkConv32x32k3at36x64(b *testing.B)   { benchConv(b, 32, 32, 36, 64, 3, 1, 1) }
func BenchmarkConv16x16k3at72x128(b *testing.B)  { benchConv(b, 16, 16, 72, 128, 3, 1, 1) }
func BenchmarkConv128x192k1at18x32(b *testing.B) { benchConv(b, 128, 192, 18, 32, 1, 1, 1) }
