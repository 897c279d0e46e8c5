package engine_test

import (
	"context"
	"testing"

	"github.com/nniescope/nniescope/shared/engine"
	"github.com/nniescope/nniescope/shared/tensor"
)

// BenchmarkYOLOv8n512x288 is the engine alone; `task bench` prints the
// ratio against onnxruntime (internal/cmd/enginebench).
func BenchmarkYOLOv8n512x288(b *testing.B) {
	p := compile(b, "yolov8n-512x288.onnx", engine.Options{Threads: 2})
	s := p.NewSession()
	x := tensor.New(1, 3, 288, 512)
	for i := range x.F {
		x.F[i] = 0.5
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Run(context.Background(), []*tensor.Tensor{x}, nil); err != nil {
			b.Fatal(err)
		}
	}
}
