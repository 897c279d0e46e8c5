// Package wire is the stream format between the board and its clients
// (browser, recorder, nniescope replay): binary, little-endian, one message
// per WebSocket frame or per record. docs/WIRE.md is the specification.
// Writers write v2 (frame id, place in the frame, the frame's source,
// explicit head layout); readers read v1 and v2.
package wire

import (
	"errors"
	"math"
	"strconv"

	"github.com/nniescope/nniescope/shared/internal/errfmt"
	"github.com/nniescope/nniescope/shared/internal/le"
	"github.com/nniescope/nniescope/shared/letterbox"
	"github.com/nniescope/nniescope/shared/yolo"
)

// Version is the format version written into every message; readers also
// read version 1 (recordings made before v2).
const Version = 2

// Kind is the message type.
type Kind uint16

// String names the kind, and says what an unknown value is (error
// messages print it).
func (k Kind) String() string {
	switch k {
	case KindResult:
		return "result"
	case KindImage:
		return "image"
	case KindError:
		return "error"
	}
	return "unknown kind " + strconv.FormatUint(uint64(k), 10)
}

const (
	KindResult Kind = 1 // one variant's tensors and boxes for a frame
	KindImage  Kind = 2 // the frame's picture (JPEG), for display
	KindError  Kind = 3 // a frame the board could not process, or an engine that stopped
)

// Error is a KindError message: what went wrong with a frame (Fatal
// false: the stream goes on with the next) or with the engine (Fatal:
// no more frames; the board still serves).
// The header's Source names the frame ("" for the engine). Errors exist
// from v2 on.
type Error struct {
	Header
	Fatal bool
	Text  string
}

// AppendError appends the encoding of e to b (always v2).
func AppendError(b []byte, e *Error) []byte {
	h := e.Header
	h.Kind, h.Version = KindError, Version
	b = appendHeader(b, h)
	fatal := byte(0)
	if e.Fatal {
		fatal = 1
	}
	b = append(b, fatal)
	return appendString(b, e.Text)
}

// DecodeError parses a KindError message.
func DecodeError(b []byte) (*Error, error) {
	r := &reader{b: b}
	h, err := r.header()
	if err != nil {
		return nil, err
	}
	if h.Kind != KindError || h.Version < 2 {
		return nil, errfmt.Errorf("%w: message kind %v (version %d) is not an error", ErrFormat, h.Kind, h.Version)
	}
	e := &Error{Header: h}
	switch r.u8("fatal flag") {
	case 0:
	case 1:
		e.Fatal = true
	default:
		if r.err == nil {
			return nil, errfmt.Errorf("%w: fatal flag at offset %d is neither 0 nor 1", ErrFormat, r.off-1)
		}
	}
	e.Text = r.str("error text")
	if r.err != nil {
		return nil, r.err
	}
	if r.off != len(b) {
		return nil, errfmt.Errorf("%w: %d trailing bytes after the error", ErrFormat, len(b)-r.off)
	}
	return e, nil
}

var magic = [4]byte{'N', 'S', 'W', '1'}

// ErrFormat marks bytes that are not a valid message.
var ErrFormat = errors.New("wire: malformed message")

// Header starts every message.
type Header struct {
	// Version is the version read (1 or 2); 0 when writing means Version.
	Version   uint16
	Kind      Kind
	Seq       uint64 // frame id, shared by a frame's messages, never going back
	CaptureNs int64  // when the frame was captured (Unix ns)
	SentNs    int64  // when the message left the board (Unix ns)
	// From v2 on (zero in v1): this message's place in its frame and the
	// frame's message count, so a client knows a frame is complete; how
	// many times a replayed recording has wrapped; the frame's source
	// (file name, "upload", "synthetic:12"), which identifies the image.
	Index, Count uint16
	Loop         uint32
	Source       string
}

// v2Fixed is the size of a v2 header before its source string.
const v2Fixed = 40

// Tensor is a raw output tensor as the NPU wrote it.
type Tensor struct {
	Name string
	Raw  yolo.Raw
}

// Result is one variant's output for one frame.
type Result struct {
	Header
	letterbox.Geometry // the frame's picture and its letterbox into the input
	Variant            string
	InferUs            uint32 // inference time of this variant
	// Layout says what the tensors are. v2 carries it; for v1 messages it
	// is inferred from the tensor count (1: output0, 2: RPN, else heads).
	Layout  yolo.Layout
	Tensors []Tensor
	Boxes   []yolo.Detection // RPN (board) or host-equivalent boxes, source pixels
}

// Request is the decode request of a result: its tensors as streamed, its
// layout and geometry, with the receiver's thresholds. The one adapter from
// the wire to the post-process (module, replay, board tests).
func (r *Result) Request(p yolo.Params) *yolo.Request {
	req := &yolo.Request{Layout: r.Layout, Params: p, Geometry: r.Geometry}
	for _, t := range r.Tensors {
		req.Tensors = append(req.Tensors, t.Raw)
	}
	return req
}

// LayoutForCount is the guess from a tensor count alone (1: output0, 2:
// RPN, otherwise heads): what v1 readers did, and what an engine that
// cannot know its outputs' meaning (an .om) says.
func LayoutForCount(n int) yolo.Layout {
	switch n {
	case 1:
		return yolo.Output0
	case 2:
		return yolo.RPN
	}
	return yolo.Heads
}

// Image is a frame's picture.
type Image struct {
	Header
	MIME string
	Data []byte
}

// appendHeader writes h in its version (v1 drops the v2 fields: the
// round trip of an old recording).
func appendHeader(b []byte, h Header) []byte {
	v := h.Version
	if v == 0 {
		v = Version
	}
	b = append(b, magic[:]...)
	b = le.AppendUint16(b, v)
	b = le.AppendUint16(b, uint16(h.Kind))
	b = le.AppendUint64(b, h.Seq)
	b = le.AppendUint64(b, uint64(h.CaptureNs))
	b = le.AppendUint64(b, uint64(h.SentNs))
	if v == 1 {
		return b
	}
	b = le.AppendUint16(b, h.Index)
	b = le.AppendUint16(b, h.Count)
	b = le.AppendUint32(b, h.Loop)
	return appendString(b, h.Source)
}

// appendString writes a u16 length and the bytes, cut to 65535 bytes.
func appendString(b []byte, s string) []byte {
	n := min(len(s), math.MaxUint16)
	b = le.AppendUint16(b, uint16(n))
	return append(b, s[:n]...)
}

func appendF32(b []byte, v float32) []byte {
	return le.AppendUint32(b, math.Float32bits(v))
}

// AppendResult appends the encoding of r to b.
func AppendResult(b []byte, r *Result) []byte {
	h := r.Header
	h.Kind = KindResult
	b = appendHeader(b, h)
	for _, v := range []int{r.SrcW, r.SrcH, r.DstW, r.DstH} {
		b = le.AppendUint32(b, uint32(v))
	}
	b = le.AppendUint64(b, math.Float64bits(r.Scale))
	b = appendF32(b, float32(r.PadLeft))
	b = appendF32(b, float32(r.PadTop))
	b = appendString(b, r.Variant)
	b = le.AppendUint32(b, r.InferUs)
	if h.Version != 1 {
		layout := r.Layout
		if layout == 0 {
			layout = LayoutForCount(len(r.Tensors))
		}
		b = append(b, byte(layout))
	}
	b = le.AppendUint16(b, uint16(len(r.Tensors)))
	for _, t := range r.Tensors {
		b = appendString(b, t.Name)
		b = append(b, byte(t.Raw.Type), byte(len(t.Raw.Shape)))
		for _, d := range t.Raw.Shape {
			b = le.AppendUint32(b, uint32(d))
		}
		b = le.AppendUint32(b, uint32(t.Raw.RowStride))
		b = appendF32(b, t.Raw.Scale)
		b = appendF32(b, t.Raw.Offset)
		b = le.AppendUint32(b, uint32(len(t.Raw.Data)))
		b = append(b, t.Raw.Data...)
	}
	b = le.AppendUint32(b, uint32(len(r.Boxes)))
	for _, d := range r.Boxes {
		for _, v := range d.Box {
			b = appendF32(b, v)
		}
		b = appendF32(b, d.Score)
		b = le.AppendUint32(b, uint32(d.ClassID))
	}
	return b
}

// AppendImage appends the encoding of im to b.
func AppendImage(b []byte, im *Image) []byte {
	h := im.Header
	h.Kind = KindImage
	b = appendHeader(b, h)
	b = appendString(b, im.MIME)
	b = le.AppendUint32(b, uint32(len(im.Data)))
	return append(b, im.Data...)
}

// reader walks a message with bounds checks; the first error sticks.
type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) take(n int, what string) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || r.off+n > len(r.b) {
		r.err = errfmt.Errorf("%w: %s needs %d bytes at offset %d, message has %d", ErrFormat, what, n, r.off, len(r.b))
		return nil
	}
	s := r.b[r.off : r.off+n]
	r.off += n
	return s
}

func (r *reader) u8(what string) uint8 {
	if s := r.take(1, what); s != nil {
		return s[0]
	}
	return 0
}

func (r *reader) u16(what string) uint16 {
	if s := r.take(2, what); s != nil {
		return le.Uint16(s)
	}
	return 0
}

func (r *reader) u32(what string) uint32 {
	if s := r.take(4, what); s != nil {
		return le.Uint32(s)
	}
	return 0
}

func (r *reader) u64(what string) uint64 {
	if s := r.take(8, what); s != nil {
		return le.Uint64(s)
	}
	return 0
}

func (r *reader) f32(what string) float32 { return math.Float32frombits(r.u32(what)) }

func (r *reader) str(what string) string { return string(r.take(int(r.u16(what)), what)) }

// StampSent overwrites a message's send time in place: the server stamps
// each message as it queues it, so the field measures the path to the
// client, not the inference before it.
func StampSent(msg []byte, unixNs int64) {
	if len(msg) >= 32 {
		le.PutUint64(msg[24:], uint64(unixNs))
	}
}

// SetSeq rewrites a message's frame sequence number in place (a replay
// that loops renumbers its frames so that the sequence never goes back).
func SetSeq(msg []byte, seq uint64) {
	if len(msg) >= 32 {
		le.PutUint64(msg[8:], seq)
	}
}

// PeekHeader reads the header of any message.
func PeekHeader(b []byte) (Header, error) {
	r := &reader{b: b}
	return r.header()
}

func (r *reader) header() (Header, error) {
	m := r.take(4, "magic")
	if r.err == nil && [4]byte(m) != magic {
		return Header{}, errfmt.Errorf("%w: magic %q, want %q", ErrFormat, string(m), string(magic[:]))
	}
	v := r.u16("version")
	if r.err == nil && v != 1 && v != Version {
		return Header{}, errfmt.Errorf("%w: version %d, this reader speaks 1 and %d", ErrFormat, v, Version)
	}
	h := Header{Version: v, Kind: Kind(r.u16("kind")), Seq: r.u64("seq"), CaptureNs: int64(r.u64("capture time")), SentNs: int64(r.u64("send time"))}
	if v >= 2 {
		h.Index, h.Count, h.Loop = r.u16("index in frame"), r.u16("messages in frame"), r.u32("loop count")
		h.Source = r.str("frame source")
		if r.err == nil && h.Count > 0 && h.Index >= h.Count {
			return Header{}, errfmt.Errorf("%w: message %d of a %d-message frame", ErrFormat, h.Index, h.Count)
		}
	}
	return h, r.err
}

// StampFrame writes a v2 message's place in its frame in place (the frame
// loop numbers a frame's messages once it has them all); v1 messages are
// left as they are.
func StampFrame(msg []byte, index, count uint16) {
	if len(msg) >= v2Fixed && le.Uint16(msg[4:]) >= 2 {
		le.PutUint16(msg[32:], index)
		le.PutUint16(msg[34:], count)
	}
}

// StampLoop writes a v2 message's loop count in place (replays).
func StampLoop(msg []byte, loop uint32) {
	if len(msg) >= v2Fixed && le.Uint16(msg[4:]) >= 2 {
		le.PutUint32(msg[36:], loop)
	}
}

// DecodeResult parses a KindResult message. Tensor data aliases b.
func DecodeResult(b []byte) (*Result, error) {
	r := &reader{b: b}
	h, err := r.header()
	if err != nil {
		return nil, err
	}
	if h.Kind != KindResult {
		return nil, errfmt.Errorf("%w: message kind %v is not a result", ErrFormat, h.Kind)
	}
	res := &Result{Header: h}
	srcW, srcH, dstW, dstH := r.u32("source width"), r.u32("source height"), r.u32("input width"), r.u32("input height")
	scale := math.Float64frombits(r.u64("letterbox scale"))
	padLeft, padTop := r.f32("pad left"), r.f32("pad top")
	if r.err == nil {
		g, err := letterbox.Decode(dstW, dstH, scale, padLeft, padTop, srcW, srcH)
		if err != nil {
			return nil, errfmt.Errorf("%w: %v", ErrFormat, err)
		}
		res.Geometry = g
	}
	res.Variant = r.str("variant")
	res.InferUs = r.u32("inference time")
	if h.Version >= 2 {
		res.Layout = yolo.Layout(r.u8("head layout"))
		if r.err == nil && (res.Layout < yolo.Output0 || res.Layout > yolo.AnchorLevels) {
			return nil, errfmt.Errorf("%w: head layout %d (want 1 output0, 2 heads, 3 RPN, 4 anchor-major, 5 anchor levels)", ErrFormat, res.Layout)
		}
	}
	n := int(r.u16("tensor count"))
	for i := 0; i < n && r.err == nil; i++ {
		t := Tensor{Name: r.str("tensor name")}
		t.Raw.Type = yolo.RawType(r.u8("tensor type"))
		rank := int(r.u8("tensor rank"))
		if r.err != nil {
			break
		}
		if rank < 1 || rank > 4 {
			return nil, errfmt.Errorf("%w: tensor %q rank %d", ErrFormat, t.Name, rank)
		}
		for range rank {
			t.Raw.Shape = append(t.Raw.Shape, int(r.u32("tensor dimension")))
		}
		t.Raw.RowStride = int(r.u32("row stride"))
		t.Raw.Scale, t.Raw.Offset = r.f32("scale"), r.f32("offset")
		t.Raw.Data = r.take(int(r.u32("tensor length")), "tensor data "+t.Name)
		res.Tensors = append(res.Tensors, t)
	}
	if h.Version < 2 {
		res.Layout = LayoutForCount(len(res.Tensors))
	}
	nb := int(r.u32("box count"))
	if r.err == nil && nb > (len(b)-r.off)/24 {
		return nil, errfmt.Errorf("%w: %d boxes do not fit the %d bytes left", ErrFormat, nb, len(b)-r.off)
	}
	for i := 0; i < nb && r.err == nil; i++ {
		var d yolo.Detection
		for k := range 4 {
			d.Box[k] = r.f32("box")
		}
		d.Score = r.f32("score")
		d.ClassID = int(r.u32("class"))
		res.Boxes = append(res.Boxes, d)
	}
	if r.err != nil {
		return nil, r.err
	}
	if r.off != len(b) {
		return nil, errfmt.Errorf("%w: %d trailing bytes", ErrFormat, len(b)-r.off)
	}
	return res, nil
}

// DecodeImage parses a KindImage message. Data aliases b.
func DecodeImage(b []byte) (*Image, error) {
	r := &reader{b: b}
	h, err := r.header()
	if err != nil {
		return nil, err
	}
	if h.Kind != KindImage {
		return nil, errfmt.Errorf("%w: message kind %v is not an image", ErrFormat, h.Kind)
	}
	im := &Image{Header: h, MIME: r.str("mime type")}
	im.Data = r.take(int(r.u32("image length")), "image data")
	if r.err != nil {
		return nil, r.err
	}
	if r.off != len(b) {
		return nil, errfmt.Errorf("%w: %d trailing bytes after the image", ErrFormat, len(b)-r.off)
	}
	return im, nil
}
