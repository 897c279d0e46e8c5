package eval_test

import (
	"context"
	"math"
	"testing"

	"github.com/nniescope/nniescope/internal/testassets"
	"github.com/nniescope/nniescope/shared/dataset"
	"github.com/nniescope/nniescope/shared/detect"
	"github.com/nniescope/nniescope/shared/engine"
	"github.com/nniescope/nniescope/shared/eval"
	"github.com/nniescope/nniescope/shared/metrics/coco"
	"github.com/nniescope/nniescope/shared/onnx"
)

// TestFloatAPMatchesReference: the float yolov8n-512x288 on the 65 COCO val
// images. MANIFEST.md gives AP 0.405, AP50 0.548, AP75 0.449 from
// onnxruntime detections scored by pycocotools (its decoder differs: allow
// 0.01, what MANIFEST calls noise on this set).
func TestFloatAPMatchesReference(t *testing.T) {
	set, err := dataset.Load(testassets.Path(t, "coco", "val"), 80)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Images) != 65 || len(set.GT.Annotations) != 466 {
		t.Fatalf("%d images, %d boxes; MANIFEST says 65 and 466", len(set.Images), len(set.GT.Annotations))
	}
	run, stats := floatRun(t, set, "yolov8n-512x288.onnx")
	for i, want := range []float64{0.405, 0.548, 0.449} {
		if math.Abs(stats[i]-want) > 0.01 {
			t.Errorf("stat %d = %.4f, reference %.3f", i, stats[i], want)
		}
	}
	if shift, matched := eval.BoxShift(run, run, 0.25); shift != 0 || matched != 1 {
		t.Errorf("a run against itself: shift %v matched %v", shift, matched)
	}
}

// TestFamiliesAP50MatchReference: YOLOv5n (anchor-major output with
// objectness) and YOLO11n (attention) at 640 on the same 65 images.
// MANIFEST.md gives mAP50 0.531 and 0.583 from onnxruntime with
// all-point interpolation (pycocotools interpolates at 101 points): allow
// 0.01.
func TestFamiliesAP50MatchReference(t *testing.T) {
	set, err := dataset.Load(testassets.Path(t, "coco", "val"), 80)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		model string
		ap50  float64
	}{{"yolov5n-640.onnx", 0.531}, {"yolo11n-640.onnx", 0.583}} {
		t.Run(tc.model, func(t *testing.T) {
			_, stats := floatRun(t, set, tc.model)
			if math.Abs(stats[1]-tc.ap50) > 0.01 {
				t.Errorf("AP50 %.4f, reference %.3f", stats[1], tc.ap50)
			}
		})
	}
}

// floatRun detects with a float model of the assets over set and scores it.
func floatRun(t *testing.T, set *dataset.Set, model string) (*eval.Run, coco.Stats) {
	t.Helper()
	m, err := onnx.Load(testassets.Path(t, "models", model))
	if err != nil {
		t.Fatal(err)
	}
	p, err := engine.Compile(m, engine.Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	det, err := detect.New(p)
	if err != nil {
		t.Fatal(err)
	}
	defer det.Close()
	run, err := eval.Detect(context.Background(), set, det, eval.Params(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	stats, err := eval.Score(set, run)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: AP %.4f AP50 %.4f AP75 %.4f", model, stats[0], stats[1], stats[2])
	return run, stats
}
