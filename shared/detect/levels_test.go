package detect_test

import (
	"context"
	"image"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/nniescope/nniescope/internal/demoframes"
	"github.com/nniescope/nniescope/internal/familymodels"
	"github.com/nniescope/nniescope/internal/testassets"
	"github.com/nniescope/nniescope/shared/detect"
	"github.com/nniescope/nniescope/shared/engine"
	"github.com/nniescope/nniescope/shared/onnx"
	"github.com/nniescope/nniescope/shared/preprocess"
	"github.com/nniescope/nniescope/shared/yolo"
)

// TestAnchorLevelsMatchTheGraphDecode: a YOLOv5 run up to its three level
// convolutions and decoded by the raw-level decoder gives the detections
// of the export's own decode (output0), with the anchors read from the
// graph's decode constants beyond the cut; the same file rewritten without
// its decode is refused until the anchors are given, then gives them too.
func TestAnchorLevelsMatchTheGraphDecode(t *testing.T) {
	fam := familymodels.All()[1]
	scene, _ := demoframes.Scene(0)
	cases := []struct {
		name    string
		onnx    func(t *testing.T) []byte
		img     func(t *testing.T) image.Image
		anchors string // the graph's, as the export states them
	}{
		{"YOLOv5 test model", func(*testing.T) []byte { return fam.ONNX }, func(*testing.T) image.Image { return scene }, familymodels.YOLOv5Anchors},
		{"yolov5n-640 (assets)", func(t *testing.T) []byte {
			b, err := os.ReadFile(testassets.Path(t, "models", "yolov5n-640.onnx"))
			if err != nil {
				t.Fatal(err)
			}
			return b
		}, func(t *testing.T) image.Image {
			img, err := preprocess.Open(testassets.Path(t, "coco", "val", "images", "000000000139.jpg"))
			if err != nil {
				t.Fatal(err)
			}
			return img
		}, "10,13,16,30,33,23;30,61,62,45,59,119;116,90,156,198,373,326"},
	}
	p := yolo.DefaultParams()
	p.ScoreThreshold = 0.05 // many boxes: a wide comparison
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			full, err := onnx.Decode(tc.onnx(t), tc.name)
			if err != nil {
				t.Fatal(err)
			}
			img := tc.img(t)
			want := detectWith(t, full, nil, img, p)
			if len(want) < 3 {
				t.Fatalf("the export's own decode finds %d boxes: the comparison would be thin", len(want))
			}
			t.Logf("%d boxes from the export's decode", len(want))
			raw, levels := familymodels.Levels(t, tc.onnx(t))

			// Cut at the levels: the anchors come from the graph.
			cut, err := engine.Compile(full, engine.Options{Threads: 2, StopAt: levels})
			if err != nil {
				t.Fatal(err)
			}
			d, err := detect.New(cut)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			if d.Layout() != yolo.AnchorLevels || d.Anchors().String() != tc.anchors {
				t.Fatalf("layout %d anchors %q, want %d %q", d.Layout(), d.Anchors(), yolo.AnchorLevels, tc.anchors)
			}
			matchesDecode(t, "cut at the levels", run(t, d, img, p), want)

			// Cut after the permute: [1, A, H, W, 5+nc], a train-mode export.
			permuted := permutedLevels(full, levels)
			if len(permuted) != len(levels) {
				t.Fatalf("permuted levels %v for %v", permuted, levels)
			}
			matchesDecode(t, "cut after the permute", detectWith(t, full, permuted, img, p), want)

			// A file without the decode: refused, naming the flag, until
			// the anchors are in its metadata (what --anchors sets).
			m, err := onnx.Decode(raw, "raw.onnx")
			if err != nil {
				t.Fatal(err)
			}
			prog, err := engine.Compile(m, engine.Options{Threads: 2})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := detect.New(prog); err == nil || !strings.Contains(err.Error(), "--anchors") {
				t.Fatalf("a raw export without anchors: %v, want an error naming --anchors", err)
			}
			m.Metadata = map[string]string{detect.AnchorsKey: tc.anchors}
			matchesDecode(t, "raw export with --anchors", detectWith(t, m, nil, img, p), want)
			if n, err := detect.Classes(prog); err != nil || n != classesOf(t, full) {
				t.Fatalf("Classes of the raw export: %d, %v; want %d", n, err, classesOf(t, full))
			}
		})
	}
}

// permutedLevels names the Transpose outputs that reshape each level
// convolution to [1, A, H, W, 5+nc].
func permutedLevels(m *onnx.Model, levels []string) []string {
	reshaped := map[string]bool{}
	for _, n := range m.Nodes {
		if n.OpType == "Reshape" && slices.Contains(levels, n.Inputs[0]) {
			reshaped[n.Outputs[0]] = true
		}
	}
	var out []string
	for _, n := range m.Nodes {
		if n.OpType == "Transpose" && reshaped[n.Inputs[0]] {
			out = append(out, n.Outputs[0])
		}
	}
	return out
}

func classesOf(t *testing.T, m *onnx.Model) int {
	p, err := engine.Analyze(m, engine.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	n, err := detect.Classes(p)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func detectWith(t *testing.T, m *onnx.Model, stopAt []string, img image.Image, p yolo.Params) []yolo.Detection {
	t.Helper()
	prog, err := engine.Compile(m, engine.Options{Threads: 2, StopAt: stopAt})
	if err != nil {
		t.Fatal(err)
	}
	d, err := detect.New(prog)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	return run(t, d, img, p)
}

func run(t *testing.T, d *detect.Detector, img image.Image, p yolo.Params) []yolo.Detection {
	t.Helper()
	r, err := d.Image(context.Background(), img, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r.Detections
}

// matchesDecode: same classes in the same order, boxes within 1e-2 px,
// scores within 1e-5.
func matchesDecode(t *testing.T, what string, got, want []yolo.Detection) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d detections, want %d", what, len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.ClassID != w.ClassID || math.Abs(float64(g.Score-w.Score)) > 1e-5 {
			t.Fatalf("%s: detection %d: %+v, want %+v", what, i, g, w)
		}
		for k := range 4 {
			if math.Abs(float64(g.Box[k]-w.Box[k])) > 1e-2 {
				t.Fatalf("%s: detection %d box %v, want %v", what, i, g.Box, w.Box)
			}
		}
	}
}
