package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/nniescope/nniescope/internal/demomodel"
	"github.com/nniescope/nniescope/internal/onnxtest"
	"github.com/nniescope/nniescope/shared/onnx/onnxpb"
)

// graftTail writes the demo model (a YOLOv8 with Ultralytics' node names)
// with a post-process node appended after output0, as the vendor's RPN
// patch does.
func graftTail(t *testing.T, dir, name string, node *onnxpb.NodeProto) string {
	t.Helper()
	b, err := onnxtest.GraftTail(demomodel.ONNX, node)
	if err != nil {
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
	plain, data := demoData(t, 3)
	image := filepath.Join(data, "images", "000000.png")
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
				if code == 0 || !strings.Contains(errb, `starting at "/model.0/act/Sigmoid"`) || !strings.Contains(errb, "none of output0") {
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
	images := filepath.Join(data, "images")
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
