// Package inputsize is the --imgsz flag every command and the board take:
// the input size a dynamic-shape ONNX export runs at.
package inputsize

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/nniescope/nniescope/shared/onnx"
)

// Apply applies --imgsz (WxH, "" for none) to m; a model with dynamic
// input dims and no size is refused naming the flag.
func Apply(m *onnx.Model, imgsz string) (*onnx.Model, error) {
	if imgsz == "" {
		if m.Dynamic() {
			return nil, fmt.Errorf("%s: input %q has dynamic dims %v: give the size to run it at with --imgsz WxH (e.g. --imgsz 640x640)", m.Source, m.Inputs[0].Name, m.Inputs[0].Shape)
		}
		return m, nil
	}
	ws, hs, ok := strings.Cut(imgsz, "x")
	w, err1 := strconv.Atoi(ws)
	h, err2 := strconv.Atoi(hs)
	if !ok || err1 != nil || err2 != nil || w <= 0 || h <= 0 || w%32 != 0 || h%32 != 0 {
		return nil, fmt.Errorf("--imgsz %q: want WxH, multiples of 32 (the largest stride), e.g. 640x640 or 512x288", imgsz)
	}
	return m.WithInputSize(w, h)
}
