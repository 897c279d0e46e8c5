//go:build svp

package board

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/nniescope/nniescope/firmware/internal/server"
	"github.com/nniescope/nniescope/firmware/internal/source"
	"github.com/nniescope/nniescope/firmware/internal/svp"
	"github.com/nniescope/nniescope/shared/preprocess"
	"github.com/nniescope/nniescope/shared/wire"
)

// svpBuilt reports that this binary links the vendor runtime.
const svpBuilt = true

// svpEngine runs an .om on the NPU: the frame letterboxed to the input
// size as planar RGB u8 (rows padded to the input's default stride, as an
// om compiled with an RGB888 planar AIPP input takes it), every output
// streamed as the NPU wrote it.
func svpEngine(omPath string, inW, inH int) (func(ctx context.Context, frames source.Source, s *server.Server, rec *recorder, fps float64) error, func(), error) {
	if omPath == "" {
		return nil, nil, fmt.Errorf("--engine svp needs --om")
	}
	om, err := os.ReadFile(omPath)
	if err != nil {
		return nil, nil, err
	}
	rt, err := svp.Open(0)
	if err != nil {
		return nil, nil, err
	}
	m, err := rt.Load(om)
	if err != nil {
		rt.Close()
		return nil, nil, fmt.Errorf("%s: %w", omPath, err)
	}
	size, stride := m.InputLayout(0)
	if inW <= 0 || inH <= 0 || stride < inW || size < 3*inH*stride {
		m.Close()
		rt.Close()
		return nil, nil, fmt.Errorf("--input %dx%d does not fit the model's input 0 (%d bytes, row stride %d)", inW, inH, size, stride)
	}
	closeFn := func() { m.Close(); rt.Close() }
	loop := func(ctx context.Context, frames source.Source, s *server.Server, rec *recorder, fps float64) error {
		planar := make([]float32, 3*inW*inH)
		in := make([]byte, size)
		for {
			f, err := frames.Next(ctx)
			if err != nil {
				return err
			}
			l, err := preprocess.Image(f.Image, inW, inH, planar)
			if err != nil {
				return err
			}
			for c := range 3 {
				for y := range inH {
					for x := range inW {
						in[(c*inH+y)*stride+x] = byte(planar[(c*inH+y)*inW+x]*255 + 0.5)
					}
				}
			}
			start := time.Now()
			outs, err := m.Run([][]byte{in})
			if err != nil {
				return err
			}
			r := &wire.Result{Header: wire.Header{Seq: f.Seq, CaptureNs: f.Capture.UnixNano(), SentNs: time.Now().UnixNano()}, Variant: "board",
				InferUs:  uint32(time.Since(start).Microseconds()),
				Geometry: wire.Geometry{SrcW: uint32(l.SrcW), SrcH: uint32(l.SrcH), InW: uint32(inW), InH: uint32(inH), Scale: l.Scale, PadLeft: float32(l.PadLeft), PadTop: float32(l.PadTop)}}
			for i, o := range outs {
				r.Tensors = append(r.Tensors, wire.Tensor{Name: m.Outputs[i].Name, Raw: o})
			}
			msgs := [][]byte{wire.AppendResult(nil, r)}
			s.Broadcast(msgs)
			if err := rec.write(msgs); err != nil {
				return err
			}
		}
	}
	return loop, closeFn, nil
}
