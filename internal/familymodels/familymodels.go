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

	"google.golang.org/protobuf/proto"

	"github.com/nniescope/nniescope/shared/onnx/onnxpb"
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

// YOLOv5Anchors are the test model's anchors (tools/train/families.py's
// ANCHORS5), in ParseAnchors' form.
const YOLOv5Anchors = "10,12,16,14,22,24;30,34,44,40,56,60;76,80,100,96,128,132"

// Levels rewrites a YOLOv5 ONNX (the embedded one or a real export) as an
// export without its decode: the outputs become the head's level
// convolutions (the Conv nodes whose output is reshaped), and everything
// they do not need is dropped, so no anchor is left in the graph. It
// returns the file's bytes and the level outputs' names.
func Levels(t testing.TB, model []byte) ([]byte, []string) {
	t.Helper()
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(model, &mp); err != nil {
		t.Fatal(err)
	}
	g := mp.GetGraph()
	consumers := map[string][]*onnxpb.NodeProto{}
	for _, n := range g.GetNode() {
		for _, in := range n.GetInput() {
			consumers[in] = append(consumers[in], n)
		}
	}
	var levels []string
	for _, n := range g.GetNode() {
		if n.GetOpType() != "Conv" {
			continue
		}
		for _, c := range consumers[n.GetOutput()[0]] {
			if c.GetOpType() == "Reshape" {
				levels = append(levels, n.GetOutput()[0])
				break
			}
		}
	}
	if len(levels) == 0 {
		t.Fatal("familymodels: no level convolution (a Conv feeding a Reshape) in the model")
	}
	// Keep what the levels need, walking back from them.
	need := map[string]bool{}
	for _, l := range levels {
		need[l] = true
	}
	nodes := g.GetNode()
	keep := make([]bool, len(nodes))
	for i := len(nodes) - 1; i >= 0; i-- {
		for _, o := range nodes[i].GetOutput() {
			if need[o] {
				keep[i] = true
			}
		}
		if keep[i] {
			for _, in := range nodes[i].GetInput() {
				need[in] = true
			}
		}
	}
	var kept []*onnxpb.NodeProto
	for i, n := range nodes {
		if keep[i] {
			kept = append(kept, n)
		}
	}
	g.Node = kept
	var inits []*onnxpb.TensorProto
	for _, in := range g.GetInitializer() {
		if need[in.GetName()] {
			inits = append(inits, in)
		}
	}
	g.Initializer = inits
	g.ValueInfo = nil
	g.Output = nil
	for _, l := range levels {
		elem := int32(onnxpb.TensorProto_FLOAT)
		g.Output = append(g.Output, &onnxpb.ValueInfoProto{Name: proto.String(l), Type: &onnxpb.TypeProto{
			Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{ElemType: &elem}}}})
	}
	b, err := proto.Marshal(&mp)
	if err != nil {
		t.Fatal(err)
	}
	return b, levels
}
