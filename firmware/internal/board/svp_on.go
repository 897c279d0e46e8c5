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
	"github.com/nniescope/nniescope/shared/letterbox"
	"github.com/nniescope/nniescope/shared/preprocess"
	"github.com/nniescope/nniescope/shared/yolo"
)

// svpBuilt reports that this binary links the vendor runtime.
const svpBuilt = true

// svpEngine runs an .om on the NPU: the frame letterboxed to the input
// size as planar RGB u8 (rows padded to the input's default stride, as an
// om compiled with an RGB888 planar AIPP input takes it) or, with yuv, a
// YUV420SP frame of the input's size as it is (an om compiled with a
// YUV420SP AIPP input: VPSS scales, the NPU converts); every output
// streamed as the NPU wrote it.
func svpEngine(omPath string, inW, inH int, yuv bool) (frame.Engine, func(), error) {
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
	if n := m.Inputs(); n != 1 {
		m.Close()
		rt.Close()
		return nil, nil, fmt.Errorf("%s: the model takes %d inputs (besides its task and work buffers); the board feeds it one image", omPath, n)
	}
	size, stride := m.InputLayout(0)
	if yuv {
		if inW <= 0 || inH <= 0 || inW%2 != 0 || inH%2 != 0 || stride < inW || size < inH*stride*3/2 {
			m.Close()
			rt.Close()
			return nil, nil, fmt.Errorf("--input %dx%d does not fit the model's YUV420SP input 0 (%d bytes, row stride %d): even sides, luma and chroma rows at the stride", inW, inH, size, stride)
		}
		e := &svpRun{m: m, w: inW, h: inH, stride: stride, yuv: true, in: make([]byte, size)}
		return e, func() { m.Close(); rt.Close() }, nil
	}
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
	yuv          bool // the om takes YUV420SP frames of w×h
	planar       []float32
	in           []byte
}

// Process letterboxes the frame into the input buffer, runs the model and
// streams its outputs as one "board" result. A failed run is fatal: the
// runtime is in an unknown state.
func (e *svpRun) Process(ctx context.Context, f source.Frame) (frame.Output, error) {
	if e.yuv {
		return e.processYUV(f)
	}
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
	return e.output(f, l, start, outs, err)
}

// processYUV feeds a YUV420SP frame of the input's size: a camera frame
// the NPU can read where it lies (f.Device) without a copy, as the
// vendor's samples do; another one (a raw NV12 file) copied into the
// model's buffer at its stride. The geometry is the identity: VPSS did
// the scaling, no letterbox.
func (e *svpRun) processYUV(f source.Frame) (frame.Output, error) {
	sp, ok := f.Image.(*preprocess.SemiPlanar)
	if !ok {
		return frame.Output{}, fmt.Errorf("--svp-input yuv420sp takes YUV420SP frames (--source vpss:G:C or nv12:FILE:WxH), not a %T picture", f.Image)
	}
	if sp.W != e.w || sp.H != e.h {
		return frame.Output{}, fmt.Errorf("the frame is %dx%d, the model's YUV420SP input %dx%d: set the VPSS channel (or the file's frames) to the input's size", sp.W, sp.H, e.w, e.h)
	}
	l, err := letterbox.Fit(e.w, e.h, e.w, e.h)
	if err != nil {
		return frame.Output{}, err
	}
	start := time.Now()
	var outs []yolo.Raw
	if d := f.Device; d != nil {
		outs, err = e.m.RunInPlace(d.Addr, d.Size, d.Stride)
	} else {
		for y := range e.h {
			copy(e.in[y*e.stride:y*e.stride+e.w], sp.Y[y*sp.StrideY:])
		}
		for y := range e.h / 2 {
			copy(e.in[(e.h+y)*e.stride:(e.h+y)*e.stride+e.w], sp.UV[y*sp.StrideUV:])
		}
		outs, err = e.m.Run([][]byte{e.in})
	}
	return e.output(f, l, start, outs, err)
}

// output streams a run's outputs as one "board" result; a failed run is
// fatal: the runtime is in an unknown state.
func (e *svpRun) output(f source.Frame, l letterbox.Geometry, start time.Time, outs []yolo.Raw, err error) (frame.Output, error) {
	if err != nil {
		return frame.Output{}, frame.Fatal(err)
	}
	names := make([]string, len(outs))
	for i := range outs {
		names[i] = e.m.Outputs[i].Name
	}
	return boardOutput(f, l, start, names, outs), nil
}
