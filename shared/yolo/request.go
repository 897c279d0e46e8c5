package yolo

import (
	"math"
	"strconv"

	"github.com/nniescope/nniescope/shared/internal/errfmt"
	"github.com/nniescope/nniescope/shared/internal/le"
	"github.com/nniescope/nniescope/shared/letterbox"
)

// Request is one decode job in the byte layout shared by the native API,
// the WASM module and the browser (docs/POSTPROCESS.md): a fixed header,
// then the tensors as the board emitted them.
type Request struct {
	Layout Layout
	Params Params
	// Geometry is the frame's letterbox: DstW×DstH is the model input
	// (the strides of raw heads follow from it); Scale 0 leaves boxes in
	// input pixels.
	Geometry letterbox.Geometry
	Tensors  []Raw
}

// Layout is what the tensors of a request are.
type Layout uint32

const (
	Output0 Layout = iota + 1 // one [1, 4+nc, A] tensor
	Heads                     // reg, cls per stride (6 tensors, strides ascending)
	RPN                       // count, then the field-major box tensor
	// AnchorMajor is one [1, A, 5+nc] tensor (YOLOv5): per anchor cx, cy,
	// w, h in input pixels, objectness, class scores.
	AnchorMajor
	// AnchorLevels is a YOLOv5 head without its decode: one raw tensor per
	// level (strides ascending; [1, A·(5+nc), H, W] or [A, H, W, 5+nc]),
	// then the anchors (Anchors.Raw: F32 [levels, A, 2], input pixels).
	AnchorLevels
)

const (
	requestMagic   = 0x5050534e // "NSPP"
	requestVersion = 1
	headerSize     = 4 * 17
	tensorHeader   = 4 * 11
)

// Encode serialises a request.
func (r *Request) Encode() []byte {
	b := make([]byte, 0, headerSize+len(r.Tensors)*tensorHeader)
	u32 := func(v uint32) { b = le.AppendUint32(b, v) }
	f32 := func(v float32) { u32(math.Float32bits(v)) }
	u32(requestMagic)
	u32(requestVersion)
	u32(uint32(r.Layout))
	u32(uint32(len(r.Tensors)))
	f32(r.Params.ScoreThreshold)
	f32(r.Params.NMSThreshold)
	f32(r.Params.MinWidth)
	f32(r.Params.MinHeight)
	u32(uint32(r.Params.MaxDetections))
	g := r.Geometry
	u32(uint32(g.DstW))
	u32(uint32(g.DstH))
	b = le.AppendUint64(b, math.Float64bits(g.Scale))
	f32(float32(g.PadLeft))
	f32(float32(g.PadTop))
	u32(uint32(g.SrcW))
	u32(uint32(g.SrcH))
	for _, t := range r.Tensors {
		u32(uint32(t.Type))
		u32(uint32(len(t.Shape)))
		for i := range 4 {
			d := 0
			if i < len(t.Shape) {
				d = t.Shape[i]
			}
			u32(uint32(d))
		}
		u32(uint32(t.RowStride))
		f32(t.Scale)
		f32(t.Offset)
		u32(uint32(len(t.Data)))
		u32(0) // reserved
		b = append(b, t.Data...)
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
	}
	return b
}

// ParseRequest reads a serialised request; the tensors' Data alias buf.
func ParseRequest(buf []byte) (*Request, error) {
	if len(buf) < headerSize {
		return nil, errfmt.Errorf("%w: request of %d bytes is shorter than its %d-byte header", ErrTensor, len(buf), headerSize)
	}
	u32 := func(off int) uint32 { return le.Uint32(buf[off:]) }
	f32 := func(off int) float32 { return math.Float32frombits(u32(off)) }
	if u32(0) != requestMagic || u32(4) != requestVersion {
		return nil, errfmt.Errorf("%w: not a version-%d decode request (magic %#x, version %d)", ErrTensor, requestVersion, u32(0), u32(4))
	}
	r := &Request{Layout: Layout(u32(8))}
	n := int(u32(12))
	r.Params = Params{ScoreThreshold: f32(16), NMSThreshold: f32(20), MinWidth: f32(24), MinHeight: f32(28), MaxDetections: int(u32(32))}
	g, err := letterbox.Decode(u32(36), u32(40), math.Float64frombits(le.Uint64(buf[44:])), f32(52), f32(56), u32(60), u32(64))
	if err != nil {
		return nil, errfmt.Errorf("%w: %v", ErrTensor, err)
	}
	r.Geometry = g
	if n > 64 {
		return nil, errfmt.Errorf("%w: %d tensors", ErrTensor, n)
	}
	off := headerSize
	for i := range n {
		if off+tensorHeader > len(buf) {
			return nil, errfmt.Errorf("%w: tensor %d header is cut off at byte %d", ErrTensor, i, len(buf))
		}
		t := Raw{Type: RawType(u32(off)), RowStride: int(u32(off + 24)), Scale: f32(off + 28), Offset: f32(off + 32)}
		rank := int(u32(off + 4))
		if rank < 1 || rank > 4 {
			return nil, errfmt.Errorf("%w: tensor %d rank %d", ErrTensor, i, rank)
		}
		for d := range rank {
			t.Shape = append(t.Shape, int(u32(off+8+4*d)))
		}
		size := int(u32(off + 36))
		off += tensorHeader
		if size < 0 || off+size > len(buf) {
			return nil, errfmt.Errorf("%w: tensor %d claims %d bytes, %d remain", ErrTensor, i, size, len(buf)-off)
		}
		t.Data = buf[off : off+size]
		off += (size + 3) &^ 3
		r.Tensors = append(r.Tensors, t)
	}
	return r, nil
}

// Decode runs the request: dequantize, decode, NMS, map back.
func (r *Request) Decode() ([]Detection, error) {
	var dets []Detection
	switch r.Layout {
	case Output0, AnchorMajor:
		if len(r.Tensors) != 1 {
			return nil, errfmt.Errorf("%w: layout %d takes 1 tensor, got %d", ErrTensor, r.Layout, len(r.Tensors))
		}
		t, err := r.Tensors[0].Float()
		if err != nil {
			return nil, err
		}
		decode := DecodeOutput0
		if r.Layout == AnchorMajor {
			decode = DecodeAnchorMajor
		}
		if dets, err = decode(t, r.Params); err != nil {
			return nil, err
		}
	case Heads:
		if len(r.Tensors) == 0 || len(r.Tensors)%2 != 0 {
			return nil, errfmt.Errorf("%w: heads layout takes reg/cls pairs, got %d tensors", ErrTensor, len(r.Tensors))
		}
		var err error
		if dets, err = decodeRawHeads(r.Tensors, r.Geometry.DstH, nil, r.Params); err != nil {
			return nil, err
		}
	case AnchorLevels:
		n := len(r.Tensors)
		if n < 2 {
			return nil, errfmt.Errorf("%w: the anchor-levels layout takes the levels, then the anchors, got %d tensors", ErrTensor, n)
		}
		a := r.Tensors[n-1]
		if s := a.Shape; a.Type != RawF32 || len(s) != 3 || s[0] != n-1 || s[2] != 2 {
			return nil, errfmt.Errorf("%w: the anchors tensor must be F32 [%d levels, anchors, 2]", ErrTensor, n-1)
		}
		anchors, err := a.Float()
		if err != nil {
			return nil, err
		}
		if dets, err = decodeRawAnchorLevels(r.Tensors[:n-1], anchors.F, a.Shape[1], r.Geometry.DstH, nil, r.Params); err != nil {
			return nil, err
		}
	case RPN:
		if len(r.Tensors) != 2 {
			return nil, errfmt.Errorf("%w: RPN layout takes count and boxes, got %d tensors", ErrTensor, len(r.Tensors))
		}
		count, err := r.Tensors[0].Float()
		if err != nil {
			return nil, err
		}
		boxes, err := r.Tensors[1].Float()
		if err != nil {
			return nil, err
		}
		stride := boxes.Shape[len(boxes.Shape)-1]
		if dets, err = DecodeRPN(count.F, boxes.F, stride); err != nil {
			return nil, err
		}
		dets = Filter(dets, r.Params)
	default:
		return nil, errfmt.Errorf("%w: layout %d", ErrTensor, r.Layout)
	}
	MapBack(dets, r.Geometry)
	return dets, nil
}

// AppendJSON writes {"detections":[...]} with shortest float32 formatting:
// the same bytes natively, in wazero and in the browser.
func AppendJSON(b []byte, dets []Detection) []byte {
	b = append(b, `{"detections":[`...)
	for i, d := range dets {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"class_id":`...)
		b = strconv.AppendInt(b, int64(d.ClassID), 10)
		b = append(b, `,"score":`...)
		b = strconv.AppendFloat(b, float64(d.Score), 'g', -1, 32)
		b = append(b, `,"box":[`...)
		for k, v := range d.Box {
			if k > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendFloat(b, float64(v), 'g', -1, 32)
		}
		b = append(b, "]}"...)
	}
	return append(b, "]}"...)
}
