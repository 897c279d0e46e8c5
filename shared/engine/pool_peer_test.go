package engine_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/nniescope/nniescope/internal/onnxtest"
	"github.com/nniescope/nniescope/internal/testassets"
	"github.com/nniescope/nniescope/shared/engine"
	"github.com/nniescope/nniescope/shared/onnx"
	"github.com/nniescope/nniescope/shared/onnx/onnxpb"
	"github.com/nniescope/nniescope/shared/tensor"
)

// poolCase is one MaxPool: an input [1, C, H, W] and the attributes.
type poolCase struct {
	c, h, w                int
	kh, kw, sh, sw, dh, dw int
	pads                   [4]int
	ceil                   bool
}

func (pc poolCase) String() string {
	return fmt.Sprintf("%dx%dx%d k%dx%d s%dx%d d%dx%d pads%v ceil=%v", pc.c, pc.h, pc.w, pc.kh, pc.kw, pc.sh, pc.sw, pc.dh, pc.dw, pc.pads, pc.ceil)
}

// model is the case as a one-node ONNX model (opset 13; the output's
// shape left unstated, for each runtime to infer).
func (pc poolCase) model(t *testing.T) []byte {
	t.Helper()
	ceil := int64(0)
	if pc.ceil {
		ceil = 1
	}
	attr := func(name string, v ...int64) *onnxpb.AttributeProto {
		if len(v) == 1 && name == "ceil_mode" {
			return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(v[0])}
		}
		return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INTS.Enum(), Ints: v}
	}
	n := &onnxpb.NodeProto{Name: proto.String("/pool"), OpType: proto.String("MaxPool"), Input: []string{"x"}, Output: []string{"y"}, Attribute: []*onnxpb.AttributeProto{
		attr("kernel_shape", int64(pc.kh), int64(pc.kw)),
		attr("strides", int64(pc.sh), int64(pc.sw)),
		attr("dilations", int64(pc.dh), int64(pc.dw)),
		attr("pads", int64(pc.pads[0]), int64(pc.pads[1]), int64(pc.pads[2]), int64(pc.pads[3])),
		attr("ceil_mode", ceil),
	}}
	out := &onnxpb.ValueInfoProto{Name: proto.String("y"), Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{
		ElemType: proto.Int32(int32(onnxpb.TensorProto_FLOAT))}}}}
	in := onnxtest.ValueInfo("x", 1, int64(pc.c), int64(pc.h), int64(pc.w))
	b, err := proto.Marshal(&onnxpb.ModelProto{
		IrVersion:   proto.Int64(7),
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(13)}},
		Graph:       &onnxpb.GraphProto{Name: proto.String("pool"), Node: []*onnxpb.NodeProto{n}, Input: []*onnxpb.ValueInfoProto{in}, Output: []*onnxpb.ValueInfoProto{out}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// run runs the case in the engine.
func (pc poolCase) run(model []byte, x []float32) (*tensor.Tensor, error) {
	m, err := onnx.Decode(model, "pool.onnx")
	if err != nil {
		return nil, err
	}
	p, err := engine.Compile(m, engine.Options{Threads: 1})
	if err != nil {
		return nil, err
	}
	s := p.NewSession()
	defer s.Close()
	in, err := tensor.FromFloat32(x, 1, pc.c, pc.h, pc.w)
	if err != nil {
		return nil, err
	}
	out, err := s.Run(context.Background(), []*tensor.Tensor{in}, nil)
	if err != nil {
		return nil, err
	}
	return &tensor.Tensor{DType: out[0].DType, Shape: append([]int(nil), out[0].Shape...), F: append([]float32(nil), out[0].F...)}, nil
}

// TestMaxPoolMatchesOnnxruntime runs MaxPool cases — the ceil_mode=1 one
// the peers disagreed with us on (a 4x4 input, kernel 1, stride 2: [1,1,2,2],
// not a third window starting past the input), and random cases of
// kernels, strides, dilations, pads and both rounding modes — in the engine
// and in onnxruntime-node, and wants the same shape and the same values.
func TestMaxPoolMatchesOnnxruntime(t *testing.T) {
	node := testassets.Tool(t, "node", "nodejs")
	peer, err := filepath.Abs(filepath.Join("..", "..", "bench", "peer"))
	if err != nil {
		t.Fatal(err)
	}
	testassets.NodeModule(t, peer, "onnxruntime-node")
	cases := []poolCase{
		{c: 1, h: 4, w: 4, kh: 1, kw: 1, sh: 2, sw: 2, dh: 1, dw: 1, ceil: true},
		{c: 1, h: 5, w: 5, kh: 2, kw: 2, sh: 2, sw: 2, dh: 1, dw: 1, ceil: true},
		{c: 2, h: 6, w: 7, kh: 3, kw: 3, sh: 2, sw: 2, dh: 1, dw: 1, pads: [4]int{1, 1, 1, 1}, ceil: true},
	}
	rng := rand.New(rand.NewPCG(5, 7))
	for len(cases) < 16 {
		pc := poolCase{c: 1 + rng.IntN(2), h: 3 + rng.IntN(7), w: 3 + rng.IntN(7), kh: 1 + rng.IntN(3), kw: 1 + rng.IntN(3),
			sh: 1 + rng.IntN(3), sw: 1 + rng.IntN(3), dh: 1 + rng.IntN(2), dw: 1 + rng.IntN(2), ceil: rng.IntN(4) != 0}
		for i := range pc.pads {
			pc.pads[i] = rng.IntN(2)
		}
		// ONNX requires pads smaller than the kernel, and a window that fits.
		if pc.pads[0] >= pc.kh || pc.pads[2] >= pc.kh || pc.pads[1] >= pc.kw || pc.pads[3] >= pc.kw ||
			(pc.kh-1)*pc.dh+1 > pc.h+pc.pads[0]+pc.pads[2] || (pc.kw-1)*pc.dw+1 > pc.w+pc.pads[1]+pc.pads[3] {
			continue
		}
		cases = append(cases, pc)
	}
	for _, pc := range cases {
		t.Run(pc.String(), func(t *testing.T) {
			model := pc.model(t)
			x := make([]float32, pc.c*pc.h*pc.w)
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			got, err := pc.run(model, x)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "pool.onnx")
			if err := os.WriteFile(path, model, 0o644); err != nil {
				t.Fatal(err)
			}
			want := onnxruntime(t, node, peer, path, x, -1) // the count is checked below
			if len(want) != got.Len() {
				t.Fatalf("the engine's output is %v (%d values), onnxruntime's has %d values", got.Shape, got.Len(), len(want))
			}
			for i, v := range want {
				if math.Float32bits(v) != math.Float32bits(got.F[i]) {
					t.Fatalf("shape %v: value %d is %v, onnxruntime %v\ngot  %v\nwant %v", got.Shape, i, got.F[i], v, got.F, want)
				}
			}
		})
	}
}
