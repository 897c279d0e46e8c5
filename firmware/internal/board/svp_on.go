//go:build svp

package board

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/nniescope/nniescope/firmware/internal/frame"
	"github.com/nniescope/nniescope/firmware/internal/source"
	"github.com/nniescope/nniescope/firmware/internal/svp"
	"github.com/nniescope/nniescope/shared/preprocess"
)

// svpBuilt reports that this binary links the vendor runtime.
const svpBuilt = true

// svpEngine runs an .om on the NPU: the frame letterboxed to the input
// size as planar RGB u8 (rows padded to the input's default stride, as an
// om compiled with an RGB888 planar AIPP input takes it), every output
// streamed as the NPU wrote it.
func svpEngine(omPath string, inW, inH int) (frame.Engine, func(), error) {
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
	e := &svpRun{m: m, w: inW, h: inH, stride: stride, planar: make([]float32, 3*inW*inH), in: make([]byte, size)}
	return e, func() { m.Close(); rt.Close() }, nil
}

type svpRun struct {
	m            *svp.Model
	w, h, stride int
	planar       []float32
	in           []byte
}

// Process letterboxes the frame into the input buffer, runs the model and
// streams its outputs as one "board" result. A failed run is fatal: the
// runtime is in an unknown state.
func (e *svpRun) Process(ctx context.Context, f source.Frame) (frame.Output, error) {
	l, err := preprocess.Image(f.Image, e.w, e.h, e.planar)
	if err != nil {
		return frame.Output{}, err
	}
	for c := range 3 {
		for y := range e.h {
			for x := range e.w {
				e.in[(c*e.h+y)*e.stride+x] = byte(e.planar[(c*e.h+y)*e.w+x]*255 + 0.5)
			}
		}
	}
	start := time.Now()
	outs, err := e.m.Run([][]byte{e.in})
	if err != nil {
		return frame.Output{}, frame.Fatal(err)
	}
	names := make([]string, len(outs))
	for i := range outs {
		names[i] = e.m.Outputs[i].Name
	}
	return boardOutput(f, l, start, names, outs), nil
}
