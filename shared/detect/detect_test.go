package detect_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/nniescope/nniescope/internal/demoframes"
	"github.com/nniescope/nniescope/internal/testassets"
	"github.com/nniescope/nniescope/shared/detect"
	"github.com/nniescope/nniescope/shared/engine"
	"github.com/nniescope/nniescope/shared/letterbox"
	"github.com/nniescope/nniescope/shared/onnx"
	"github.com/nniescope/nniescope/shared/tensor"
	"github.com/nniescope/nniescope/shared/yolo"
)

func detector(t *testing.T, file string) *detect.Detector {
	t.Helper()
	m, err := onnx.Load(testassets.Path(t, "models", file))
	if err != nil {
		t.Fatal(err)
	}
	p, err := engine.Compile(m, engine.Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	d, err := detect.New(p)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestOutput0AndHeadsAgree decodes the same golden inputs through the
// single-output model and through the six-head model; both must also match
// decoding onnxruntime's own output0.
func TestOutput0AndHeadsAgree(t *testing.T) {
	single := detector(t, "yolov8n-512x288.onnx")
	heads := detector(t, "yolov8n-512x288-heads.onnx")
	l, _ := letterbox.Fit(512, 288, 512, 288) // identity geometry
	p := yolo.DefaultParams()
	for _, img := range testassets.GoldenImages {
		t.Run(img, func(t *testing.T) {
			in := testassets.ReadF32(t, testassets.Golden(t, img, "input"), 3*288*512)
			a, err := single.Tensor(context.Background(), in, l, p, nil)
			if err != nil {
				t.Fatal(err)
			}
			b, err := heads.Tensor(context.Background(), in, l, p, nil)
			if err != nil {
				t.Fatal(err)
			}
			ort, _ := tensor.FromFloat32(testassets.ReadF32(t, testassets.Golden(t, img, "output0"), 84*3024), 1, 84, 3024)
			want, err := yolo.DecodeOutput0(ort, p)
			if err != nil {
				t.Fatal(err)
			}
			if len(want) == 0 {
				t.Fatal("onnxruntime's output decodes to no boxes: the comparison would be empty")
			}
			sameDetections(t, "output0 vs onnxruntime", a.Detections, want)
			sameDetections(t, "heads vs onnxruntime", b.Detections, want)
		})
	}
}

func sameDetections(t *testing.T, what string, got, want []yolo.Detection) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d detections, want %d", what, len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.ClassID != w.ClassID || abs(g.Score-w.Score) > 1e-3 {
			t.Fatalf("%s: #%d = %+v, want %+v", what, i, g, w)
		}
		for k := range 4 {
			if abs(g.Box[k]-w.Box[k]) > 0.02 {
				t.Fatalf("%s: #%d box %v, want %v", what, i, g.Box, w.Box)
			}
		}
	}
}

func abs(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}

// TestClasses: both export layouts state their class count, read from
// output0 or from the class branches of the raw heads: 80 for the COCO
// models, 4 for the project's demo model, cut before its decode (six heads).
func TestClasses(t *testing.T) {
	m := demoframes.Model(t)
	for name, stop := range map[string][]string{"output0": nil, "heads": demoframes.HeadOutputs()} {
		p, err := engine.Compile(m, engine.Options{Threads: 1, StopAt: stop})
		if err != nil {
			t.Fatal(err)
		}
		if n, err := detect.Classes(p); err != nil || n != 4 {
			t.Errorf("demo model, %s: %d classes (%v), want 4", name, n, err)
		}
	}
	t.Run("coco-yolov8n", func(t *testing.T) {
		for _, file := range []string{"yolov8n-512x288.onnx", "yolov8n-512x288-heads.onnx"} {
			d := detector(t, file)
			n, err := detect.Classes(d.Program())
			d.Close()
			if err != nil || n != 80 {
				t.Errorf("%s: %d classes (%v), want 80", file, n, err)
			}
		}
	})
}

// TestDemoOutput0AndHeadsAgree: the demo model decoded from output0 and
// from its six raw heads (the cut the board streams) gives the same
// detections on synthetic scenes: the DFL/stride decode of the heads
// matches the graph's own.
func TestDemoOutput0AndHeadsAgree(t *testing.T) {
	m := demoframes.Model(t)
	var dets [2]*detect.Detector
	for i, stop := range [][]string{nil, demoframes.HeadOutputs()} {
		p, err := engine.Compile(m, engine.Options{Threads: 2, StopAt: stop})
		if err != nil {
			t.Fatal(err)
		}
		if dets[i], err = detect.New(p); err != nil {
			t.Fatal(err)
		}
		defer dets[i].Close()
	}
	for _, scene := range demoframes.Frames() {
		img, _ := demoframes.Scene(scene)
		var got [2][]yolo.Detection
		for i, d := range dets {
			r, err := d.Image(context.Background(), img, yolo.DefaultParams(), nil)
			if err != nil {
				t.Fatal(err)
			}
			got[i] = r.Detections
		}
		if len(got[0]) == 0 {
			t.Fatalf("scene %d: no detections: the comparison would be empty", scene)
		}
		sameDetections(t, fmt.Sprintf("scene %d heads vs output0", scene), got[1], got[0])
	}
}
