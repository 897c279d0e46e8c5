//go:build svp

// Package svp binds the SVP ACL runtime (Hi3519DV500 / Hi3516DV500 class:
// libsvp_acl) through cgo: load an .om from memory, run it on a frame,
// return every output as the NPU wrote it (data type, dims, padded rows).
// Built only with the tag svp; the headers and libraries come from the
// vendor SDK via CGO_CFLAGS / CGO_LDFLAGS (docs/BOARD.md). CI compiles the
// same code against a test double of the API (tags svp svptestdouble).
package svp

/*
#cgo svptestdouble CFLAGS: -I${SRCDIR}/testdouble
#cgo !svptestdouble LDFLAGS: -lsvp_acl -lss_mpi_sysmem -lss_mpi_km -lsecurec -lprotobuf-c -lpthread -ldl -lstdc++ -lm
#include <stdlib.h>
#include <string.h>
#include "svp_acl.h"
#include "svp_acl_mdl.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"

	"github.com/nniescope/nniescope/shared/yolo"
)

// Runtime is an initialised device.
type Runtime struct{ device C.int32_t }

// Open initialises the runtime and sets the device.
func Open(device int) (*Runtime, error) {
	if r := C.svp_acl_init(nil); r != C.SVP_ACL_SUCCESS {
		return nil, fmt.Errorf("svp: svp_acl_init: error %d", int(r))
	}
	if r := C.svp_acl_rt_set_device(C.int32_t(device)); r != C.SVP_ACL_SUCCESS {
		C.svp_acl_finalize()
		return nil, fmt.Errorf("svp: svp_acl_rt_set_device(%d): error %d", device, int(r))
	}
	return &Runtime{device: C.int32_t(device)}, nil
}

// Close releases the device.
func (rt *Runtime) Close() {
	C.svp_acl_rt_reset_device(rt.device)
	C.svp_acl_finalize()
}

// Output is one output tensor's layout.
type Output struct {
	Name   string
	Dims   []int
	Type   yolo.RawType
	Stride int // bytes per innermost row (the NPU's default stride)
	Size   int // bytes of the whole buffer
}

// Model is a loaded .om with its input and output buffers.
type Model struct {
	id       C.uint32_t
	desc     *C.svp_acl_mdl_desc
	in, out  *C.svp_acl_mdl_dataset
	inBufs   []unsafe.Pointer
	outBufs  []unsafe.Pointer
	inSize   []int
	inStride []int
	Outputs  []Output
	om       unsafe.Pointer
}

// Load copies the .om into device memory and loads it.
func (rt *Runtime) Load(om []byte) (*Model, error) {
	if len(om) == 0 {
		return nil, errors.New("svp: empty model")
	}
	m := &Model{}
	if r := C.svp_acl_rt_malloc(&m.om, C.size_t(len(om)), C.SVP_ACL_MEM_MALLOC_NORMAL_ONLY); r != C.SVP_ACL_SUCCESS {
		return nil, fmt.Errorf("svp: allocating %d bytes for the model: error %d", len(om), int(r))
	}
	C.memcpy(m.om, unsafe.Pointer(&om[0]), C.size_t(len(om)))
	if r := C.svp_acl_mdl_load_from_mem(m.om, C.size_t(len(om)), &m.id); r != C.SVP_ACL_SUCCESS {
		C.svp_acl_rt_free(m.om)
		return nil, fmt.Errorf("svp: svp_acl_mdl_load_from_mem: error %d (not an .om for this chip?)", int(r))
	}
	m.desc = C.svp_acl_mdl_create_desc()
	if m.desc == nil || C.svp_acl_mdl_get_desc(m.desc, m.id) != C.SVP_ACL_SUCCESS {
		m.Close()
		return nil, errors.New("svp: svp_acl_mdl_get_desc failed")
	}
	var err error
	if m.in, m.inBufs, m.inSize, m.inStride, err = m.dataset(true); err != nil {
		m.Close()
		return nil, err
	}
	var outSize, outStride []int
	if m.out, m.outBufs, outSize, outStride, err = m.dataset(false); err != nil {
		m.Close()
		return nil, err
	}
	for i := range m.outBufs {
		var dims C.svp_acl_mdl_io_dims
		if r := C.svp_acl_mdl_get_output_dims(m.desc, C.size_t(i), &dims); r != C.SVP_ACL_SUCCESS {
			m.Close()
			return nil, fmt.Errorf("svp: output %d dims: error %d", i, int(r))
		}
		o := Output{Name: C.GoString(&dims.name[0]), Stride: outStride[i], Size: outSize[i]}
		for d := 0; d < int(dims.dim_count) && d < 8; d++ {
			o.Dims = append(o.Dims, int(dims.dims[d]))
		}
		switch C.svp_acl_mdl_get_output_data_type(m.desc, C.size_t(i)) {
		case C.SVP_ACL_FLOAT:
			o.Type = yolo.RawF32
		case C.SVP_ACL_FLOAT16:
			o.Type = yolo.RawF16
		case C.SVP_ACL_INT8:
			o.Type = yolo.RawS8
		case C.SVP_ACL_UINT8:
			o.Type = yolo.RawU8
		case C.SVP_ACL_INT16:
			o.Type = yolo.RawS16
		default:
			m.Close()
			return nil, fmt.Errorf("svp: output %d (%s): unsupported data type", i, o.Name)
		}
		m.Outputs = append(m.Outputs, o)
	}
	return m, nil
}

// dataset allocates one buffer per input (or output) of the size and
// default stride the model describes.
func (m *Model) dataset(input bool) (*C.svp_acl_mdl_dataset, []unsafe.Pointer, []int, []int, error) {
	ds := C.svp_acl_mdl_create_dataset()
	if ds == nil {
		return nil, nil, nil, nil, errors.New("svp: svp_acl_mdl_create_dataset failed")
	}
	var n C.size_t
	if input {
		n = C.svp_acl_mdl_get_num_inputs(m.desc)
	} else {
		n = C.svp_acl_mdl_get_num_outputs(m.desc)
	}
	var bufs []unsafe.Pointer
	var sizes, strides []int
	for i := C.size_t(0); i < n; i++ {
		var size, stride C.size_t
		if input {
			size, stride = C.svp_acl_mdl_get_input_size_by_index(m.desc, i), C.svp_acl_mdl_get_input_default_stride(m.desc, i)
		} else {
			size, stride = C.svp_acl_mdl_get_output_size_by_index(m.desc, i), C.svp_acl_mdl_get_output_default_stride(m.desc, i)
		}
		if size == 0 || stride == 0 {
			return ds, bufs, sizes, strides, fmt.Errorf("svp: buffer %d: size %d, stride %d", int(i), int(size), int(stride))
		}
		var p unsafe.Pointer
		if r := C.svp_acl_rt_malloc(&p, size, C.SVP_ACL_MEM_MALLOC_NORMAL_ONLY); r != C.SVP_ACL_SUCCESS {
			return ds, bufs, sizes, strides, fmt.Errorf("svp: allocating buffer %d: error %d", int(i), int(r))
		}
		b := C.svp_acl_create_data_buffer(p, size, stride)
		if b == nil || C.svp_acl_mdl_add_dataset_buffer(ds, b) != C.SVP_ACL_SUCCESS {
			C.svp_acl_rt_free(p)
			return ds, bufs, sizes, strides, fmt.Errorf("svp: adding buffer %d", int(i))
		}
		bufs = append(bufs, p)
		sizes, strides = append(sizes, int(size)), append(strides, int(stride))
	}
	return ds, bufs, sizes, strides, nil
}

// InputLayout is the size and row stride of input i.
func (m *Model) InputLayout(i int) (size, stride int) { return m.inSize[i], m.inStride[i] }

// Run copies the inputs (already laid out with the model's strides),
// executes, and returns each output's bytes as yolo.Raw (copied).
func (m *Model) Run(inputs [][]byte) ([]yolo.Raw, error) {
	if len(inputs) != len(m.inBufs) {
		return nil, fmt.Errorf("svp: %d inputs given, the model takes %d", len(inputs), len(m.inBufs))
	}
	for i, in := range inputs {
		if len(in) != m.inSize[i] {
			return nil, fmt.Errorf("svp: input %d has %d bytes, the model wants %d (row stride %d)", i, len(in), m.inSize[i], m.inStride[i])
		}
		C.memcpy(m.inBufs[i], unsafe.Pointer(&in[0]), C.size_t(len(in)))
	}
	if r := C.svp_acl_mdl_execute(m.id, m.in, m.out); r != C.SVP_ACL_SUCCESS {
		return nil, fmt.Errorf("svp: svp_acl_mdl_execute: error %d", int(r))
	}
	return m.outputs(), nil
}

// outputs copies each output's bytes as yolo.Raw.
func (m *Model) outputs() []yolo.Raw {
	outs := make([]yolo.Raw, len(m.Outputs))
	for i, o := range m.Outputs {
		outs[i] = yolo.Raw{Type: o.Type, Shape: append([]int(nil), o.Dims...), RowStride: o.Stride, Scale: 1,
			Data: C.GoBytes(m.outBufs[i], C.int(o.Size))}
	}
	return outs
}

// RunInPlace executes with input 0 read where it lies instead of from the
// model's own buffer: size bytes at data with rows stride bytes apart,
// memory the NPU can read (a camera frame in its VB pool, mapped; as the
// vendor's samples hand VPSS frames over). The input buffer is pointed
// there for the run (svp_acl_update_data_buffer) and back to the model's
// own after it, on every path. Single-input models only.
func (m *Model) RunInPlace(data unsafe.Pointer, size, stride int) ([]yolo.Raw, error) {
	if len(m.inBufs) != 1 {
		return nil, fmt.Errorf("svp: the model takes %d inputs; a frame in place feeds one", len(m.inBufs))
	}
	if data == nil || size < m.inSize[0] || stride <= 0 {
		return nil, fmt.Errorf("svp: a frame of %d bytes (row stride %d) for an input of %d bytes", size, stride, m.inSize[0])
	}
	buf := C.svp_acl_mdl_get_dataset_buffer(m.in, 0)
	if buf == nil {
		return nil, errors.New("svp: svp_acl_mdl_get_dataset_buffer(input 0) failed")
	}
	if r := C.svp_acl_update_data_buffer(buf, data, C.size_t(size), C.size_t(stride)); r != C.SVP_ACL_SUCCESS {
		return nil, fmt.Errorf("svp: pointing input 0 at the frame (svp_acl_update_data_buffer): error %d", int(r))
	}
	r := C.svp_acl_mdl_execute(m.id, m.in, m.out)
	if r2 := C.svp_acl_update_data_buffer(buf, m.inBufs[0], C.size_t(m.inSize[0]), C.size_t(m.inStride[0])); r2 != C.SVP_ACL_SUCCESS {
		return nil, fmt.Errorf("svp: pointing input 0 back at its own buffer: error %d (the model cannot run again)", int(r2))
	}
	if r != C.SVP_ACL_SUCCESS {
		return nil, fmt.Errorf("svp: svp_acl_mdl_execute on the frame in place: error %d", int(r))
	}
	return m.outputs(), nil
}

// Close unloads the model and frees its buffers.
func (m *Model) Close() {
	for _, ds := range []struct {
		d    *C.svp_acl_mdl_dataset
		bufs []unsafe.Pointer
	}{{m.in, m.inBufs}, {m.out, m.outBufs}} {
		for _, p := range ds.bufs {
			C.svp_acl_rt_free(p)
		}
		if ds.d != nil {
			C.svp_acl_mdl_destroy_dataset(ds.d)
		}
	}
	if m.desc != nil {
		C.svp_acl_mdl_destroy_desc(m.desc)
		C.svp_acl_mdl_unload(m.id)
	}
	if m.om != nil {
		C.svp_acl_rt_free(m.om)
	}
	*m = Model{}
}
