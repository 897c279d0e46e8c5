package yolo

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nniescope/nniescope/shared/tensor"
)

// headsOf builds one stride-8 level of H×W cells with the given class
// logits (class-major, as the NPU writes them) and box logits that put
// every cell's box at its anchor ± 1.5 cells.
func headsOf(h, w int, cls []float32) Level {
	nc := len(cls) / (h * w)
	reg := tensor.New(1, 4*RegMax, h, w)
	for ch := range 4 * RegMax {
		for cell := range h * w {
			if ch%RegMax == 1 || ch%RegMax == 2 {
				reg.F[ch*h*w+cell] = 10 // two equal bins: distance 1.5
			}
		}
	}
	c := tensor.New(1, nc, h, w)
	copy(c.F, cls)
	return Level{Stride: 8, Reg: reg, Cls: c}
}

// rawOf encodes a float tensor as an F32 or F16 board tensor (the tests'
// values are exact in both); misalign shifts the data one byte so the row
// reader cannot reinterpret it in place.
func rawOf(typ RawType, t *tensor.Tensor, misalign bool) Raw {
	es := typ.size()
	b := make([]byte, es*len(t.F)+1)
	if misalign {
		b = b[1:]
	} else {
		b = b[:es*len(t.F)]
	}
	for i, v := range t.F {
		if typ == RawF16 {
			binary.LittleEndian.PutUint16(b[2*i:], tensor.Float32ToFloat16(v))
		} else {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
		}
	}
	return Raw{Type: typ, Shape: t.Shape, Data: b}
}

// output0Of is the same level as Ultralytics' output0: decoded boxes, then
// sigmoid scores.
func output0Of(l Level) *tensor.Tensor {
	h, w, nc := l.Cls.Shape[2], l.Cls.Shape[3], l.Cls.Shape[1]
	a := h * w
	t := tensor.New(1, 4+nc, a)
	for cell := range a {
		cx, cy := (float32(cell%w)+0.5)*8, (float32(cell/w)+0.5)*8
		t.F[cell], t.F[a+cell], t.F[2*a+cell], t.F[3*a+cell] = cx, cy, 24, 24
		for c := range nc {
			t.F[(4+c)*a+cell] = sigmoid(l.Cls.F[c*a+cell])
		}
	}
	return t
}

// decodeAll decodes one level through every path the product has: float
// heads (engine), board heads read in place and copied row by row, and
// output0.
func decodeAll(t *testing.T, l Level, p Params) map[string][]Detection {
	t.Helper()
	out := map[string][]Detection{}
	var err error
	if out["heads"], err = DecodeHeads([]Level{l}, p); err != nil {
		t.Fatal(err)
	}
	inputH := 8 * l.Cls.Shape[2]
	for _, mis := range []bool{false, true} {
		for _, typ := range []RawType{RawF32, RawF16} {
			name := fmt.Sprintf("raw type %d misaligned=%v", typ, mis)
			if out[name], err = decodeRawHeads([]Raw{rawOf(typ, l.Reg, mis), rawOf(typ, l.Cls, mis)}, inputH, nil, p); err != nil {
				t.Fatal(err)
			}
		}
	}
	if out["output0"], err = DecodeOutput0(output0Of(l), p); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestClassSelection: the best class of a cell is the first one holding the
// maximum logit, whichever layout or tensor type carries it; a NaN logit
// never wins, and a NaN in class 0 (where the scan starts) drops the cell.
func TestClassSelection(t *testing.T) {
	nan := float32(math.NaN())
	p := Params{ScoreThreshold: 0.25, NMSThreshold: 0.7}
	for _, tc := range []struct {
		name   string
		logits []float32 // classes of the single cell
		class  int       // -1: no detection
	}{
		{"max wins", []float32{0.1, 2, 1}, 1},
		{"last class", []float32{-3, -2, 4}, 2},
		{"tie goes to the lowest id", []float32{1, 2, 2}, 1},
		{"tie with class 0", []float32{2, 2, 1}, 0},
		{"NaN later is ignored", []float32{2, nan, 1}, 0},
		{"NaN in class 0 drops the cell", []float32{nan, 2, 1}, -1},
		{"below threshold", []float32{-5, -4, -3}, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for path, dets := range decodeAll(t, headsOf(1, 1, tc.logits), p) {
				switch {
				case tc.class < 0 && len(dets) != 0:
					t.Errorf("%s: %d detections, want none", path, len(dets))
				case tc.class >= 0 && (len(dets) != 1 || dets[0].ClassID != tc.class):
					t.Errorf("%s: %+v, want one box of class %d", path, dets, tc.class)
				}
			}
		})
	}
}

// TestDecodePathsAgree: on random logits the fast two-pass class sweep
// gives the boxes of the plain one-pass definition, computed here
// independently, on every path.
func TestDecodePathsAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const h, w, nc = 6, 10, 7
	p := Params{ScoreThreshold: 0.4, NMSThreshold: 0.99}
	for trial := range 20 {
		cls := make([]float32, nc*h*w)
		for i := range cls {
			// Coarse values make ties common.
			cls[i] = float32(rng.IntN(9)-6) / 2
		}
		want := map[int]int{} // cell → class, by the definition
		for cell := range h * w {
			best, arg := float32(math.Inf(-1)), -1
			for c := range nc {
				if v := cls[c*h*w+cell]; v > best {
					best, arg = v, c
				}
			}
			if sigmoid(best) >= p.ScoreThreshold {
				want[cell] = arg
			}
		}
		for path, dets := range decodeAll(t, headsOf(h, w, cls), p) {
			got := map[int]int{}
			for _, d := range dets {
				// Every box is its anchor ± 1.5 cells: the centre names the cell.
				cx, cy := (d.Box[0]+d.Box[2])/16, (d.Box[1]+d.Box[3])/16
				got[int(cy)*w+int(cx)] = d.ClassID
			}
			if len(got) != len(want) {
				t.Fatalf("trial %d, %s: %d boxes, want %d", trial, path, len(got), len(want))
			}
			for cell, c := range want {
				if g, ok := got[cell]; !ok || g != c {
					t.Fatalf("trial %d, %s: cell %d class %d (present %v), want %d", trial, path, cell, g, ok, c)
				}
			}
		}
	}
}

// TestF16RowExhaustive: the inlined row conversion equals
// tensor.Float16ToFloat32 bit for bit on all 65,536 half values.
func TestF16RowExhaustive(t *testing.T) {
	src := make([]uint16, 1<<16)
	for i := range src {
		src[i] = uint16(i)
	}
	dst := make([]float32, len(src))
	f16Row(dst, src)
	for i, h := range src {
		if got, want := math.Float32bits(dst[i]), math.Float32bits(tensor.Float16ToFloat32(h)); got != want {
			t.Fatalf("half %#04x: %#08x, want %#08x", h, got, want)
		}
	}
}

// TestHalfKeyThreshold: comparing half-precision keys decides "value ≥
// threshold" exactly as converting and comparing would, for every half
// value (NaNs aside: the decoder rechecks marked cells) and thresholds
// at, between, beyond and outside the half range.
func TestHalfKeyThreshold(t *testing.T) {
	inf := float32(math.Inf(1))
	thrs := []float32{-inf, inf, float32(math.NaN()), 0, float32(math.Copysign(0, -1)), 1, -1, 65504, -65504, 65520, 1e9, -1e9,
		6e-8, -6e-8, 1e-9, -1e-9, logit(0.25), logit(0.001), logit(0.999), 1.0009765625, 1.00048828125}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		thrs = append(thrs, float32(rng.NormFloat64()*8))
	}
	for _, thr := range thrs {
		k := halfKeyAtLeast(thr)
		for i := range 1 << 16 {
			h := uint16(i)
			v := tensor.Float16ToFloat32(h)
			if v != v {
				continue
			}
			if got, want := halfKey(h) >= k, v >= thr; got != want {
				t.Fatalf("threshold %v, half %#04x (%v): key says %v, value says %v", thr, h, v, got, want)
			}
		}
	}
}

// TestFilterDropsNonFiniteBoxes: a box with a NaN or infinite edge (from
// corrupt tensors) never reaches the output, whose JSON could not hold it.
func TestFilterDropsNonFiniteBoxes(t *testing.T) {
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	dets := []Detection{
		{Score: 0.9, Box: [4]float32{0, 0, inf, 10}},
		{Score: 0.9, Box: [4]float32{-inf, 0, 10, 10}},
		{Score: 0.9, Box: [4]float32{0, nan, 10, 10}},
		{Score: 0.9, Box: [4]float32{0, 0, 10, inf}},
		{ClassID: 1, Score: 0.5, Box: [4]float32{0, 0, 10, 10}},
	}
	got := Filter(dets, Params{NMSThreshold: 0.7})
	if len(got) != 1 || got[0].ClassID != 1 {
		t.Fatalf("%+v, want only the finite box", got)
	}
	if b := AppendJSON(nil, got); !json.Valid(b) {
		t.Fatalf("invalid JSON %s", b)
	}
}
