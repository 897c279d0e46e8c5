//go:build nnie

package board

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/nniescope/nniescope/firmware/internal/frame"
	"github.com/nniescope/nniescope/firmware/internal/nnie"
	"github.com/nniescope/nniescope/firmware/internal/source"
	"github.com/nniescope/nniescope/shared/preprocess"
)

// nnieBuilt reports that this binary links the NNIE runtime.
const nnieBuilt = true

// nnieTimeout bounds one forward: far above any detector's run time on
// these chips (tens of ms), so only a hung NNIE trips it.
const nnieTimeout = 2 * time.Second

// nnieEngine runs a .wk on the NNIE: the frame letterboxed to the input
// the model states, as planar U8 in the order the model was mapped with
// (nnie_mapper's RGB_order), rows padded to 16 bytes; every output
// streamed as the NNIE wrote it (S32 × 4096).
func nnieEngine(wkPath, order string) (frame.Engine, func(), error) {
	if wkPath == "" {
		return nil, nil, fmt.Errorf("--engine nnie needs --wk")
	}
	wk, err := os.ReadFile(wkPath)
	if err != nil {
		return nil, nil, err
	}
	m, err := nnie.Load(wk)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", wkPath, err)
	}
	in := m.Input
	if !in.U8 || in.C != 3 {
		m.Close()
		return nil, nil, fmt.Errorf("%s: input %q is %dx%dx%d %s: the board feeds 3-channel U8 images (a YVU420SP input needs the camera's frames, which are not wired yet)", wkPath, in.Name, in.W, in.H, in.C, map[bool]string{true: "YVU420SP", false: "U8"}[in.YUV420SP])
	}
	e := &nnieRun{m: m, bgr: order == "BGR", planar: make([]float32, 3*in.W*in.H), in: make([]byte, in.Size)}
	return e, m.Close, nil
}

type nnieRun struct {
	m      *nnie.Model
	bgr    bool
	planar []float32
	in     []byte
}

// Process letterboxes the frame into the input blob, runs the model and
// streams its outputs as one "board" result. A failed run is fatal: the
// NNIE is in an unknown state.
func (e *nnieRun) Process(ctx context.Context, f source.Frame) (frame.Output, error) {
	in := e.m.Input
	l, err := preprocess.Image(f.Image, in.W, in.H, e.planar)
	if err != nil {
		return frame.Output{}, err
	}
	for c := range 3 {
		src := c
		if e.bgr {
			src = 2 - c
		}
		for y := range in.H {
			for x := range in.W {
				e.in[(c*in.H+y)*in.Stride+x] = byte(e.planar[(src*in.H+y)*in.W+x]*255 + 0.5)
			}
		}
	}
	start := time.Now()
	outs, err := e.m.Run(e.in, nnieTimeout)
	if err != nil {
		return frame.Output{}, frame.Fatal(err)
	}
	names := make([]string, len(outs))
	for i := range outs {
		names[i] = e.m.Outputs[i].Name
	}
	return boardOutput(f, l, start, names, outs), nil
}
