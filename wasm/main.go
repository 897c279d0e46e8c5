//go:build wasip1

// Command wasm is the post-process module: the shared YOLOv8 decode
// (shared/yolo) built once as a wasip1 reactor (-buildmode=c-shared) that
// the browser and wazero both run. Buffer protocol (docs/POSTPROCESS.md):
//
//  1. ptr = nniescope_alloc(n): a buffer of n bytes inside the module;
//  2. the host writes a decode request (yolo.Request) there;
//  3. r = nniescope_decode(n): decodes; r packs the result (ptr << 32 | len),
//     JSON {"detections":[...]} or {"error":"...","code":N};
//  4. nniescope_status() gives the code: 0 ok, 1 bad request/tensor,
//     2 internal error (a recovered panic). The module never traps on input.
package main

import (
	"errors"
	"math"
	"strconv"
	"unsafe"

	"github.com/nniescope/nniescope/internal/jsonstr"
	"github.com/nniescope/nniescope/shared/metrics/boxdiff"
	"github.com/nniescope/nniescope/shared/metrics/headdiff"
	"github.com/nniescope/nniescope/shared/wire"
	"github.com/nniescope/nniescope/shared/yolo"
)

// The module's state is its linear memory: one request buffer and one
// result buffer, reused between calls, as the protocol requires.
var (
	in     []byte
	out    []byte
	status uint32
)

// abiVersion lets a host refuse a module whose buffer protocol it does not
// speak; bump it whenever an export's signature or memory layout changes.
//
//go:wasmexport nniescope_abi_version
func abiVersion() uint32 { return 1 }

//go:wasmexport nniescope_alloc
func alloc(n uint32) uint32 {
	if cap(in) < int(n) {
		in = make([]byte, n)
	}
	in = in[:n]
	if n == 0 {
		return 0
	}
	return uint32(uintptr(unsafe.Pointer(&in[0])))
}

//go:wasmexport nniescope_status
func lastStatus() uint32 { return status }

//go:wasmexport nniescope_decode
func decode(n uint32) (packed uint64) {
	defer func() {
		if r := recover(); r != nil {
			msg := "internal error"
			if e, ok := r.(error); ok {
				msg += ": " + e.Error()
			} else if s, ok := r.(string); ok {
				msg += ": " + s
			}
			fail(2, msg)
			packed = pack()
		}
	}()
	if int(n) > len(in) {
		fail(1, "request length "+strconv.FormatUint(uint64(n), 10)+" exceeds the allocated "+strconv.Itoa(len(in))+" bytes")
		return pack()
	}
	req, err := yolo.ParseRequest(in[:n])
	if err == nil {
		var dets []yolo.Detection
		if dets, err = req.Decode(); err == nil {
			status = 0
			out = yolo.AppendJSON(out[:0], dets)
			return pack()
		}
	}
	code := uint32(2)
	if errors.Is(err, yolo.ErrTensor) {
		code = 1
	}
	fail(code, err.Error())
	return pack()
}

// decodeWire decodes a stream message (docs/WIRE.md) as the board sent
// it. Request: f32 score, f32 NMS IoU, f32 min width, f32 min height,
// u32 max detections, then the message. Result: {"seq":N,"variant":"...",
// "src":[w,h],"letterbox":[scale,pad_left,pad_top],"detections":[...]}.
//
//go:wasmexport nniescope_decode_wire
func decodeWire(n uint32) (packed uint64) {
	defer func() {
		if r := recover(); r != nil {
			fail(2, "internal error")
			packed = pack()
		}
	}()
	if int(n) > len(in) || n < 20 {
		fail(1, "request shorter than its 20-byte parameter block")
		return pack()
	}
	p := yolo.Params{ScoreThreshold: math.Float32frombits(le32(in)), NMSThreshold: math.Float32frombits(le32(in[4:])),
		MinWidth: math.Float32frombits(le32(in[8:])), MinHeight: math.Float32frombits(le32(in[12:])), MaxDetections: int(le32(in[16:]))}
	r, err := wire.DecodeResult(in[20:n])
	if err != nil {
		fail(1, err.Error())
		return pack()
	}
	dets, err := r.Request(p).Decode()
	if err != nil {
		fail(1, err.Error())
		return pack()
	}
	status = 0
	out = append(out[:0], `{"seq":`...)
	out = strconv.AppendUint(out, r.Seq, 10)
	out = append(out, `,"variant":`...)
	out = jsonstr.Append(out, r.Variant)
	out = append(out, `,"src":[`...)
	out = strconv.AppendUint(out, uint64(r.SrcW), 10)
	out = append(out, ',')
	out = strconv.AppendUint(out, uint64(r.SrcH), 10)
	out = append(out, `],"letterbox":[`...)
	out = strconv.AppendFloat(out, r.Scale, 'g', -1, 64)
	out = append(out, ',')
	out = strconv.AppendInt(out, int64(r.PadLeft), 10)
	out = append(out, ',')
	out = strconv.AppendInt(out, int64(r.PadTop), 10)
	out = append(out, "],"...)
	body := yolo.AppendJSON(nil, dets) // {"detections":[...]}
	out = append(out, body[1:]...)
	return pack()
}

// diffBoxes compares two detection sets (boxdiff). Request: f32 min IoU,
// then two sets, each u32 count and per box f32 x1 y1 x2 y2 score, u32
// class. Result: {"matched":[{"ref","other","iou","score_delta"}],
// "missed":[...],"extra":[...]}.
//
//go:wasmexport nniescope_diff
func diffBoxes(n uint32) (packed uint64) {
	defer func() {
		if r := recover(); r != nil {
			fail(2, "internal error")
			packed = pack()
		}
	}()
	b := in[:min(int(n), len(in))]
	off := 4
	read := func() ([]yolo.Detection, bool) {
		if off+4 > len(b) {
			return nil, false
		}
		c := int(le32(b[off:]))
		off += 4
		if c < 0 || c > (len(b)-off)/24 {
			return nil, false
		}
		ds := make([]yolo.Detection, c)
		for i := range ds {
			for k := range 4 {
				ds[i].Box[k] = math.Float32frombits(le32(b[off+4*k:]))
			}
			ds[i].Score = math.Float32frombits(le32(b[off+16:]))
			ds[i].ClassID = int(le32(b[off+20:]))
			off += 24
		}
		return ds, true
	}
	if len(b) < 4 {
		fail(1, "diff request too short")
		return pack()
	}
	minIoU := math.Float32frombits(le32(b))
	ref, ok1 := read()
	other, ok2 := read()
	if !ok1 || !ok2 {
		fail(1, "diff request: box counts exceed its bytes")
		return pack()
	}
	d := boxdiff.Compare(ref, other, minIoU)
	status = 0
	out = append(out[:0], `{"matched":[`...)
	for i, m := range d.Matched {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, `{"ref":`...)
		out = strconv.AppendInt(out, int64(m.Ref), 10)
		out = append(out, `,"other":`...)
		out = strconv.AppendInt(out, int64(m.Other), 10)
		out = append(out, `,"iou":`...)
		out = strconv.AppendFloat(out, float64(m.IoU), 'g', -1, 32)
		out = append(out, `,"score_delta":`...)
		out = strconv.AppendFloat(out, float64(m.ScoreDelta), 'g', -1, 32)
		out = append(out, '}')
	}
	out = append(out, `],"missed":`...)
	out = appendInts(out, d.Missed)
	out = append(out, `,"extra":`...)
	out = appendInts(out, d.Extra)
	out = append(out, '}')
	return pack()
}

// compareHeads compares two results of the same frame tensor by tensor
// (headdiff). Request: u32 length of the reference message, the reference
// message, the other message. Result: headdiff.Report as JSON.
//
//go:wasmexport nniescope_compare
func compareHeads(n uint32) (packed uint64) {
	defer func() {
		if r := recover(); r != nil {
			fail(2, "internal error")
			packed = pack()
		}
	}()
	b := in[:min(int(n), len(in))]
	if len(b) < 4 || int(le32(b)) > len(b)-4 {
		fail(1, "compare request: bad reference length")
		return pack()
	}
	la := int(le32(b))
	a, err := wire.DecodeResult(b[4 : 4+la])
	if err != nil {
		fail(1, "reference: "+err.Error())
		return pack()
	}
	o, err := wire.DecodeResult(b[4+la:])
	if err != nil {
		fail(1, "variant: "+err.Error())
		return pack()
	}
	rep, err := headdiff.Compare(a, o)
	if err != nil {
		fail(1, err.Error())
		return pack()
	}
	status = 0
	out = rep.AppendJSON(out[:0])
	return pack()
}

func appendInts(b []byte, v []int) []byte {
	b = append(b, '[')
	for i, x := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(x), 10)
	}
	return append(b, ']')
}

func fail(code uint32, msg string) {
	status = code
	out = append(out[:0], `{"error":`...)
	out = jsonstr.Append(out, msg)
	out = append(out, `,"code":`...)
	out = strconv.AppendUint(out, uint64(code), 10)
	out = append(out, '}')
}

func pack() uint64 {
	if len(out) == 0 {
		return 0
	}
	return uint64(uintptr(unsafe.Pointer(&out[0])))<<32 | uint64(len(out))
}

func main() {}

// le32 reads a little-endian uint32 (encoding/binary would link reflect).
func le32(b []byte) uint32 {
	_ = b[3]
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}
