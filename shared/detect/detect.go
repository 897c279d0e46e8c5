// Package detect is the host pipeline from an image to boxes: letterbox,
// engine, YOLOv8 decode, inverse letterbox. The CLI's run and eval and the
// firmware's sim engine share it.
package detect

import (
	"context"
	"fmt"
	"image"
	"sort"
	"strings"

	"github.com/nniescope/nniescope/shared/engine"
	"github.com/nniescope/nniescope/shared/letterbox"
	"github.com/nniescope/nniescope/shared/onnx"
	"github.com/nniescope/nniescope/shared/preprocess"
	"github.com/nniescope/nniescope/shared/tensor"
	"github.com/nniescope/nniescope/shared/yolo"
)

// Detector runs one program; not safe for concurrent use (one Session).
type Detector struct {
	prog   *engine.Program
	sess   *engine.Session
	layout yolo.Layout
	w, h   int
	input  *tensor.Tensor
	heads  []headRef
	// anchors are the YOLOv5 anchors of an AnchorLevels program, per
	// level in heads' order.
	anchors yolo.Anchors
	outs    []*tensor.Tensor
}

// Outputs are the raw model outputs of the last run (the session's
// buffers: valid until the next run).
func (d *Detector) Outputs() []*tensor.Tensor { return d.outs }

type headRef struct {
	stride   int
	reg, cls int // output indices (an anchor level: reg only)
}

// New inspects the program's input and outputs and prepares buffers.
func New(p *engine.Program) (*Detector, error) {
	lay, err := inspect(p)
	if err != nil {
		return nil, err
	}
	d := &Detector{prog: p, sess: p.NewSession(), layout: lay.layout, heads: lay.heads, anchors: lay.anchors, h: lay.h, w: lay.w}
	d.input = tensor.New(p.Inputs()[0].Shape...)
	return d, nil
}

// Classes is the number of classes the program's outputs score: what a
// dataset's labels are checked against. It needs no session.
func Classes(p *engine.Program) (int, error) {
	lay, err := inspect(p)
	if err != nil {
		return 0, err
	}
	outs := p.Outputs()
	switch lay.layout {
	case yolo.Output0:
		return outs[0].Shape[1] - 4, nil
	case yolo.AnchorMajor:
		return outs[0].Shape[2] - 5, nil
	case yolo.AnchorLevels:
		return lay.fields - 5, nil
	}
	return outs[lay.heads[0].cls].Shape[1], nil
}

type layout struct {
	layout  yolo.Layout
	heads   []headRef
	anchors yolo.Anchors
	fields  int // per anchor, of an AnchorLevels program: 5+nc
	w, h    int
}

func inspect(p *engine.Program) (layout, error) {
	ins := p.Inputs()
	if len(ins) != 1 || len(ins[0].Shape) != 4 || ins[0].Shape[0] != 1 || ins[0].Shape[1] != 3 {
		return layout{}, fmt.Errorf("detect: %s: want one input [1,3,H,W], have %v", p.Model().Source, ins)
	}
	l := layout{h: ins[0].Shape[2], w: ins[0].Shape[3]}
	outs := p.Outputs()
	grid := gridCells(l.w, l.h)
	switch {
	case len(outs) == 1 && singleLayout(outs[0].Shape, grid) != 0:
		l.layout = singleLayout(outs[0].Shape, grid) // cheap: a shape compare
	case levelGrids(outs, l.w, l.h):
		if err := l.anchorLevels(p); err != nil {
			return layout{}, fmt.Errorf("detect: %s: %w", p.Model().Source, err)
		}
	case len(outs) >= 2 && len(outs)%2 == 0:
		heads, err := matchHeads(outs, l.h)
		if err != nil {
			return layout{}, fmt.Errorf("detect: %s: %w", p.Model().Source, err)
		}
		l.layout, l.heads = yolo.Heads, heads
	default:
		return layout{}, fmt.Errorf("detect: %s: outputs %s are none of output0 [1,4+nc,%d] (YOLOv8, YOLO11), [1,%d,5+nc] (YOLOv5), raw reg/cls heads, YOLOv5 levels [1,A·(5+nc),H,W]", p.Model().Source, describe(outs), grid, 3*grid)
	}
	return l, nil
}

// singleLayout tells a single output's layout from its shape and the
// input's grid cells (0: neither). YOLOv8/YOLO11's [1, 4+nc, A] has one
// anchor per cell, YOLOv5's [1, A, 5+nc] three, which tells them apart at
// any class count (at 64x64 with 80 classes both dims of YOLOv8's are 84).
func singleLayout(s []int, grid int) yolo.Layout {
	switch {
	case len(s) != 3 || s[0] != 1:
	case s[2] == grid && s[1] > 4:
		return yolo.Output0
	case s[1] == 3*grid && s[2] > 5:
		return yolo.AnchorMajor
	}
	return 0
}

// gridCells is the number of cells over strides 8, 16 and 32 of a w×h
// input (each stride-2 stage rounds up, as a padded 3x3 convolution does).
func gridCells(w, h int) int {
	n := 0
	for s := 8; s <= 32; s *= 2 {
		n += ((w + s - 1) / s) * ((h + s - 1) / s)
	}
	return n
}

// matchHeads pairs 64-channel box branches with class branches of the same
// grid; the stride is input height over grid height.
func matchHeads(outs []onnx.ValueInfo, inputH int) ([]headRef, error) {
	byGrid := map[[2]int]*headRef{}
	for i, o := range outs {
		if len(o.Shape) != 4 {
			return nil, fmt.Errorf("output %q has shape %v, want [1,C,H,W]", o.Name, o.Shape)
		}
		key := [2]int{o.Shape[2], o.Shape[3]}
		h := byGrid[key]
		if h == nil {
			h = &headRef{stride: inputH / o.Shape[2], reg: -1, cls: -1}
			byGrid[key] = h
		}
		isReg := o.Shape[1] == 4*yolo.RegMax && !strings.Contains(strings.ToLower(o.Name), "cls")
		if isReg && h.reg < 0 {
			h.reg = i
		} else {
			h.cls = i
		}
	}
	var heads []headRef
	for _, h := range byGrid {
		if h.reg < 0 || h.cls < 0 {
			return nil, fmt.Errorf("outputs %v: a grid lacks its reg (64 ch) or cls branch", outs)
		}
		heads = append(heads, *h)
	}
	sort.Slice(heads, func(i, j int) bool { return heads[i].stride < heads[j].stride })
	return heads, nil
}

// Close releases the detector's session (its worker goroutines).
func (d *Detector) Close() { d.sess.Close() }

// Layout says how the program's outputs encode detections (the same
// values the wire and the module use).
func (d *Detector) Layout() yolo.Layout { return d.layout }

// Anchors are the anchors of a YOLOv5 program without its decode (layout
// yolo.AnchorLevels; nil otherwise), per level, strides ascending.
func (d *Detector) Anchors() yolo.Anchors { return d.anchors }

// Levels are the output indices of an AnchorLevels program, strides
// ascending: the order of Anchors, and of the tensors a decode request
// takes before the anchors.
func (d *Detector) Levels() []int {
	var ix []int
	for _, h := range d.heads {
		ix = append(ix, h.reg)
	}
	return ix
}

// InputSize is the model's input width and height.
func (d *Detector) InputSize() (w, h int) { return d.w, d.h }

// Program is the program the detector runs.
func (d *Detector) Program() *engine.Program { return d.prog }

// Result is one image's detections in source-image pixels.
type Result struct {
	Detections []yolo.Detection
	Geometry   letterbox.Geometry
}

// Image letterboxes img, runs the model and decodes.
func (d *Detector) Image(ctx context.Context, img image.Image, p yolo.Params, hooks *engine.Hooks) (Result, error) {
	l, err := preprocess.Image(img, d.w, d.h, d.input.F)
	if err != nil {
		return Result{}, err
	}
	return d.run(ctx, l, p, hooks)
}

// Tensor runs an already pre-processed input (e.g. a golden) with the
// given letterbox geometry.
func (d *Detector) Tensor(ctx context.Context, in []float32, l letterbox.Geometry, p yolo.Params, hooks *engine.Hooks) (Result, error) {
	if len(in) != len(d.input.F) {
		return Result{}, fmt.Errorf("detect: input holds %d values, want %d", len(in), len(d.input.F))
	}
	copy(d.input.F, in)
	return d.run(ctx, l, p, hooks)
}

func (d *Detector) run(ctx context.Context, l letterbox.Geometry, p yolo.Params, hooks *engine.Hooks) (Result, error) {
	outs, err := d.sess.Run(ctx, []*tensor.Tensor{d.input}, hooks)
	if err != nil {
		return Result{}, err
	}
	d.outs = outs
	dets, err := Decode(d, outs, p)
	if err != nil {
		return Result{}, err
	}
	yolo.MapBack(dets, l)
	return Result{Detections: dets, Geometry: l}, nil
}

// Decode turns this detector's raw outputs into boxes in input pixels.
func Decode(d *Detector, outs []*tensor.Tensor, p yolo.Params) ([]yolo.Detection, error) {
	switch d.layout {
	case yolo.Output0:
		return yolo.DecodeOutput0(outs[0], p)
	case yolo.AnchorMajor:
		return yolo.DecodeAnchorMajor(outs[0], p)
	case yolo.AnchorLevels:
		levels := make([]yolo.AnchorLevel, len(d.heads))
		for i, h := range d.heads {
			levels[i] = yolo.AnchorLevel{Stride: h.stride, Out: outs[h.reg], Anchors: d.anchors[i]}
		}
		return yolo.DecodeAnchorLevels(levels, p)
	}
	levels := make([]yolo.Level, len(d.heads))
	for i, h := range d.heads {
		levels[i] = yolo.Level{Stride: h.stride, Reg: outs[h.reg], Cls: outs[h.cls]}
	}
	return yolo.DecodeHeads(levels, p)
}
