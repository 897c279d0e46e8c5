package onnx_test

import (
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/nniescope/nniescope/internal/demomodel"
	"github.com/nniescope/nniescope/internal/onnxtest"
	"github.com/nniescope/nniescope/internal/testassets"
	"github.com/nniescope/nniescope/shared/onnx"
	"github.com/nniescope/nniescope/shared/onnx/onnxpb"
	"google.golang.org/protobuf/proto"
)

func TestLoadRealModels(t *testing.T) {
	tests := []struct {
		file    string
		outputs []string
	}{
		{"yolov8n-640.onnx", []string{"output0"}},
		{"yolov8n-512x288.onnx", []string{"output0"}},
		{"yolov8n-512x288-heads.onnx", []string{"reg8", "cls8", "reg16", "cls16", "reg32", "cls32"}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			m, err := onnx.Load(testassets.Path(t, "models", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if m.Opset != 13 || len(m.Inputs) != 1 || m.Inputs[0].Name != "images" {
				t.Fatalf("opset %d inputs %v", m.Opset, m.Inputs)
			}
			var got []string
			for _, o := range m.Outputs {
				got = append(got, o.Name)
			}
			if strings.Join(got, ",") != strings.Join(tc.outputs, ",") {
				t.Fatalf("outputs %v, want %v", got, tc.outputs)
			}
		})
	}
}

func TestDecodeTiny(t *testing.T) {
	m, err := onnx.Decode(onnxtest.TinyModel("Sigmoid"), "tiny.onnx")
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Nodes) != 3 {
		t.Fatalf("%d nodes, want 3 (the Constant folds into an initializer)", len(m.Nodes))
	}
	if k := m.Initializers["k"]; k == nil || k.F[0] != 0.5 {
		t.Fatalf("constant k = %v", k)
	}
	if w := m.Initializers["w"]; w == nil || w.F[1] != 3 {
		t.Fatalf("initializer w = %v", w)
	}
}

func TestDecodeErrors(t *testing.T) {
	good := onnxtest.TinyModel("Sigmoid")
	real := demomodel.ONNX
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "no graph nodes"},
		{"truncated real model (the demo model)", real[:len(real)/2], "not a valid protobuf"},
		{"truncated tiny model", good[:len(good)-7], "bad.onnx"},
		{"text file", []byte("hello, I am not a model\n"), "bad.onnx"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := onnx.Decode(tc.data, "bad.onnx")
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "bad.onnx") {
				t.Fatalf("error %q: want it to name the file and say %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error spans lines: %q", err)
			}
		})
	}
	if _, err := onnx.Decode(nil, "x"); !errors.Is(err, onnx.ErrFormat) {
		t.Fatalf("error %v does not wrap ErrFormat", err)
	}
}

// FuzzDecode: any bytes give a model or an error, never a panic.
func FuzzDecode(f *testing.F) {
	f.Add(onnxtest.TinyModel("Sigmoid"))
	f.Add(onnxtest.TinyModel("Relu"))
	f.Add([]byte{0x08, 0x07, 0x3a, 0x02, 0x0a, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := onnx.Decode(data, "fuzz.onnx")
		// A graph may lack inputs (all constant), never nodes or outputs.
		if err == nil && (len(m.Nodes) == 0 || len(m.Outputs) == 0) {
			t.Fatalf("accepted a model without nodes or outputs")
		}
	})
}

// TestHugeDimsWithoutDataAllocateNothing: an initializer whose dims claim
// 2^30 floats but that stores none is refused before its 4 GiB are
// allocated (the check used to follow the allocation).
func TestHugeDimsWithoutDataAllocateNothing(t *testing.T) {
	var m onnxpb.ModelProto
	if err := proto.Unmarshal(onnxtest.TinyModel("Sigmoid"), &m); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		tp   *onnxpb.TensorProto
		want string
	}{
		{"float, no data", &onnxpb.TensorProto{Name: proto.String("w"), Dims: []int64{1 << 30}, DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT))}, "needs 1073741824 values, has 0"},
		{"int64, 8 raw bytes", &onnxpb.TensorProto{Name: proto.String("w"), Dims: []int64{1 << 30}, DataType: proto.Int32(int32(onnxpb.TensorProto_INT64)), RawData: make([]byte, 8)}, "needs 8589934592 bytes of raw_data, has 8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m.Graph.Initializer = []*onnxpb.TensorProto{tc.tp}
			b, err := proto.Marshal(&m)
			if err != nil {
				t.Fatal(err)
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err = onnx.Decode(b, "huge.onnx")
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one with %q", err, tc.want)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
				t.Errorf("refusing it allocated %d MB", grew>>20)
			}
		})
	}
}
