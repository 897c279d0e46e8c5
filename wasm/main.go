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
	"strconv"
	"unsafe"

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

func fail(code uint32, msg string) {
	status = code
	out = append(out[:0], `{"error":`...)
	out = strconv.AppendQuote(out, msg)
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
