//go:build nnie

// Package nnie binds the NNIE runtime of the Hi3516DV300 / CV500 / AV300
// and Hi3519AV100 (libnnie, with the MPP's MMZ allocator) through cgo:
// load a .wk that nnie_mapper compiled, run it on a frame, return every
// output as the NNIE wrote it (S32 = value × 4096, rows padded to the
// blob stride). Built only with the tag nnie; the headers and libraries
// come from the vendor SDK via CGO_CFLAGS / CGO_LDFLAGS (docs/BOARD.md).
// CI compiles the same code against a test double of the API (tags nnie
// nnietestdouble).
package nnie

/*
#cgo CFLAGS: -Werror=implicit-function-declaration -Werror=int-conversion -Werror=incompatible-pointer-types
#cgo nnietestdouble CFLAGS: -I${SRCDIR}/testdouble
#cgo !nnietestdouble LDFLAGS: -Wl,--start-group -lnnie -lmpi -lVoiceEngine -lupvqe -ldnvqe -lsecurec -Wl,--end-group -lpthread -lm -ldl
#include <stdlib.h>
#include <string.h>
#include "hi_type.h"
#include "hi_comm_svp.h"
#include "hi_nnie.h"
#include "mpi_nnie.h"
#include "mpi_sys.h"

// The node union is read through these: cgo does not name union members.
static HI_U32 node_w(const SVP_NNIE_NODE_S *n) { return n->unShape.stWhc.u32Width; }
static HI_U32 node_h(const SVP_NNIE_NODE_S *n) { return n->unShape.stWhc.u32Height; }
static HI_U32 node_c(const SVP_NNIE_NODE_S *n) { return n->unShape.stWhc.u32Chn; }
static void blob_set(SVP_BLOB_S *b, SVP_BLOB_TYPE_E t, HI_U32 stride, HI_U64 vir, HI_U64 phy, HI_U32 w, HI_U32 h, HI_U32 c) {
	b->enType = t; b->u32Stride = stride; b->u64VirAddr = vir; b->u64PhyAddr = phy; b->u32Num = 1;
	b->unShape.stWhc.u32Width = w; b->unShape.stWhc.u32Height = h; b->unShape.stWhc.u32Chn = c;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"time"
	"unsafe"

	"github.com/nniescope/nniescope/shared/yolo"
)

// mem is one MMZ buffer.
type mem struct {
	phy  C.HI_U64
	vir  unsafe.Pointer
	size int
}

func alloc(what string, n int) (mem, error) {
	var m mem
	if n <= 0 || n > 1<<30 {
		return m, fmt.Errorf("nnie: %s: %d bytes", what, n)
	}
	name := C.CString("nniescope")
	defer C.free(unsafe.Pointer(name))
	if r := C.HI_MPI_SYS_MmzAlloc_Cached(&m.phy, &m.vir, name, nil, C.HI_U32(n)); r != C.HI_SUCCESS {
		return m, fmt.Errorf("nnie: HI_MPI_SYS_MmzAlloc_Cached(%s, %d bytes): error %#x", what, n, uint32(r))
	}
	m.size = n
	return m, nil
}

func (m *mem) free() {
	if m.vir != nil {
		C.HI_MPI_SYS_MmzFree(m.phy, m.vir)
		m.vir = nil
	}
}

func (m mem) flush() error {
	if r := C.HI_MPI_SYS_MmzFlushCache(m.phy, m.vir, C.HI_U32(m.size)); r != C.HI_SUCCESS {
		return fmt.Errorf("nnie: HI_MPI_SYS_MmzFlushCache: error %#x", uint32(r))
	}
	return nil
}

func (m mem) bytes() []byte { return unsafe.Slice((*byte)(m.vir), m.size) }

// Input is the model's one input: an image blob.
type Input struct {
	Name         string
	W, H, C      int
	Stride       int // bytes per row: W aligned to 16
	YUV420SP, U8 bool
	Size         int
}

// Output is one output blob's layout: S32, [1, C, H, W], rows Stride bytes.
type Output struct {
	Name    string
	W, H, C int
	Stride  int
}

// Model is a loaded .wk with its buffers. Not safe for concurrent use.
type Model struct {
	model    C.SVP_NNIE_MODEL_S
	wk       mem
	tmp, tsk mem
	src      mem
	dst      []mem
	srcBlob  [1]C.SVP_SRC_BLOB_S
	dstBlobs *C.SVP_DST_BLOB_S // C memory: a Go pointer may not hold them across the call
	Input    Input
	Outputs  []Output
}

// align16 is the NNIE's default row alignment (docs/NNIE.md).
func align16(n int) int { return (n + 15) &^ 15 }

// Load copies a .wk into MMZ, loads it, and allocates the task, temporary,
// input and output buffers. Only single-segment CNN models are run: a
// model the mapper cut into segments around CPU layers (Proposal, custom
// layers) needs those layers between the segments, which nniescope does
// not implement.
func Load(wk []byte) (*Model, error) {
	m := &Model{}
	ok := false
	defer func() {
		if !ok {
			m.Close()
		}
	}()
	var err error
	if m.wk, err = alloc("model", len(wk)); err != nil {
		return nil, err
	}
	copy(m.wk.bytes(), wk)
	if err := m.wk.flush(); err != nil {
		return nil, err
	}
	buf := C.SVP_SRC_MEM_INFO_S{u64PhyAddr: m.wk.phy, u64VirAddr: C.HI_U64(uintptr(m.wk.vir)), u32Size: C.HI_U32(len(wk))}
	if r := C.HI_MPI_SVP_NNIE_LoadModel(&buf, &m.model); r != C.HI_SUCCESS {
		m.wk.free()
		return nil, fmt.Errorf("nnie: HI_MPI_SVP_NNIE_LoadModel: error %#x (not a .wk, or one nnie_mapper made for another chip or SDK version: check arch_version)", uint32(r))
	}
	if n := int(m.model.u32NetSegNum); n != 1 {
		return nil, fmt.Errorf("nnie: the model has %d segments: multi-segment models (CPU layers between NNIE segments, e.g. Proposal) are not supported; compile the network without them", n)
	}
	seg := &m.model.astSeg[0]
	if seg.enNetType != C.SVP_NNIE_NET_TYPE_CNN || seg.u16SrcNum != 1 || seg.u16DstNum < 1 || int(seg.u16DstNum) > C.SVP_NNIE_MAX_OUTPUT_NUM {
		return nil, fmt.Errorf("nnie: segment 0 is net type %d with %d inputs and %d outputs: want a CNN with one image input", int(seg.enNetType), int(seg.u16SrcNum), int(seg.u16DstNum))
	}
	var tsk [C.SVP_NNIE_MAX_NET_SEG_NUM]C.HI_U32
	if r := C.HI_MPI_SVP_NNIE_GetTskBufSize(1, 0, &m.model, &tsk[0], m.model.u32NetSegNum); r != C.HI_SUCCESS {
		return nil, fmt.Errorf("nnie: HI_MPI_SVP_NNIE_GetTskBufSize: error %#x", uint32(r))
	}
	if m.tsk, err = alloc("task buffer", int(tsk[0])); err != nil {
		return nil, err
	}
	if m.tmp, err = alloc("temporary buffer", int(m.model.u32TmpBufSize)); err != nil {
		return nil, err
	}
	ti := m.tskInfo()
	if r := C.HI_MPI_SVP_NNIE_AddTskBuf(&ti); r != C.HI_SUCCESS {
		return nil, fmt.Errorf("nnie: HI_MPI_SVP_NNIE_AddTskBuf: error %#x", uint32(r))
	}

	in := &seg.astSrcNode[0]
	m.Input = Input{Name: C.GoString(&in.szName[0]), W: int(C.node_w(in)), H: int(C.node_h(in)), C: int(C.node_c(in))}
	switch in.enType {
	case C.SVP_BLOB_TYPE_U8:
		m.Input.U8 = true
		m.Input.Stride = align16(m.Input.W)
		m.Input.Size = m.Input.Stride * m.Input.H * m.Input.C
	case C.SVP_BLOB_TYPE_YVU420SP:
		m.Input.YUV420SP = true
		m.Input.Stride = align16(m.Input.W)
		m.Input.Size = m.Input.Stride * m.Input.H * 3 / 2
	default:
		return nil, fmt.Errorf("nnie: input %q has blob type %d: want U8 or YVU420SP (an image)", m.Input.Name, int(in.enType))
	}
	if m.Input.W <= 0 || m.Input.H <= 0 || m.Input.C <= 0 || m.Input.W > 1<<14 || m.Input.H > 1<<14 || m.Input.C > 64 {
		return nil, fmt.Errorf("nnie: input %q is %dx%dx%d", m.Input.Name, m.Input.W, m.Input.H, m.Input.C)
	}
	if m.src, err = alloc("input", m.Input.Size); err != nil {
		return nil, err
	}
	C.blob_set(&m.srcBlob[0], in.enType, C.HI_U32(m.Input.Stride), C.HI_U64(uintptr(m.src.vir)), m.src.phy, C.HI_U32(m.Input.W), C.HI_U32(m.Input.H), C.HI_U32(m.Input.C))

	n := int(seg.u16DstNum)
	m.dstBlobs = (*C.SVP_DST_BLOB_S)(C.calloc(C.size_t(n), C.size_t(unsafe.Sizeof(C.SVP_DST_BLOB_S{}))))
	blobs := unsafe.Slice(m.dstBlobs, n)
	for i := range n {
		d := &seg.astDstNode[i]
		o := Output{Name: C.GoString(&d.szName[0]), W: int(C.node_w(d)), H: int(C.node_h(d)), C: int(C.node_c(d))}
		if d.enType != C.SVP_BLOB_TYPE_S32 || o.W <= 0 || o.H <= 0 || o.C <= 0 || o.W > 1<<16 || o.H > 1<<16 || o.C > 1<<16 {
			return nil, fmt.Errorf("nnie: output %q is blob type %d, %dx%dx%d: want an S32 feature map", o.Name, int(d.enType), o.W, o.H, o.C)
		}
		o.Stride = align16(4 * o.W)
		b, err := alloc("output "+o.Name, o.Stride*o.H*o.C)
		if err != nil {
			return nil, err
		}
		m.dst = append(m.dst, b)
		C.blob_set(&blobs[i], C.SVP_BLOB_TYPE_S32, C.HI_U32(o.Stride), C.HI_U64(uintptr(b.vir)), b.phy, C.HI_U32(o.W), C.HI_U32(o.H), C.HI_U32(o.C))
		m.Outputs = append(m.Outputs, o)
	}
	ok = true
	return m, nil
}

func (m *Model) tskInfo() C.SVP_MEM_INFO_S {
	return C.SVP_MEM_INFO_S{u64PhyAddr: m.tsk.phy, u64VirAddr: C.HI_U64(uintptr(m.tsk.vir)), u32Size: C.HI_U32(m.tsk.size)}
}

// Close releases the model and its buffers.
func (m *Model) Close() {
	if m.tsk.vir != nil {
		ti := m.tskInfo()
		C.HI_MPI_SVP_NNIE_RemoveTskBuf(&ti)
	}
	if m.wk.vir != nil {
		C.HI_MPI_SVP_NNIE_UnloadModel(&m.model)
	}
	for i := range m.dst {
		m.dst[i].free()
	}
	m.dst = nil
	if m.dstBlobs != nil {
		C.free(unsafe.Pointer(m.dstBlobs))
		m.dstBlobs = nil
	}
	m.src.free()
	m.tmp.free()
	m.tsk.free()
	m.wk.free()
}

// ErrTimeout: the NNIE did not finish a forward in time.
var ErrTimeout = errors.New("nnie: forward did not finish")

// Run copies the input (Input.Size bytes, rows Input.Stride apart) into
// the input blob, runs the model, waits for it (HI_MPI_SVP_NNIE_Query
// until done, as the SDK samples do while it answers QUERY_TIMEOUT) and
// returns the outputs as board tensors: S32 × 4096, [1, C, H, W], rows
// padded to the blob stride. The tensors are copies.
func (m *Model) Run(in []byte, timeout time.Duration) ([]yolo.Raw, error) {
	if len(in) != m.Input.Size {
		return nil, fmt.Errorf("nnie: input of %d bytes, the model's %q takes %d (%dx%dx%d, rows of %d bytes)", len(in), m.Input.Name, m.Input.Size, m.Input.W, m.Input.H, m.Input.C, m.Input.Stride)
	}
	copy(m.src.bytes(), in)
	// Flush what the NNIE reads and what it writes before the forward,
	// as the vendor's sample does (SAMPLE_SVP_NNIE_Forward): the input
	// (the CPU just wrote it), the task buffer, and every output blob, so
	// that no dirty cache line of an earlier read is written back over
	// what the NNIE writes.
	for _, b := range append([]mem{m.src, m.tsk}, m.dst...) {
		if err := b.flush(); err != nil {
			return nil, err
		}
	}
	ctl := C.SVP_NNIE_FORWARD_CTRL_S{u32SrcNum: 1, u32DstNum: C.HI_U32(len(m.dst)), u32NetSegId: 0, enNnieId: C.SVP_NNIE_ID_0,
		stTmpBuf: C.SVP_MEM_INFO_S{u64PhyAddr: m.tmp.phy, u64VirAddr: C.HI_U64(uintptr(m.tmp.vir)), u32Size: C.HI_U32(m.tmp.size)},
		stTskBuf: m.tskInfo()}
	var h C.SVP_NNIE_HANDLE
	if r := C.HI_MPI_SVP_NNIE_Forward(&h, &m.srcBlob[0], &m.model, m.dstBlobs, &ctl, C.HI_TRUE); r != C.HI_SUCCESS {
		return nil, fmt.Errorf("nnie: HI_MPI_SVP_NNIE_Forward: error %#x", uint32(r))
	}
	deadline := time.Now().Add(timeout)
	for {
		var done C.HI_BOOL
		r := C.HI_MPI_SVP_NNIE_Query(C.SVP_NNIE_ID_0, h, &done, C.HI_TRUE)
		if r == C.HI_SUCCESS && done == C.HI_TRUE {
			break
		}
		if r != C.HI_SUCCESS && r != C.HI_ERR_SVP_NNIE_QUERY_TIMEOUT {
			return nil, fmt.Errorf("nnie: HI_MPI_SVP_NNIE_Query: error %#x", uint32(r))
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%w in %v", ErrTimeout, timeout)
		}
		time.Sleep(100 * time.Microsecond)
	}
	outs := make([]yolo.Raw, len(m.dst))
	for i, b := range m.dst {
		// The NNIE wrote behind the cache: flush (invalidate) before reading.
		if err := b.flush(); err != nil {
			return nil, err
		}
		o := m.Outputs[i]
		outs[i] = yolo.Raw{Type: yolo.RawS32x4096, Shape: []int{1, o.C, o.H, o.W}, RowStride: o.Stride, Data: append([]byte(nil), b.bytes()...)}
	}
	return outs, nil
}
