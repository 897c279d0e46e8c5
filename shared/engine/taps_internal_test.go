package engine

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nniescope/nniescope/shared/engine/internal/gemm"
	"github.com/nniescope/nniescope/shared/onnx"
	"github.com/nniescope/nniescope/shared/tensor"
)

// Convolutions whose panels read their taps where they lie give the bits
// of the same convolutions packing every panel: padded copies (narrow
// inputs) and inputs read in place (wide ones, interior panels only),
// widths that are and are not multiples of 16, output channels that fill
// and do not fill a tile, groups, with and without SiLU, 1 and 2
// threads. Each case checks that some of its panels took taps, so none
// passes by never taking them.
func TestTapsMatchPacking(t *testing.T) {
	if !gemm.HasTaps() {
		t.Skip("this CPU's kernel reads packed panels only: nothing to compare")
	}
	rng := rand.New(rand.NewPCG(11, 12))
	for _, tc := range []struct{ m, c, h, w, groups int }{
		{16, 8, 9, 16, 1},    // deep layer: padded, one panel a row
		{32, 16, 18, 32, 1},  // padded, two panels a row
		{20, 6, 10, 40, 1},   // 40 wide: panels across two rows; 20 channels: an edge tile
		{32, 8, 20, 20, 1},   // 20 wide: nearly every panel across two rows
		{16, 4, 9, 10, 1},    // 10 wide: panels across three rows are packed
		{16, 4, 12, 128, 1},  // wide: read in place, border panels packed
		{48, 3, 7, 160, 1},   // wide, 160 = 10 panels a row
		{32, 32, 8, 32, 2},   // grouped
		{16, 16, 6, 136, 16}, // depthwise, wide and ragged
	} {
		wt := tensor.New(tc.m, tc.c/tc.groups, 3, 3)
		for i := range wt.F {
			wt.F[i] = rng.Float32()*2 - 1
		}
		bias := tensor.New(tc.m)
		for i := range bias.F {
			bias.F[i] = rng.Float32() - 0.5
		}
		in := tensor.New(1, tc.c, tc.h, tc.w)
		for i := range in.F {
			in.F[i] = rng.Float32()*4 - 2
		}
		n := &onnx.Node{Attrs: map[string]onnx.Attr{
			"pads":  {Kind: onnx.AttrInts, Ints: []int64{1, 1, 1, 1}},
			"group": {Kind: onnx.AttrInt, I: int64(tc.groups)},
		}}
		metas, ck, err := bindConvKernel(n, []*value{{dtype: tensor.Float32, shape: in.Shape}, {dtype: tensor.Float32, shape: wt.Shape, konst: wt}, {dtype: tensor.Float32, shape: bias.Shape, konst: bias}}, bindCtx{threads: 1})
		if err != nil {
			t.Fatal(err)
		}
		if ck.taps == nil {
			t.Fatalf("%+v: no taps", tc)
		}
		pt := panelTiles{c: ck, g: &ck.g, pad3: ck.g.pad3(), img: in.F, pimg: make([]float32, tc.c*(tc.h+2)*(tc.w+2)+gemm.NR)}
		npix := tc.h * tc.w
		direct := 0
		for col0 := 0; col0 < npix; col0 += gemm.NR {
			if _, _, ok := pt.tapSource(col0, min(gemm.NR, npix-col0)); ok {
				direct++
			}
		}
		if direct == 0 {
			t.Fatalf("%+v: no panel takes taps", tc)
		}
		for _, silu := range []bool{false, true} {
			for _, threads := range []int{1, 2} {
				kern := ck
				if silu {
					kern = ck.withSiLU()
				}
				packing := *kern
				packing.taps = nil
				run := func(c *convKernel) []float32 {
					x := &exec{threads: threads}
					if threads > 1 {
						x.pool = newPool(threads - 1)
						defer x.pool.close()
					}
					out := tensor.New(metas[0].shape...)
					if err := c.run(x, []*tensor.Tensor{in, wt, bias}, []*tensor.Tensor{out}); err != nil {
						t.Fatal(err)
					}
					return out.F
				}
				want, got := run(&packing), run(kern)
				for i := range want {
					if math.Float32bits(want[i]) != math.Float32bits(got[i]) {
						t.Fatalf("%+v SiLU %v threads %d: out[%d] = %v with taps, %v packing (%d of %d panels by taps)", tc, silu, threads, i, got[i], want[i], direct, (npix+gemm.NR-1)/gemm.NR)
					}
				}
			}
		}
	}
}
