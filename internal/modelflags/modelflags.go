// Package modelflags applies the flags that every model-reading command
// and the board take to a loaded model, in one order: --imgsz fixes a
// dynamic input, --anchors gives a YOLOv5 without its decode its anchors,
// --names overrides the class names.
package modelflags

import (
	"github.com/nniescope/nniescope/internal/inputsize"
	"github.com/nniescope/nniescope/shared/detect"
	"github.com/nniescope/nniescope/shared/names"
	"github.com/nniescope/nniescope/shared/onnx"
)

// Flags are the values of --imgsz, --anchors and --names ("" = not given).
type Flags struct {
	ImgSize, Anchors, Names string
}

// Apply returns m with the flags applied; m is not modified.
func (f Flags) Apply(m *onnx.Model) (*onnx.Model, error) {
	m, err := inputsize.Apply(m, f.ImgSize)
	if err != nil {
		return nil, err
	}
	if m, err = detect.WithAnchors(m, f.Anchors); err != nil {
		return nil, err
	}
	if f.Names != "" {
		c := *m
		if c.Metadata, err = names.Apply(m.Metadata, f.Names); err != nil {
			return nil, err
		}
		m = &c
	}
	return m, nil
}
