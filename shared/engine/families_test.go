package engine_test

import (
	"context"
	"encoding/binary"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/nniescope/nniescope/internal/testassets"
	"github.com/nniescope/nniescope/shared/engine"
	"github.com/nniescope/nniescope/shared/preprocess"
	"github.com/nniescope/nniescope/shared/tensor"
)

// TestFamiliesMatchOnnxruntime runs YOLO11n (attention: MatMul, Softmax)
// and YOLOv5n (anchor-based head: Pow) on a COCO picture, here and in
// onnxruntime-node (run now, from bench/peer), and compares output0:
// coordinates within 2e-2 px, scores within 1e-4, cosine ≥ 0.99999.
func TestFamiliesMatchOnnxruntime(t *testing.T) {
	node := testassets.Tool(t, "node", "nodejs")
	peer, err := filepath.Abs(filepath.Join("..", "..", "bench", "peer"))
	if err != nil {
		t.Fatal(err)
	}
	testassets.NodeModule(t, peer, "onnxruntime-node")
	img, err := preprocess.Open(testassets.Path(t, "coco", "val", "images", "000000000139.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		model string
		// isCoord says whether element i of output0 is a box coordinate
		// (pixels) rather than a score.
		isCoord func(shape []int, i int) bool
	}{
		{"yolo11n-640.onnx", func(s []int, i int) bool { return i/s[2] < 4 }}, // [1, 84, A]: rows 0-3
		{"yolov5n-640.onnx", func(s []int, i int) bool { return i%s[2] < 4 }}, // [1, A, 85]: columns 0-3
	} {
		t.Run(tc.model, func(t *testing.T) {
			p := compile(t, tc.model, engine.Options{Threads: 2})
			x := tensor.New(p.Inputs()[0].Shape...)
			if _, err := preprocess.Image(img, x.Shape[3], x.Shape[2], x.F); err != nil {
				t.Fatal(err)
			}
			s := p.NewSession()
			defer s.Close()
			outs, err := s.Run(context.Background(), []*tensor.Tensor{x}, nil)
			if err != nil {
				t.Fatal(err)
			}
			got := outs[0]
			want := onnxruntime(t, node, peer, testassets.Path(t, "models", tc.model), x.F, got.Len())
			var coord, score float64
			for i := range want {
				d := math.Abs(float64(got.F[i] - want[i]))
				if tc.isCoord(got.Shape, i) {
					coord = math.Max(coord, d)
				} else {
					score = math.Max(score, d)
				}
			}
			c := compare(got.F, want)
			t.Logf("output0 %v: coordinates within %.2g px, scores within %.2g, cosine %.7f", got.Shape, coord, score, c.cosine)
			if coord > 2e-2 || score > 1e-4 || c.cosine < 0.99999 {
				t.Fatalf("differs from onnxruntime: coordinates by %g px, scores by %g, cosine %.7f", coord, score, c.cosine)
			}
		})
	}
}

// onnxruntime runs model on input with bench/peer/golden.js and returns
// its first output (n values).
func onnxruntime(t *testing.T, node, peer, model string, input []float32, n int) []float32 {
	t.Helper()
	dir := t.TempDir()
	b := make([]byte, 4*len(input))
	for i, v := range input {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	if err := os.WriteFile(filepath.Join(dir, "in.f32"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "index.json"), []byte(`{"frames":[{"input":"in.f32","output0":"out.f32"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, filepath.Join(peer, "golden.js"), model, dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("onnxruntime-node: %v\n%s", err, out)
	}
	return testassets.ReadF32(t, filepath.Join(dir, "out.f32"), n)
}
