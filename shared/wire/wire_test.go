package wire

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/nniescope/nniescope/shared/yolo"
)

func sample() *Result {
	return &Result{
		Header:   Header{Seq: 42, CaptureNs: 1700000000000000000, SentNs: 1700000000001000000},
		Geometry: Geometry{SrcW: 640, SrcH: 426, InW: 512, InH: 288, Scale: 0.676056338028169, PadLeft: 39},
		Variant:  "int8",
		InferUs:  3400,
		Tensors: []Tensor{
			{Name: "reg8", Raw: yolo.Raw{Type: yolo.RawS8, Shape: []int{1, 64, 2, 3}, RowStride: 16, Scale: 27.5, Offset: -128, Data: make([]byte, 64*2*16)}},
			{Name: "cls8", Raw: yolo.Raw{Type: yolo.RawF16, Shape: []int{1, 80, 2, 3}, Data: make([]byte, 80*2*3*2)}},
		},
		Boxes: []yolo.Detection{{ClassID: 62, Score: 0.91, Box: [4]float32{6, 165.9, 154.7, 261.6}}},
	}
}

func TestResultRoundTrip(t *testing.T) {
	r := sample()
	b := AppendResult(nil, r)
	got, err := DecodeResult(b)
	if err != nil {
		t.Fatal(err)
	}
	r.Kind = KindResult
	if !reflect.DeepEqual(got, r) {
		t.Fatalf("round trip:\n%+v\n%+v", got, r)
	}
	h, err := PeekHeader(b)
	if err != nil || h.Seq != 42 || h.Kind != KindResult {
		t.Fatalf("header %+v %v", h, err)
	}
	im := &Image{Header: Header{Seq: 42}, MIME: "image/jpeg", Data: []byte{0xff, 0xd8}}
	gi, err := DecodeImage(AppendImage(nil, im))
	if err != nil || gi.MIME != "image/jpeg" || gi.Seq != 42 || len(gi.Data) != 2 {
		t.Fatalf("image %+v %v", gi, err)
	}
}

func TestDecodeErrors(t *testing.T) {
	b := AppendResult(nil, sample())
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"truncated", b[:len(b)-3]},
		{"empty", nil},
		{"bad magic", append([]byte("XXXX"), b[4:]...)},
		{"trailing bytes", append(append([]byte(nil), b...), 0)},
		{"image as result", AppendImage(nil, &Image{MIME: "x"})},
	} {
		if _, err := DecodeResult(tc.b); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: error %v, want ErrFormat", tc.name, err)
		}
	}
}

func TestRecording(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rec.nsw")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	var msgs [][]byte
	for i := range 5 {
		r := sample()
		r.Seq = uint64(i)
		msgs = append(msgs, AppendResult(nil, r))
		if err := w.Write(msgs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	check := func(path string, n int, recovered bool) {
		t.Helper()
		r, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if r.Len() != n || r.Recovered != recovered {
			t.Fatalf("%d messages (recovered %v), want %d (%v)", r.Len(), r.Recovered, n, recovered)
		}
		for i := range n {
			m, err := r.Message(i)
			if err != nil || string(m) != string(msgs[i]) {
				t.Fatalf("message %d: %v", i, err)
			}
		}
	}
	check(path, 5, false)
	// A recorder killed mid-write: no index, the last message cut off.
	full, _ := os.ReadFile(path)
	cut := filepath.Join(dir, "cut.nsw")
	os.WriteFile(cut, full[:4*(4+len(msgs[0]))+100], 0o644)
	check(cut, 4, true)
	// Garbage is a clear error.
	junk := filepath.Join(dir, "junk.nsw")
	os.WriteFile(junk, []byte("this is not a recording at all"), 0o644)
	if _, err := Open(junk); err == nil {
		t.Fatal("junk accepted")
	}
}

func FuzzDecodeResult(f *testing.F) {
	f.Add(AppendResult(nil, sample()))
	f.Add(AppendImage(nil, &Image{MIME: "image/jpeg", Data: []byte{1}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		if r, err := DecodeResult(b); err == nil {
			// What decodes re-encodes to the same bytes.
			if again := AppendResult(nil, r); string(again) != string(b) {
				t.Fatalf("re-encoding differs")
			}
		}
		_, _ = DecodeImage(b)
	})
}
