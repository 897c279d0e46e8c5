//go:build svp || nnie

package board

import (
	"time"

	"github.com/nniescope/nniescope/firmware/internal/frame"
	"github.com/nniescope/nniescope/firmware/internal/source"
	"github.com/nniescope/nniescope/shared/letterbox"
	"github.com/nniescope/nniescope/shared/wire"
	"github.com/nniescope/nniescope/shared/yolo"
)

// boardOutput is a vendor runtime's frame as one "board" result: its
// outputs as the NPU wrote them. They say nothing of their meaning, so the
// count decides the layout, as for v1 recordings (one: output0, two: the
// RPN's count and boxes, otherwise raw heads).
func boardOutput(f source.Frame, l letterbox.Geometry, start time.Time, names []string, outs []yolo.Raw) frame.Output {
	r := &wire.Result{Header: wire.Header{Seq: f.Seq, CaptureNs: f.Capture.UnixNano(), SentNs: time.Now().UnixNano(), Source: f.Name}, Variant: "board",
		Layout:   wire.LayoutForCount(len(outs)),
		InferUs:  uint32(time.Since(start).Microseconds()),
		Geometry: l}
	for i, o := range outs {
		r.Tensors = append(r.Tensors, wire.Tensor{Name: names[i], Raw: o})
	}
	return frame.Output{Msgs: [][]byte{wire.AppendResult(nil, r)}}
}
