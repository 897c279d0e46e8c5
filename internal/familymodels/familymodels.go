// Package familymodels embeds small models of the other YOLO families,
// trained like the demo model (tools/train/train.py --arch, on the same
// synthetic scenes; docs/MODELS.md has the commands) so that every family
// is tested on a fresh clone, without the licensed assets: YOLO11 (C3k2
// with and without C3k, C2PSA attention, depthwise class branch; the DFL
// head, output0 [1, 8, 1344]) and YOLOv5 v7.0 (C3, 6x6 stem, anchors
// decoded in the graph; output0 [1, 4032, 9]). Only tests import it.
package familymodels

import (
	_ "embed"
	"os"
	"path/filepath"
	"testing"

	"github.com/nniescope/nniescope/shared/yolo"
)

var (
	//go:embed yolo11.onnx
	yolo11 []byte
	//go:embed yolov5.onnx
	yolov5 []byte
)

// Model is one embedded model.
type Model struct {
	Name   string // yolo11, yolov5: also its golden folder's prefix
	ONNX   []byte
	Layout yolo.Layout // of its output0
	// IsCoord says whether element i of output0 (of shape s) is a box
	// coordinate in pixels rather than a score.
	IsCoord func(s []int, i int) bool
}

// All are the embedded models.
func All() []Model {
	return []Model{
		{"yolo11", yolo11, yolo.Output0, func(s []int, i int) bool { return i/s[2] < 4 }},     // [1, 4+nc, A]: rows 0-3
		{"yolov5", yolov5, yolo.AnchorMajor, func(s []int, i int) bool { return i%s[2] < 4 }}, // [1, A, 5+nc]: columns 0-3
	}
}

// File writes the model into the test's temporary folder and returns
// its path.
func (m Model) File(t testing.TB) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), m.Name+".onnx")
	if err := os.WriteFile(p, m.ONNX, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
