package yolo

import (
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/nniescope/nniescope/internal/testassets"
	"github.com/nniescope/nniescope/shared/letterbox"
	"github.com/nniescope/nniescope/shared/tensor"
)

// goldenHeads builds the six-head request of one golden image in float32.
func goldenHeads(t testing.TB, image string) *Request {
	names := []string{"reg8", "cls8", "reg16", "cls16", "reg32", "cls32"}
	shapes := [][]int{{1, 64, 36, 64}, {1, 80, 36, 64}, {1, 64, 18, 32}, {1, 80, 18, 32}, {1, 64, 9, 16}, {1, 80, 9, 16}}
	r := &Request{Layout: Heads, Params: DefaultParams(), Geometry: letterbox.Geometry{DstW: 512, DstH: 288}}
	for i, n := range names {
		f := testassets.ReadF32(t, testassets.Golden(t, image, n), tensor.Volume(shapes[i]))
		b := make([]byte, 4*len(f))
		for k, v := range f {
			binary.LittleEndian.PutUint32(b[4*k:], math.Float32bits(v))
		}
		r.Tensors = append(r.Tensors, Raw{Type: RawF32, Shape: shapes[i], Data: b})
	}
	return r
}

// quantize re-encodes a float request's tensors as the NPU would: S8 (or
// S16) per-tensor asymmetric, rows padded to 64-byte strides.
func quantize(r *Request, typ RawType) *Request {
	out := &Request{Layout: r.Layout, Params: r.Params, Geometry: r.Geometry}
	for _, t := range r.Tensors {
		f, _ := t.Float()
		lo, hi := float32(0), float32(0)
		for _, v := range f.F {
			lo, hi = min(lo, v), max(hi, v)
		}
		qmin, qmax, es := float32(-128), float32(127), 1
		if typ == RawS16 {
			qmin, qmax, es = -32768, 32767, 2
		}
		scale := (qmax - qmin) / (hi - lo)
		off := float32(math.Round(float64(qmin - lo*scale)))
		cols := t.Shape[len(t.Shape)-1]
		stride := (cols*es + 63) &^ 63
		rows := f.Len() / cols
		data := make([]byte, rows*stride)
		for row := range rows {
			for c := range cols {
				q := float32(math.Round(float64(f.F[row*cols+c]*scale))) + off
				q = max(qmin, min(qmax, q))
				if typ == RawS16 {
					binary.LittleEndian.PutUint16(data[row*stride+2*c:], uint16(int16(q)))
				} else {
					data[row*stride+c] = byte(int8(q))
				}
			}
		}
		out.Tensors = append(out.Tensors, Raw{Type: typ, Shape: t.Shape, RowStride: stride, Scale: scale, Offset: off, Data: data})
	}
	return out
}

func TestRequestRoundTripAndQuantizedHeads(t *testing.T) {
	r := goldenHeads(t, "000000000139")
	back, err := ParseRequest(r.Encode())
	if err != nil {
		t.Fatal(err)
	}
	want, err := r.Decode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := back.Decode()
	if err != nil {
		t.Fatal(err)
	}
	if string(AppendJSON(nil, got)) != string(AppendJSON(nil, want)) || len(want) == 0 {
		t.Fatalf("decode after encode/parse differs (%d vs %d boxes)", len(got), len(want))
	}
	// Board-style S16 heads with padded rows decode to nearly the same
	// boxes; S8 heads keep the objects.
	for _, typ := range []RawType{RawS16, RawS8} {
		q, err := ParseRequest(quantize(r, typ).Encode())
		if err != nil {
			t.Fatal(err)
		}
		dq, err := q.Decode()
		if err != nil {
			t.Fatal(err)
		}
		matched := matchedBoxes(want, dq)
		t.Logf("type %d: %d boxes, %d of %d float boxes matched at IoU > 0.9", typ, len(dq), matched, len(want))
		if typ == RawS16 && matched != len(want) {
			t.Errorf("S16 heads lost boxes: %d of %d", matched, len(want))
		}
		if matched < len(want)/2 {
			t.Errorf("type %d: only %d of %d boxes", typ, matched, len(want))
		}
	}
}

func TestRawErrors(t *testing.T) {
	tests := []struct {
		name string
		raw  Raw
		want string
	}{
		{"short data", Raw{Type: RawF32, Shape: []int{1, 2, 3}, Data: make([]byte, 20)}, "needs 24 bytes"},
		{"stride too small", Raw{Type: RawS16, Shape: []int{2, 8}, RowStride: 8, Scale: 1, Data: make([]byte, 64)}, "smaller than a row"},
		{"NaN scale", Raw{Type: RawS8, Shape: []int{4}, Scale: float32(math.NaN()), Data: make([]byte, 4)}, "scale"},
		{"zero scale", Raw{Type: RawU8, Shape: []int{4}, Data: make([]byte, 4)}, "scale"},
		{"bad type", Raw{Type: 99, Shape: []int{4}, Data: make([]byte, 16)}, "element type"},
		{"bad dim", Raw{Type: RawF32, Shape: []int{0}, Data: nil}, "dimension"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.raw.Float()
			if !errors.Is(err, ErrTensor) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want ErrTensor mentioning %q", err, tc.want)
			}
		})
	}
}

func TestNNIEAndRPN(t *testing.T) {
	b := make([]byte, 8)
	neg := int32(-2048)
	binary.LittleEndian.PutUint32(b, uint32(neg))
	binary.LittleEndian.PutUint32(b[4:], uint32(int32(4096*3)))
	f, err := Raw{Type: RawS32x4096, Shape: []int{2}, Data: b}.Float()
	if err != nil || f.F[0] != -0.5 || f.F[1] != 3 {
		t.Fatalf("NNIE x4096: %v %v", f, err)
	}
	// Two boxes, row stride 4, field-major.
	boxes := []float32{1, 5, 0, 0, 2, 6, 0, 0, 11, 15, 0, 0, 12, 16, 0, 0, 0.9, 0.8, 0, 0, 3, 7, 0, 0}
	dets, err := DecodeRPN([]float32{1, 1}, boxes, 4)
	if err != nil || len(dets) != 2 || dets[1].Box != [4]float32{5, 6, 15, 16} || dets[1].ClassID != 7 || dets[0].Score != 0.9 {
		t.Fatalf("RPN: %+v %v", dets, err)
	}
	if _, err := DecodeRPN([]float32{5}, boxes, 4); err == nil {
		t.Fatal("count above the stride accepted")
	}
}

func FuzzParseRequest(f *testing.F) {
	small := &Request{Layout: Output0, Params: DefaultParams(), Geometry: letterbox.Geometry{DstW: 8, DstH: 8},
		Tensors: []Raw{{Type: RawS8, Shape: []int{1, 6, 2}, Scale: 2, Data: []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 200, 100}}}}
	f.Add(small.Encode())
	heads := &Request{Layout: Heads, Params: DefaultParams(), Geometry: letterbox.Geometry{DstW: 8, DstH: 8},
		Tensors: []Raw{{Type: RawF16, Shape: []int{1, 64, 1, 1}, Data: make([]byte, 128)}, {Type: RawU8, Shape: []int{1, 2, 1, 1}, Scale: 1, Data: []byte{1, 2}}}}
	f.Add(heads.Encode())
	anchorMajor := &Request{Layout: AnchorMajor, Params: DefaultParams(), Geometry: letterbox.Geometry{DstW: 8, DstH: 8, SrcW: 16, SrcH: 12, Scale: 0.5, PadTop: 1},
		Tensors: []Raw{{Type: RawU8, Shape: []int{1, 2, 7}, Scale: 100, Data: []byte{50, 40, 20, 10, 90, 10, 80, 10, 10, 4, 4, 20, 90, 10}}}}
	f.Add(anchorMajor.Encode())
	levels := &Request{Layout: AnchorLevels, Params: DefaultParams(), Geometry: letterbox.Geometry{DstW: 8, DstH: 8},
		Tensors: []Raw{{Type: RawS8, Shape: []int{1, 6, 1, 1}, Scale: 10, Data: []byte{1, 2, 3, 4, 90, 80}}, Anchors{{{4, 5}}}.Raw()}}
	f.Add(levels.Encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseRequest(b)
		if err != nil {
			return
		}
		_, _ = r.Decode() // an error or boxes, never a panic
	})
}

// matchedBoxes counts the boxes of want that got has again: same class,
// IoU above 0.9.
func matchedBoxes(want, got []Detection) int {
	matched := 0
	for _, w := range want {
		for _, d := range got {
			if d.ClassID == w.ClassID && IoU(d.Box, w.Box) > 0.9 {
				matched++
				break
			}
		}
	}
	return matched
}
