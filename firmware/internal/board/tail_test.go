package board

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/nniescope/nniescope/internal/demomodel"
	"github.com/nniescope/nniescope/internal/onnxtest"
	"github.com/nniescope/nniescope/shared/onnx/onnxpb"
)

// TestSimCutsThePostProcessTail: given the ONNX a vendor RPN patch
// produces (a custom-domain node after output0), the sim engine stops
// before the tail and streams output0, as the board streams the RPN's
// inputs next to its boxes.
func TestSimCutsThePostProcessTail(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the model")
	}
	b, err := onnxtest.GraftTail(demomodel.ONNX, &onnxpb.NodeProto{Name: proto.String("/rpn/Filter"), OpType: proto.String("Filter"),
		Domain: proto.String("svp.custom"), Input: []string{"output0"}, Output: []string{"rpn_boxes"}})
	if err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(t.TempDir(), "rpn.onnx")
	if err := os.WriteFile(model, b, 0o644); err != nil {
		t.Fatal(err)
	}
	addr, cancel, done := start(t, "--model", model, "--variant", "float", "--source", "synthetic", "--fps", "2")
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("board exited: %v", err)
		}
	}()
	resp, err := http.Get("http://" + addr + "/api/info")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var info Info
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil {
		t.Fatal(err)
	}
	if len(info.Tensors) != 1 || info.Tensors[0].Name != "output0" || len(info.Tensors[0].Shape) != 3 || info.Tensors[0].Shape[2] != 1344 {
		t.Fatalf("/api/info tensors %+v, want output0 [1 8 1344]", info.Tensors)
	}
}
