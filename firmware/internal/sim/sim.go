// Package sim is the board binary's simulated NPU: the float engine, with
// the quantization simulator per variant, producing what a board would
// stream — output tensors as raw bytes with padded rows, plus the boxes the
// RPN layer would give — as wire messages.
package sim

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image/jpeg"
	"time"

	"github.com/nniescope/nniescope/firmware/internal/frame"
	"github.com/nniescope/nniescope/firmware/internal/source"
	"github.com/nniescope/nniescope/internal/modelflags"
	"github.com/nniescope/nniescope/shared/detect"
	"github.com/nniescope/nniescope/shared/engine"
	"github.com/nniescope/nniescope/shared/names"
	"github.com/nniescope/nniescope/shared/onnx"
	"github.com/nniescope/nniescope/shared/preprocess"
	"github.com/nniescope/nniescope/shared/quant"
	"github.com/nniescope/nniescope/shared/tensor"
	"github.com/nniescope/nniescope/shared/wire"
	"github.com/nniescope/nniescope/shared/yolo"
)

// VariantSpec names a variant: Calib empty means float.
type VariantSpec struct {
	Name  string
	Calib string
}

// TensorInfo describes a streamed tensor (GET /api/info).
type TensorInfo struct {
	Name      string `json:"name"`
	Type      string `json:"type"`
	Shape     []int  `json:"shape"`
	RowStride int    `json:"row_stride"`
}

type variant struct {
	name     string
	det      *detect.Detector
	hooks    *engine.Hooks
	coverage string   // of its calibration file; "" for float
	rows     [][]byte // per output, the F16 rows of the last frame (reused: the message copies them)
}

// Engine runs every variant on each frame.
type Engine struct {
	model    string
	variants []*variant
	outNames []string
	order    []int // outputs in stream order (streamOrder)
	names    []string
	inW, inH int
	params   yolo.Params
	tail     engine.Tail
	preview  bytes.Buffer // the last frame's JPEG (reused: the message copies it)
}

// Tail is the post-process tail New cut off the model (no nodes: none).
func (e *Engine) Tail() engine.Tail { return e.tail }

// RowAlign is the NPU's row alignment: every streamed row is padded to it.
const RowAlign = 16

// Options configure New.
type Options struct {
	Placement quant.Placement
	Threads   int // 0: all cores
	// TailOps widen what counts as the vendor's post-process tail
	// (engine.TailOps); the engine stops before the tail.
	TailOps []string
	// AllowMissing simulates calibration files that lack records for some
	// conv/matmul layers (quant.Options.AllowMissing); Warn, when set,
	// hears which variants that leaves partly float.
	AllowMissing bool
	Warn         func(string)
	// InputSize is the WxH a dynamic-shape export runs at (--imgsz);
	// "" for a static model.
	InputSize string
	// Anchors are a YOLOv5's without its decode (--anchors); "" reads
	// them from the model.
	Anchors string
	// Names is a class names file (--names), overriding the model's.
	Names string
}

// New loads the model once per variant (each has its own session). A
// post-process tail (the vendor RPN patch) is cut off: Tail says which.
func New(modelPath string, specs []VariantSpec, o Options) (*Engine, error) {
	if len(specs) == 0 {
		specs = []VariantSpec{{Name: "float"}}
	}
	full, err := onnx.Load(modelPath)
	if err != nil {
		return nil, err
	}
	if full, err = (modelflags.Flags{ImgSize: o.InputSize, Anchors: o.Anchors, Names: o.Names}).Apply(full); err != nil {
		return nil, err
	}
	m, tail, err := engine.CutTail(full, engine.TailOps(o.TailOps))
	if err != nil {
		return nil, err
	}
	placement, threads := o.Placement, o.Threads
	e := &Engine{model: modelPath, params: yolo.DefaultParams(), tail: tail}
	for _, sp := range specs {
		v := &variant{name: sp.Name}
		var prog *engine.Program
		if sp.Calib == "" {
			if prog, err = engine.Compile(m, engine.Options{Threads: threads, ReleaseWeights: true}); err != nil {
				return nil, err
			}
		} else {
			if prog, err = v.simulate(m, sp, quant.Options{Placement: placement, Threads: threads, AllowMissing: o.AllowMissing}, o.Warn); err != nil {
				return nil, err
			}
		}
		if v.det, err = detect.New(prog); err != nil {
			return nil, err
		}
		e.inW, e.inH = v.det.InputSize()
		if e.outNames == nil {
			for _, o := range prog.Outputs() {
				e.outNames = append(e.outNames, o.Name)
			}
			e.order = streamOrder(v.det)
		}
		e.variants = append(e.variants, v)
	}
	if e.names, err = names.FromMetadata(full.Metadata); err != nil {
		return nil, fmt.Errorf("%s: %w", modelPath, err)
	}
	if err = names.Check(e.names, e.Classes()); err != nil {
		return nil, fmt.Errorf("%s: %w", modelPath, err)
	}
	return e, nil
}

// Close releases the sessions.
func (e *Engine) Close() {
	for _, v := range e.variants {
		v.det.Close()
	}
}

// Model is the model path.
func (e *Engine) Model() string { return e.model }

// Input is the model input size.
func (e *Engine) Input() (w, h int) { return e.inW, e.inH }

// Classes is the model's class count (80 when the outputs do not say).
func (e *Engine) Classes() int {
	if n, err := detect.Classes(e.variants[0].det.Program()); err == nil {
		return n
	}
	return 80
}

// Names are the model's class names (its metadata or --names), nil when
// it has none; New has checked them against the class count.
func (e *Engine) Names() []string { return e.names }

// Variants lists the variant names.
func (e *Engine) Variants() []string {
	var ns []string
	for _, v := range e.variants {
		ns = append(ns, v.name)
	}
	return ns
}

// Coverage is the calibration coverage of variant name (quant.Report's),
// "" for float.
func (e *Engine) Coverage(name string) string {
	for _, v := range e.variants {
		if v.name == name {
			return v.coverage
		}
	}
	return ""
}

// Tensors describes the streamed tensors.
func (e *Engine) Tensors() []TensorInfo {
	var ts []TensorInfo
	det := e.variants[0].det
	outs := det.Program().Outputs()
	for _, i := range e.order {
		shape := streamShape(outs[i].Shape)
		ts = append(ts, TensorInfo{Name: outs[i].Name, Type: "F16", Shape: shape, RowStride: rowStride(shape[len(shape)-1])})
	}
	if a := det.Anchors(); a != nil {
		ts = append(ts, TensorInfo{Name: AnchorsTensor, Type: "F32", Shape: a.Raw().Shape, RowStride: 8})
	}
	return ts
}

// AnchorsTensor names the tensor that follows a YOLOv5's raw levels in a
// result (yolo.AnchorLevels): the anchors, so the stream decodes alone.
const AnchorsTensor = "anchors"

// streamOrder is the order outputs are streamed in: a YOLOv5's levels by
// stride, as the decode request takes them; otherwise the program's.
func streamOrder(d *detect.Detector) []int {
	if d.Layout() == yolo.AnchorLevels {
		return d.Levels()
	}
	var ix []int
	for i := range d.Program().Outputs() {
		ix = append(ix, i)
	}
	return ix
}

// streamShape is a shape as a stream tensor has it: rank ≤ 4, so a
// train-mode YOLOv5 level [1, A, H, W, K] goes as [A, H, W, K].
func streamShape(s []int) []int {
	if len(s) == 5 && s[0] == 1 {
		return s[1:]
	}
	return s
}

func rowStride(cols int) int { return (cols*2 + RowAlign - 1) &^ (RowAlign - 1) }

// Process runs one frame through every variant (one frame at a time: it
// reuses buffers between frames) and returns the wire
// messages (the frame's JPEG, then one result per variant) and each
// variant's detections. Every error is this frame's: the engine goes on.
func (e *Engine) Process(ctx context.Context, f source.Frame) (frame.Output, error) {
	jb := &e.preview
	jb.Reset()
	pic := f.Image
	if sp, ok := pic.(*preprocess.SemiPlanar); ok {
		pic = sp.YCbCr() // what a JPEG holds: no RGB round trip
	}
	if err := jpeg.Encode(jb, pic, &jpeg.Options{Quality: 80}); err != nil {
		b := f.Image.Bounds()
		return frame.Output{}, fmt.Errorf("%dx%d picture: preview: %w", b.Dx(), b.Dy(), err)
	}
	h := wire.Header{Seq: f.Seq, CaptureNs: f.Capture.UnixNano(), Source: f.Name}
	h.SentNs = time.Now().UnixNano()
	out := frame.Output{Dets: make(map[string][]yolo.Detection, len(e.variants))}
	out.Msgs = append(out.Msgs, wire.AppendImage(nil, &wire.Image{Header: h, MIME: "image/jpeg", Data: jb.Bytes()}))
	for _, v := range e.variants {
		start := time.Now()
		res, err := v.det.Image(ctx, f.Image, e.params, v.hooks)
		if err != nil {
			return frame.Output{}, fmt.Errorf("variant %s: %w", v.name, err)
		}
		out.Dets[v.name] = append([]yolo.Detection(nil), res.Detections...)
		r := &wire.Result{Variant: v.name, InferUs: uint32(time.Since(start).Microseconds()), Boxes: res.Detections, Layout: v.det.Layout()}
		r.Geometry = res.Geometry
		outs := v.det.Outputs()
		if len(v.rows) != len(outs) {
			v.rows = make([][]byte, len(outs))
		}
		for _, i := range e.order {
			raw := toF16Rows(outs[i], v.rows[i])
			v.rows[i] = raw.Data
			r.Tensors = append(r.Tensors, wire.Tensor{Name: e.outNames[i], Raw: raw})
		}
		if a := v.det.Anchors(); a != nil {
			r.Tensors = append(r.Tensors, wire.Tensor{Name: AnchorsTensor, Raw: a.Raw()})
		}
		r.Header = h
		r.SentNs = time.Now().UnixNano()
		out.Msgs = append(out.Msgs, wire.AppendResult(nil, r))
	}
	return out, nil
}

// toF16Rows encodes a float tensor as the NPU's F16 output: binary16 values,
// each innermost row padded to RowAlign bytes. It writes into buf when
// that is large enough.
func toF16Rows(t *tensor.Tensor, buf []byte) yolo.Raw {
	cols := t.Shape[len(t.Shape)-1]
	rows := t.Len() / cols
	stride := rowStride(cols)
	if cap(buf) < rows*stride {
		buf = make([]byte, rows*stride)
	}
	data := buf[:rows*stride]
	clear(data) // the padding
	for r := range rows {
		for c := range cols {
			binary.LittleEndian.PutUint16(data[r*stride+2*c:], tensor.Float32ToFloat16(t.F[r*cols+c]))
		}
	}
	return yolo.Raw{Type: yolo.RawF16, Shape: append([]int(nil), streamShape(t.Shape)...), RowStride: stride, Scale: 1, Data: data}
}

// simulate builds a variant from its calibration file, of either chip
// generation (ATC's calibration_param.txt or an NNIE calibration): the
// simulation, its hooks and coverage; an ATC file with missing records is
// refused naming the flag, or simulated with the gap said through warn.
func (v *variant) simulate(m *onnx.Model, sp VariantSpec, o quant.Options, warn func(string)) (*engine.Program, error) {
	c, err := quant.Open(sp.Calib)
	if err != nil {
		return nil, err
	}
	s, err := c.Simulate(m, o)
	if errors.Is(err, quant.ErrMissingRecords) {
		return nil, fmt.Errorf("variant %s: %w (--allow-missing-records)", sp.Name, err)
	}
	if err != nil {
		return nil, fmt.Errorf("variant %s: %w", sp.Name, err)
	}
	sum := s.Summary()
	v.coverage = sum.Coverage
	if warn != nil {
		for _, w := range sum.Warnings {
			warn(fmt.Sprintf("variant %s: %s", sp.Name, w))
		}
	}
	v.hooks = s.Hooks()
	return s.Program(), nil
}
