package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nniescope/nniescope/internal/demoframes"
	"github.com/nniescope/nniescope/internal/onnxtest"
	"github.com/nniescope/nniescope/internal/testassets"
)

// TestImgsz: a dynamic-shape export is refused naming --imgsz, runs with
// it exactly as the static export does, and --imgsz cannot resize a
// static model or take a size that is not one.
func TestImgsz(t *testing.T) {
	static, data := demoData(t, 1)
	dynamic := demoframes.DynamicModelFile(t)
	image := filepath.Join(data, "images", "000000.png")
	code, want, errb := run(t, "run", "--json", "--model", static, "--image", image)
	if code != 0 {
		t.Fatalf("static model: exit %d: %s", code, errb)
	}
	for _, tc := range []struct {
		name string
		args []string
		err  string // "" means: the static model's detections
	}{
		{"dynamic without --imgsz", []string{"--model", dynamic}, "dynamic dims [-1 3 -1 -1]: give the size to run it at with --imgsz WxH"},
		{"dynamic with --imgsz", []string{"--model", dynamic, "--imgsz", "256x256"}, ""},
		{"static resized", []string{"--model", static, "--imgsz", "320x320"}, "its dim 2 is fixed at 256, not 320"},
		{"static at its own size", []string{"--model", static, "--imgsz", "256x256"}, ""},
		{"not a size", []string{"--model", dynamic, "--imgsz", "640"}, `--imgsz "640": want WxH`},
		{"not a multiple of 32", []string{"--model", dynamic, "--imgsz", "250x250"}, "multiples of 32"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errb := run(t, append([]string{"run", "--json", "--image", image}, tc.args...)...)
			if tc.err != "" {
				if code == 0 || !strings.Contains(errb, tc.err) {
					t.Fatalf("exit %d, stderr %q: want %q", code, errb, tc.err)
				}
				return
			}
			if code != 0 || out != want {
				t.Fatalf("exit %d (%s): detections %s, want the static model's %s", code, errb, out, want)
			}
		})
	}
}

// TestImgszYOLOv8n: yolov8n 512x288 declared with dynamic batch, height
// and width runs with --imgsz 512x288 and gives the static model's
// detections.
func TestImgszYOLOv8n(t *testing.T) {
	static := testassets.Path(t, "models", "yolov8n-512x288.onnx")
	b, err := os.ReadFile(static)
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := onnxtest.Dynamic(b)
	if err != nil {
		t.Fatal(err)
	}
	dynamic := writeFile(t, t.TempDir(), "yolov8n-dynamic.onnx", string(dyn))
	image := testassets.Path(t, "coco", "val", "images", "000000000139.jpg")
	_, want, _ := run(t, "run", "--json", "--model", static, "--image", image)
	code, got, errb := run(t, "run", "--json", "--model", dynamic, "--image", image, "--imgsz", "512x288")
	if code != 0 || got != want || !strings.Contains(want, "class_id") {
		t.Fatalf("exit %d (%s): dynamic export %s, static %s", code, errb, got, want)
	}
	if code, _, errb := run(t, "run", "--model", dynamic, "--image", image); code == 0 || !strings.Contains(errb, "--imgsz") {
		t.Fatalf("without --imgsz: exit %d, %s", code, errb)
	}
}
