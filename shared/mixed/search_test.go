package mixed

import (
	"context"
	"testing"

	"github.com/nniescope/nniescope/internal/testassets"
	"github.com/nniescope/nniescope/shared/dataset"
	"github.com/nniescope/nniescope/shared/onnx"
	"github.com/nniescope/nniescope/shared/quant"
)

// TestSearchFindsTheStrideMul runs the whole search on yolov8n 512x288 with
// files calibrated on a few COCO calibration images and 24 val images (a
// quick version of docs/RESULTS.md's run): under the default placement the
// stride Mul must rank first and reach the target alone.
func TestSearchFindsTheStrideMul(t *testing.T) {
	if testing.Short() {
		t.Skip("calibrates and evaluates; run without -short")
	}
	ctx := context.Background()
	m, err := onnx.Load(testassets.Path(t, "models", "yolov8n-512x288.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	files, err := dataset.ImageFiles(testassets.Path(t, "coco", "calib"))
	if err != nil {
		t.Fatal(err)
	}
	files = files[:16]
	f8, err := quant.Calibrate(ctx, m, files, quant.CalibOptions{Bits: 8, Threads: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	f16, err := quant.Calibrate(ctx, m, files, quant.CalibOptions{Bits: 16, Threads: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	set, err := dataset.Load(testassets.Path(t, "coco", "val"), 80)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Search(ctx, m, f8, f16, set.Subset(24), Options{MaxDrop: 1.0, Threads: 2, ProxyImages: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("reference %.4f target %.4f; sensitivity top %v; evaluations %+v; result %v AP %.4f reached %v %.2f ms",
		res.ReferenceAP, res.TargetAP, res.Sensitivity[:3], res.Evaluations, res.Layers, res.AP, res.Reached, res.LatencyMS)
	if res.Sensitivity[0].Layer != "/model.22/Mul_2" {
		t.Errorf("proxy ranks %q first, want the stride Mul", res.Sensitivity[0].Layer)
	}
	if !res.Reached || len(res.Layers) != 1 || res.Layers[0] != "/model.22/Mul_2" {
		t.Errorf("result %v (reached %v), want the stride Mul alone", res.Layers, res.Reached)
	}
	if res.LatencyMS > 3.41 {
		t.Errorf("estimated %.3f ms: the stride Mul in 16-bit should keep 8-bit speed", res.LatencyMS)
	}
	seen := map[string]bool{}
	for _, e := range res.Evaluations {
		k := key(e.Layers)
		if seen[k] {
			t.Errorf("configuration %v evaluated twice", e.Layers)
		}
		seen[k] = true
	}
}
