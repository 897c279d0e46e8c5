package yolo

import (
	"math"
	"strings"
	"testing"
)

// TestErrorTextsNameWhatIsWrong: an unknown element type and an absurd RPN
// count give readable errors (they printed "%!v(unsupported)" and panicked
// with "makeslice: cap out of range").
func TestErrorTextsNameWhatIsWrong(t *testing.T) {
	_, err := Raw{Type: 99, Shape: []int{1, 2}, Data: make([]byte, 8), Scale: 1}.Float()
	if err == nil || !strings.Contains(err.Error(), "unknown element type 99") || strings.Contains(err.Error(), "%!") {
		t.Errorf("type 99: %v", err)
	}
	if s := RawF16.String(); s != "F16" {
		t.Errorf("RawF16 is %q", s)
	}
	boxes := make([]float32, 6*4)
	for _, c := range []float32{float32(math.Inf(1)), 1e30, 9.3e18, 5} {
		dets, err := DecodeRPN([]float32{c}, boxes, 4)
		if err == nil || !strings.Contains(err.Error(), "RPN boxes need") {
			t.Errorf("count %v: %d detections, %v; want an error", c, len(dets), err)
		}
	}
}
