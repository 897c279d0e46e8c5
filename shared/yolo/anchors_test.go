package yolo

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/nniescope/nniescope/shared/letterbox"
	"github.com/nniescope/nniescope/shared/tensor"
)

// TestAnchorLevelsDecodeACell: one anchor, one cell, the export's formula
// by hand: σ(0) = 0.5 puts the centre in the middle of its cell and the
// box at the anchor's size.
func TestAnchorLevelsDecodeACell(t *testing.T) {
	const k = 7                   // 5 + 2 classes
	out := tensor.New(1, k, 2, 2) // [1, A·K, H, W], A = 1
	for i := range out.F {
		out.F[i] = -20 // nothing anywhere...
	}
	at := func(f, y, x int) *float32 { return &out.F[(f*2+y)*2+x] }
	for f := range 4 {
		*at(f, 1, 0) = 0 // ...but cell (y 1, x 0)
	}
	*at(4, 1, 0), *at(5, 1, 0), *at(6, 1, 0) = 4, -2, 3
	dets, err := DecodeAnchorLevels([]AnchorLevel{{Stride: 8, Out: out, Anchors: [][2]float32{{10, 6}}}}, DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	want := Detection{ClassID: 1, Score: sigmoid(4) * sigmoid(3), Box: [4]float32{4 - 5, 12 - 3, 4 + 5, 12 + 3}}
	if len(dets) != 1 || dets[0] != want {
		t.Fatalf("got %+v, want [%+v]", dets, want)
	}
}

// exportDecode is the YOLOv5 export's own decode of channels-first levels
// into the anchor-major output [1, N, K] (written from the formula, not
// from the decoder under test).
func exportDecode(levels []AnchorLevel) *tensor.Tensor {
	sig := func(v float32) float32 { return float32(1 / (1 + math.Exp(-float64(v)))) }
	var rows []float32
	n := 0
	for _, l := range levels {
		na := len(l.Anchors)
		k, h, w := l.Out.Shape[1]/na, l.Out.Shape[2], l.Out.Shape[3]
		for a := range na {
			for y := range h {
				for x := range w {
					v := func(f int) float32 { return sig(l.Out.F[((a*k+f)*h+y)*w+x]) }
					s := float32(l.Stride)
					row := []float32{(v(0)*2 - 0.5 + float32(x)) * s, (v(1)*2 - 0.5 + float32(y)) * s,
						(v(2) * 2) * (v(2) * 2) * l.Anchors[a][0], (v(3) * 2) * (v(3) * 2) * l.Anchors[a][1]}
					for f := 4; f < k; f++ {
						row = append(row, v(f))
					}
					rows = append(rows, row...)
					n++
				}
			}
		}
	}
	t, _ := tensor.FromFloat32(rows, 1, n, len(rows)/n)
	return t
}

// randomLevels is a 64x32 input's three levels, A = 3, 3 classes, with
// logits spread so that a few hundred boxes pass a low threshold.
func randomLevels(seed uint64) []AnchorLevel {
	rng := rand.New(rand.NewPCG(seed, 1))
	anchors := Anchors{{{10, 13}, {16, 30}, {33, 23}}, {{30, 61}, {62, 45}, {59, 119}}, {{116, 90}, {156, 198}, {373, 326}}}
	var levels []AnchorLevel
	for li, s := range []int{8, 16, 32} {
		out := tensor.New(1, 3*8, 32/s, 64/s)
		for i := range out.F {
			out.F[i] = float32(rng.NormFloat64() * 2)
		}
		levels = append(levels, AnchorLevel{Stride: s, Out: out, Anchors: anchors[li]})
	}
	return levels
}

// TestAnchorLevelsMatchTheExportDecode: random levels decode as the
// export's decode followed by DecodeAnchorMajor; channels-last levels
// ([1, A, H, W, K]) give the same; as a request (F32 and board S16/S8
// with padded rows) the boxes survive.
func TestAnchorLevelsMatchTheExportDecode(t *testing.T) {
	p := DefaultParams()
	p.ScoreThreshold = 0.1
	levels := randomLevels(3)
	want, err := DecodeAnchorMajor(exportDecode(levels), p)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) < 20 {
		t.Fatalf("only %d boxes: the comparison would be thin", len(want))
	}
	got, err := DecodeAnchorLevels(levels, p)
	if err != nil {
		t.Fatal(err)
	}
	sameBoxes(t, "channels first", got, want, 1e-4)

	last := make([]AnchorLevel, len(levels))
	for i, l := range levels {
		h, w := l.Out.Shape[2], l.Out.Shape[3]
		o := tensor.New(1, 3, h, w, 8)
		for a := range 3 {
			for f := range 8 {
				for c := range h * w {
					o.F[(a*h*w+c)*8+f] = l.Out.F[(a*8+f)*h*w+c]
				}
			}
		}
		last[i] = AnchorLevel{Stride: l.Stride, Out: o, Anchors: l.Anchors}
	}
	got, err = DecodeAnchorLevels(last, p)
	if err != nil {
		t.Fatal(err)
	}
	sameBoxes(t, "channels last", got, want, 1e-4)

	r := &Request{Layout: AnchorLevels, Params: p, Geometry: letterbox.Geometry{DstW: 64, DstH: 32}}
	var anchors Anchors
	for _, l := range levels {
		r.Tensors = append(r.Tensors, f32Raw(l.Out))
		anchors = append(anchors, l.Anchors)
	}
	r.Tensors = append(r.Tensors, anchors.Raw())
	back, err := ParseRequest(r.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if got, err = back.Decode(); err != nil {
		t.Fatal(err)
	}
	sameBoxes(t, "F32 request", got, want, 1e-4)
	for _, typ := range []RawType{RawS16, RawS8} {
		q := quantize(&Request{Layout: r.Layout, Params: p, Geometry: r.Geometry, Tensors: r.Tensors[:3]}, typ)
		q.Tensors = append(q.Tensors, anchors.Raw())
		dq, err := q.Decode()
		if err != nil {
			t.Fatal(err)
		}
		matched := matchedBoxes(want, dq)
		t.Logf("%v: %d boxes, %d of %d float boxes matched at IoU > 0.9", typ, len(dq), matched, len(want))
		if matched < len(want)*3/4 {
			t.Errorf("%v: only %d of %d boxes", typ, matched, len(want))
		}
	}
}

func sameBoxes(t *testing.T, what string, got, want []Detection, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d boxes, want %d", what, len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		ok := g.ClassID == w.ClassID && math.Abs(float64(g.Score-w.Score)) <= tol
		for k := range 4 {
			ok = ok && math.Abs(float64(g.Box[k]-w.Box[k])) <= 1e-2
		}
		if !ok {
			t.Fatalf("%s: box %d %+v, want %+v", what, i, g, w)
		}
	}
}

func TestAnchorLevelsRequestErrors(t *testing.T) {
	levels := randomLevels(5)
	good := func() *Request {
		r := &Request{Layout: AnchorLevels, Params: DefaultParams(), Geometry: letterbox.Geometry{DstW: 64, DstH: 32}}
		var a Anchors
		for _, l := range levels {
			r.Tensors = append(r.Tensors, f32Raw(l.Out))
			a = append(a, l.Anchors)
		}
		r.Tensors = append(r.Tensors, a.Raw())
		return r
	}
	if _, err := good().Decode(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		modify func(r *Request)
		want   string
	}{
		{"no anchors", func(r *Request) { r.Tensors = r.Tensors[:3] }, "anchors tensor"},
		{"one tensor", func(r *Request) { r.Tensors = r.Tensors[:1] }, "the levels, then the anchors"},
		{"only anchors", func(r *Request) { r.Tensors = r.Tensors[3:] }, "the levels, then the anchors"},
		{"anchors for two levels", func(r *Request) {
			r.Tensors[3] = Anchors{levels[0].Anchors, levels[1].Anchors}.Raw()
		}, "F32 [3 levels, anchors, 2]"},
		{"S8 anchors", func(r *Request) { r.Tensors[3].Type = RawS8 }, "must be F32"},
		{"negative anchor", func(r *Request) {
			r.Tensors[3] = Anchors{{{-1, 2}, {1, 2}, {1, 2}}, levels[1].Anchors, levels[2].Anchors}.Raw()
		}, "positive finite"},
		{"five anchors per cell", func(r *Request) {
			five := [][2]float32{{1, 1}, {2, 2}, {3, 3}, {4, 4}, {5, 5}}
			r.Tensors[3] = Anchors{five, five, five}.Raw()
		}, "neither"},
		{"fields differ", func(r *Request) {
			r.Tensors[1] = f32Raw(tensor.New(1, 3*9, 2, 4))
		}, "fields per anchor"},
		{"grid taller than the input", func(r *Request) { r.Geometry.DstH = 2 }, "exceeds the input height"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := good()
			tc.modify(r)
			_, err := r.Decode()
			if !errors.Is(err, ErrTensor) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want ErrTensor mentioning %q", err, tc.want)
			}
		})
	}
}
