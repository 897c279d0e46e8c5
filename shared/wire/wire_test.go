package wire

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/nniescope/nniescope/shared/letterbox"
	"github.com/nniescope/nniescope/shared/yolo"
)

func sample() *Result {
	return &Result{
		Header: Header{Version: Version, Seq: 42, CaptureNs: 1700000000000000000, SentNs: 1700000000001000000,
			Index: 1, Count: 3, Loop: 2, Source: "000000000139.jpg"},
		Geometry: letterbox.Geometry{SrcW: 640, SrcH: 426, DstW: 512, DstH: 288, Scale: 0.676056338028169, PadLeft: 39},
		Variant:  "int8",
		InferUs:  3400,
		Layout:   yolo.Heads,
		Tensors: []Tensor{
			{Name: "reg8", Raw: yolo.Raw{Type: yolo.RawS8, Shape: []int{1, 64, 2, 3}, RowStride: 16, Scale: 27.5, Offset: -128, Data: make([]byte, 64*2*16)}},
			{Name: "cls8", Raw: yolo.Raw{Type: yolo.RawF16, Shape: []int{1, 80, 2, 3}, Data: make([]byte, 80*2*3*2)}},
		},
		Boxes: []yolo.Detection{{ClassID: 62, Score: 0.91, Box: [4]float32{6, 165.9, 154.7, 261.6}}},
	}
}

// TestV1StaysReadable: a v1 message (recordings made before v2) decodes,
// with no v2 fields and the layout guessed from the tensor count as v1
// readers did, and re-encodes to the same bytes.
func TestV1StaysReadable(t *testing.T) {
	r := sample()
	r.Header = Header{Version: 1, Seq: 42, CaptureNs: 1, SentNs: 2}
	r.Tensors = r.Tensors[:1]
	r.Layout = yolo.Output0
	b := AppendResult(nil, r)
	if le16 := uint16(b[4]) | uint16(b[5])<<8; le16 != 1 {
		t.Fatalf("written as version %d", le16)
	}
	got, err := DecodeResult(b)
	if err != nil {
		t.Fatal(err)
	}
	r.Kind = KindResult
	if !reflect.DeepEqual(got, r) {
		t.Fatalf("v1 round trip:\n%+v\n%+v", got, r)
	}
	if again := AppendResult(nil, got); string(again) != string(b) {
		t.Fatal("v1 re-encoding differs")
	}
	if _, err := DecodeError(AppendImage(nil, &Image{Header: Header{Version: 1}, MIME: "x"})); err == nil {
		t.Fatal("a v1 image decoded as an error")
	}
}

// TestFrameStamps: the loop numbers a frame's messages in place; a header
// whose index is not below its count is malformed.
func TestFrameStamps(t *testing.T) {
	b := AppendResult(nil, sample())
	StampFrame(b, 2, 4)
	StampLoop(b, 9)
	h, err := PeekHeader(b)
	if err != nil || h.Index != 2 || h.Count != 4 || h.Loop != 9 {
		t.Fatalf("stamped header %+v %v", h, err)
	}
	StampFrame(b, 4, 4)
	if _, err := PeekHeader(b); !errors.Is(err, ErrFormat) {
		t.Fatalf("index 4 of 4: %v", err)
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

func FuzzDecodeResult(f *testing.F) {
	f.Add(AppendResult(nil, sample()))
	f.Add(AppendImage(nil, &Image{MIME: "image/jpeg", Data: []byte{1}}))
	f.Add(AppendError(nil, &Error{Header: Header{Source: "upload"}, Text: "bad", Fatal: true}))
	f.Fuzz(func(t *testing.T, b []byte) {
		if r, err := DecodeResult(b); err == nil {
			// What decodes re-encodes to the same bytes.
			if again := AppendResult(nil, r); string(again) != string(b) {
				t.Fatalf("re-encoding differs")
			}
		}
		if im, err := DecodeImage(b); err == nil {
			if again := AppendImage(nil, im); string(again) != string(b) {
				t.Fatalf("image re-encoding differs")
			}
		}
		if e, err := DecodeError(b); err == nil {
			if again := AppendError(nil, e); string(again) != string(b) {
				t.Fatalf("error re-encoding differs")
			}
		}
	})
}

// TestImageTrailingBytesAndKindNames: an image message with bytes after
// its data is malformed (it was accepted), and a message of an unknown
// kind says which kind.
func TestImageTrailingBytesAndKindNames(t *testing.T) {
	msg := AppendImage(nil, &Image{Header: Header{Seq: 1}, MIME: "image/jpeg", Data: []byte{1, 2, 3}})
	if _, err := DecodeImage(msg); err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeImage(append(msg, 0)); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "1 trailing bytes") {
		t.Errorf("trailing byte: %v", err)
	}
	if _, err := DecodeResult(msg); err == nil || !strings.Contains(err.Error(), "message kind image is not a result") {
		t.Errorf("image as result: %v", err)
	}
	if s := Kind(9).String(); s != "unknown kind 9" {
		t.Errorf("Kind(9) = %q", s)
	}
}

func TestErrorRoundTrip(t *testing.T) {
	in := &Error{Header: Header{Seq: 7, CaptureNs: 1, SentNs: 2, Source: "upload", Count: 1}, Fatal: true, Text: "jpeg: image is too large to encode"}
	b := AppendError(nil, in)
	out, err := DecodeError(b)
	if err != nil {
		t.Fatal(err)
	}
	in.Kind, in.Version = KindError, Version
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip %+v, want %+v", out, in)
	}
	for i := range len(b) {
		if _, err := DecodeError(b[:i]); !errors.Is(err, ErrFormat) {
			t.Fatalf("truncated to %d bytes: %v", i, err)
		}
	}
	bad := append([]byte(nil), b...)
	bad[v2Fixed+2+len("upload")] = 2
	if _, err := DecodeError(bad); !errors.Is(err, ErrFormat) {
		t.Fatalf("fatal flag 2: %v", err)
	}
}

// FuzzDecodeImage: an image message decodes or is an error, and what
// decodes re-encodes to the same bytes.
func FuzzDecodeImage(f *testing.F) {
	f.Add(AppendImage(nil, &Image{Header: Header{Seq: 1, Source: "a.jpg"}, MIME: "image/jpeg", Data: []byte{1, 2}}))
	f.Add(AppendResult(nil, sample()))
	f.Fuzz(func(t *testing.T, b []byte) {
		if im, err := DecodeImage(b); err == nil {
			if again := AppendImage(nil, im); !bytes.Equal(again, b) {
				t.Fatalf("image re-encoding differs")
			}
		}
	})
}

// FuzzDecodeError: an error message decodes or is an error, and what
// decodes re-encodes to the same bytes.
func FuzzDecodeError(f *testing.F) {
	f.Add(AppendError(nil, &Error{Header: Header{Source: "upload"}, Text: "bad", Fatal: true}))
	f.Add(AppendImage(nil, &Image{MIME: "x"}))
	f.Fuzz(func(t *testing.T, b []byte) {
		if e, err := DecodeError(b); err == nil {
			if again := AppendError(nil, e); !bytes.Equal(again, b) {
				t.Fatalf("error re-encoding differs")
			}
		}
	})
}
