package wire

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/nniescope/nniescope/shared/letterbox"
	"github.com/nniescope/nniescope/shared/yolo"
)

// frozen reads a fixture of testdata/frozen: bytes written once from
// docs/WIRE.md's tables by testdata/frozen/make.py, not by this package's
// encoder, and never regenerated.
func frozen(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "frozen", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The result make.py writes (its values), for both versions.
func frozenResult(h Header, layout yolo.Layout) *Result {
	data := make([]byte, 6*16)
	for i := range data {
		data[i] = byte(i * 7)
	}
	return &Result{
		Header:   h,
		Geometry: letterbox.Geometry{SrcW: 640, SrcH: 480, DstW: 320, DstH: 256, Scale: 0.5, PadLeft: 0, PadTop: 8},
		Variant:  "int8", InferUs: 1234, Layout: layout,
		Tensors: []Tensor{{Name: "output0", Raw: yolo.Raw{Type: yolo.RawS8, Shape: []int{1, 6, 2}, RowStride: 16, Scale: 2, Offset: 0.5, Data: data}}},
		Boxes:   []yolo.Detection{{Box: [4]float32{10, 20, 110, 220}, Score: 0.75, ClassID: 3}},
	}
}

// TestFrozenMessages: messages of every kind and both versions, as the
// format document lays them out, decode to the values written into them,
// and re-encode to the same bytes: the encoder and the decoder cannot
// drift together away from the document.
func TestFrozenMessages(t *testing.T) {
	for _, tc := range []struct {
		file   string
		decode func([]byte) (any, error)
		want   any
		encode func(any) []byte
	}{
		{"result-v2.bin", func(b []byte) (any, error) { return DecodeResult(b) },
			frozenResult(Header{Version: 2, Kind: KindResult, Seq: 7, CaptureNs: 1000, SentNs: 2000, Index: 1, Count: 3, Source: "a.jpg"}, yolo.Output0),
			func(v any) []byte { return AppendResult(nil, v.(*Result)) }},
		{"result-v1.bin", func(b []byte) (any, error) { return DecodeResult(b) },
			// v1 has no layout byte: one tensor is read as output0.
			frozenResult(Header{Version: 1, Kind: KindResult, Seq: 5, CaptureNs: 500, SentNs: 600}, yolo.Output0),
			func(v any) []byte { return AppendResult(nil, v.(*Result)) }},
		{"image-v2.bin", func(b []byte) (any, error) { return DecodeImage(b) },
			&Image{Header: Header{Version: 2, Kind: KindImage, Seq: 7, CaptureNs: 1000, SentNs: 2001, Index: 0, Count: 3, Loop: 2, Source: "a.jpg"}, MIME: "image/jpeg", Data: []byte{0xff, 0xd8, 0xff, 0xd9}},
			func(v any) []byte { return AppendImage(nil, v.(*Image)) }},
		{"error-v2.bin", func(b []byte) (any, error) { return DecodeError(b) },
			&Error{Header: Header{Version: 2, Kind: KindError, Seq: 8, CaptureNs: 3000, SentNs: 3001, Source: "bad.png"}, Text: "too large to encode"},
			func(v any) []byte { return AppendError(nil, v.(*Error)) }},
	} {
		t.Run(tc.file, func(t *testing.T) {
			b := frozen(t, tc.file)
			got, err := tc.decode(b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("decoded\n%+v\nwant\n%+v", got, tc.want)
			}
			if again := tc.encode(got); !bytes.Equal(again, b) {
				t.Fatalf("re-encoded to other bytes:\n% x\nwant\n% x", again, b)
			}
		})
	}
}
