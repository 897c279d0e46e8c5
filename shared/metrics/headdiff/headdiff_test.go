package headdiff

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"testing"

	"github.com/nniescope/nniescope/shared/letterbox"
	"github.com/nniescope/nniescope/shared/wire"
	"github.com/nniescope/nniescope/shared/yolo"
)

func result(vals []float32, shape []int) *wire.Result {
	b := make([]byte, 4*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return &wire.Result{Geometry: letterbox.Geometry{DstW: 64, DstH: 32}, Tensors: []wire.Tensor{{Name: "output0", Raw: yolo.Raw{Type: yolo.RawF32, Shape: shape, Data: b}}}}
}

// An error put on one anchor shows up on that anchor's cell only.
func TestCompareOutput0(t *testing.T) {
	anchors := 8*4 + 4*2 + 2*1 // 64x32 input: 8x4, 4x2, 2x1 grids
	rows := 4 + 2
	a := make([]float32, rows*anchors)
	b := make([]float32, rows*anchors)
	copy(b, a)
	j := 32 + 5         // stride 16 grid, cell (1, 1)
	b[0*anchors+j] += 4 // cx off by 4 px
	b[5*anchors+j] += 0.5
	r, err := Compare(result(a, []int{1, rows, anchors}), result(b, []int{1, rows, anchors}))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Levels) != 3 || r.Levels[1].W != 4 || r.Levels[1].Box[5] != 1 || r.Levels[1].Cls[5] != 0.5 {
		t.Fatalf("levels %+v", r.Levels)
	}
	var total float32
	for _, l := range r.Levels {
		for _, v := range l.Box {
			total += v
		}
	}
	if total != 1 {
		t.Fatalf("error leaked to other anchors: total %v", total)
	}
	var js map[string]any
	if err := json.Unmarshal(r.AppendJSON(nil), &js); err != nil {
		t.Fatal(err)
	}
	if h := r.Hists[0]; h.Counts[Bins/2] != len(a)-2 {
		t.Fatalf("histogram %+v", h)
	}
	if _, err := Compare(result(a, []int{1, rows, anchors}), result(a[:6], []int{1, 6, 1})); err == nil {
		t.Fatal("mismatched shapes accepted")
	}
}

// TestAppendJSONQuotesNames: tensor names come from a stream or a
// recording; a quote in one must not break the report's JSON.
func TestAppendJSONQuotesNames(t *testing.T) {
	r := &Report{Hists: []Hist{{Name: `out"0\x`, Limit: 1, Counts: []int{1, 2}}}}
	var js struct {
		Hists []struct {
			Name string `json:"name"`
		} `json:"hists"`
	}
	if err := json.Unmarshal(r.AppendJSON(nil), &js); err != nil || len(js.Hists) != 1 || js.Hists[0].Name != `out"0\x` {
		t.Fatalf("%s: %v %+v", r.AppendJSON(nil), err, js)
	}
}

// TestCompareAnchorLevels: YOLOv5 levels ([1, A·K, H, W], then the
// anchors tensor): an error on one anchor's box and class logits lands on
// its cell, in its level; the anchors tensor is no level. Before, the
// four tensors were taken for two reg/cls pairs.
func TestCompareAnchorLevels(t *testing.T) {
	const na, k = 3, 7
	mk := func(bump bool) *wire.Result {
		r := &wire.Result{Geometry: letterbox.Geometry{DstW: 64, DstH: 32}, Layout: yolo.AnchorLevels}
		anchors := yolo.Anchors{}
		for _, s := range []int{8, 16, 32} {
			h, w := 32/s, 64/s
			vals := make([]float32, na*k*h*w)
			if bump && s == 16 {
				cell := 1*w + 2
				vals[(1*k+2)*h*w+cell] = 6  // anchor 1, w logit
				vals[(1*k+5)*h*w+cell] = -3 // anchor 1, class 0
			}
			one := result(vals, []int{1, na * k, h, w}).Tensors[0]
			r.Tensors = append(r.Tensors, one)
			anchors = append(anchors, [][2]float32{{1, 1}, {2, 2}, {3, 3}})
		}
		r.Tensors = append(r.Tensors, wire.Tensor{Name: "anchors", Raw: anchors.Raw()})
		return r
	}
	rep, err := Compare(mk(false), mk(true))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Levels) != 3 || rep.Levels[1].Stride != 16 || rep.Levels[1].W != 4 {
		t.Fatalf("levels %+v", rep.Levels)
	}
	for li, l := range rep.Levels {
		for c := range l.Box {
			wantBox, wantCls := float32(0), float32(0)
			if li == 1 && c == 1*4+2 {
				wantBox, wantCls = 6.0/12, 3
			}
			if l.Box[c] != wantBox || l.Cls[c] != wantCls {
				t.Fatalf("level %d cell %d: box %v cls %v, want %v %v", li, c, l.Box[c], l.Cls[c], wantBox, wantCls)
			}
		}
	}
}
