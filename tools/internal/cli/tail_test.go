package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/nniescope/nniescope/internal/onnxtest"
	"github.com/nniescope/nniescope/internal/testassets"
	"github.com/nniescope/nniescope/shared/onnx/onnxpb"
)

// graftTail writes yolov8n-512x288 with a post-process node appended after
// output0, as the vendor's RPN patch does.
func graftTail(t *testing.T, dir, name string, node *onnxpb.NodeProto) string {
	t.Helper()
	b, err := os.ReadFile(testassets.Path(t, "models", "yolov8n-512x288.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	if b, err = onnxtest.GraftTail(b, node); err != nil {
		t.Fatal(err)
	}
	return writeFile(t, dir, name, string(b))
}

// TestCustomTail: a model with the board's post-process appended runs,
// calibrates and evaluates like the model without it — the commands stop
// before the tail and say so — and --tail-op names a tail made of
// standard ops, which would otherwise silently run.
func TestCustomTail(t *testing.T) {
	dir := t.TempDir()
	plain := testassets.Path(t, "models", "yolov8n-512x288.onnx")
	image := testassets.Path(t, "coco", "val", "images", "000000000139.jpg")
	custom := graftTail(t, dir, "rpn.onnx", &onnxpb.NodeProto{Name: proto.String("/rpn/DecBBox"), OpType: proto.String("DecBBox"),
		Domain: proto.String("svp.custom"), Input: []string{"output0"}, Output: []string{"rpn_boxes"}})
	standard := graftTail(t, dir, "sig.onnx", &onnxpb.NodeProto{Name: proto.String("/rpn/score"), OpType: proto.String("Sigmoid"),
		Input: []string{"output0"}, Output: []string{"rpn_scores"}})

	code, want, errb := run(t, "run", "--json", "--model", plain, "--image", image)
	if code != 0 || !strings.Contains(want, "class_id") {
		t.Fatalf("plain model: exit %d, %s %s", code, want, errb)
	}
	for _, tc := range []struct {
		name  string
		args  []string
		start string // "": the tail is not cut
	}{
		{"custom domain", []string{"--model", custom}, `"/rpn/DecBBox" (DecBBox)`},
		{"standard op named", []string{"--model", standard, "--tail-op", "/rpn/score"}, `"/rpn/score" (Sigmoid)`},
		{"standard op named by type", []string{"--model", standard, "--tail-op", "::Sigmoid"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errb := run(t, append([]string{"run", "--json", "--image", image}, tc.args...)...)
			if tc.start == "" {
				// Every Sigmoid of the model (its SiLUs) is then tail, the
				// first one in the stem: what is left is no detector, and
				// the error says what was cut and what is left.
				if code == 0 || !strings.Contains(errb, `starting at "/model.0/act/Sigmoid"`) || !strings.Contains(errb, "neither output0") {
					t.Fatalf("exit %d, stderr %q: want the cut and a clear refusal", code, errb)
				}
				return
			}
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errb)
			}
			if !strings.Contains(errb, "stopping before 1 post-process node(s) starting at "+tc.start) || !strings.Contains(errb, "[output0]") {
				t.Errorf("stderr %q does not say where it stopped", errb)
			}
			if out != want {
				t.Errorf("detections differ from the model without the tail:\n%s\n%s", out, want)
			}
		})
	}

	// Calibration sees the same graph: the same records, byte for byte.
	images := filepath.Join(dir, "calib")
	if err := os.MkdirAll(images, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"000000000009.jpg", "000000000025.jpg"} {
		b, err := os.ReadFile(testassets.Path(t, "coco", "calib", "images", name))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, images, name, string(b))
	}
	files := map[string]string{}
	for name, model := range map[string]string{"plain": plain, "custom": custom} {
		files[name] = filepath.Join(dir, name+".txt")
		if code, _, errb := run(t, "calib", "--model", model, "--images", images, "--bits", "8", "-o", files[name]); code != 0 {
			t.Fatalf("calib %s: exit %d: %s", name, code, errb)
		}
	}
	a, _ := os.ReadFile(files["plain"])
	b, _ := os.ReadFile(files["custom"])
	if len(a) == 0 || string(a) != string(b) {
		t.Fatalf("calibration of the model with the tail differs (%d vs %d bytes)", len(b), len(a))
	}
}
