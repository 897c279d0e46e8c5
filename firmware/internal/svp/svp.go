//go:build svp

// Package svp binds the SVP ACL runtime (Hi3519DV500 / Hi3516DV500 /
// Hi3516CV610 class: libsvp_acl) through cgo: load an .om from memory, run
// it on a frame, return every output as the NPU wrote it (data type, dims,
// padded rows). Built only with the tag svp; the headers and libraries
// come from the vendor SDK via CGO_CFLAGS / CGO_LDFLAGS (docs/BOARD.md),
// and the LDFLAGS below name every static library libsvp_acl needs. CI
// compiles the same code against a test double of the API (tags svp
// svptestdouble), built on the SDK's own headers when they are beside the
// checkout and on testdouble/'s fallback copies otherwise.
package svp

/*
#cgo CFLAGS: -Werror=implicit-function-declaration -Werror=int-conversion -Werror=incompatible-pointer-types
#cgo svptestdouble CFLAGS: -I${SRCDIR}/testdouble
#cgo !svptestdouble LDFLAGS: -lsvp_acl -lss_mpi_km -lss_mpi_sysmem -lprotobuf-c -lsecurec -lpthread -ldl -lm
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

// extraInputs is how many inputs an SVP ACL model reports beyond the ones
// the network takes: the task buffer (index n-2) and the work buffer
// (n-1). The runtime does not allocate them: the caller does, at the size
// and default stride the model states, and appends them to the input
// dataset after the user inputs, as the vendor's SVP NPU sample does
// (SAMPLE_SVP_NPU_EXTRA_INPUT_NUM in sample_common_svp_npu_model.c).
const extraInputs = 2

// Output is one output tensor's layout.
type Output struct {
	Name   string
	Dims   []int
	Type   yolo.RawType
	Stride int // bytes per innermost row (the NPU's default stride)
	Size   int // bytes of the whole buffer
}

// buffer is one device allocation wrapped in a data buffer.
type buffer struct {
	data         unsafe.Pointer
	size, stride int
}

// dataset is a dataset with the buffers it owns, freed together.
type dataset struct {
	ds   *C.svp_acl_mdl_dataset
	bufs []buffer
}

// Model is a loaded .om with its input and output buffers. Not safe for
// concurrent use.
type Model struct {
	id      C.uint32_t
	loaded  bool
	desc    *C.svp_acl_mdl_desc
	in, out dataset // in: the user inputs, then the task and work buffers
	user    int     // how many of in's buffers are user inputs
	Outputs []Output
	om      unsafe.Pointer
}

// Load copies the .om into device memory, loads it and allocates its
// buffers: one per user input and output, and the task and work buffers.
// On any error everything allocated so far is given back.
func (rt *Runtime) Load(om []byte) (*Model, error) {
	if len(om) == 0 {
		return nil, errors.New("svp: empty model")
	}
	m := &Model{}
	ok := false
	defer func() {
		if !ok {
			m.Close()
		}
	}()
	if r := C.svp_acl_rt_malloc(&m.om, C.size_t(len(om)), C.SVP_ACL_MEM_MALLOC_NORMAL_ONLY); r != C.SVP_ACL_SUCCESS {
		m.om = nil
		return nil, fmt.Errorf("svp: allocating %d bytes for the model: error %d", len(om), int(r))
	}
	C.memcpy(m.om, unsafe.Pointer(&om[0]), C.size_t(len(om)))
	if r := C.svp_acl_mdl_load_from_mem(m.om, C.size_t(len(om)), &m.id); r != C.SVP_ACL_SUCCESS {
		return nil, fmt.Errorf("svp: svp_acl_mdl_load_from_mem: error %d (not an .om for this chip?)", int(r))
	}
	m.loaded = true
	if m.desc = C.svp_acl_mdl_create_desc(); m.desc == nil {
		return nil, errors.New("svp: svp_acl_mdl_create_desc failed")
	}
	if r := C.svp_acl_mdl_get_desc(m.desc, m.id); r != C.SVP_ACL_SUCCESS {
		return nil, fmt.Errorf("svp: svp_acl_mdl_get_desc: error %d", int(r))
	}
	n := int(C.svp_acl_mdl_get_num_inputs(m.desc))
	if n < extraInputs+1 {
		return nil, fmt.Errorf("svp: the model reports %d inputs: an SVP ACL model reports its own inputs plus a task and a work buffer (%d or more; an .om built by ATC for this SDK?)", n, extraInputs+1)
	}
	m.user = n - extraInputs
	var err error
	if m.in, err = m.dataset(true, n); err != nil {
		return nil, err
	}
	if m.out, err = m.dataset(false, int(C.svp_acl_mdl_get_num_outputs(m.desc))); err != nil {
		return nil, err
	}
	if m.Outputs, err = m.outputLayouts(); err != nil {
		return nil, err
	}
	ok = true
	return m, nil
}

// outputLayouts reads each output's name, dims and data type.
func (m *Model) outputLayouts() ([]Output, error) {
	outs := make([]Output, len(m.out.bufs))
	for i, b := range m.out.bufs {
		var dims C.svp_acl_mdl_io_dims
		if r := C.svp_acl_mdl_get_output_dims(m.desc, C.size_t(i), &dims); r != C.SVP_ACL_SUCCESS {
			return nil, fmt.Errorf("svp: output %d dims: error %d", i, int(r))
		}
		o := Output{Name: C.GoStringN(&dims.name[0], C.int(C.strnlen(&dims.name[0], C.SVP_ACL_MAX_TENSOR_NAME_LEN))), Stride: b.stride, Size: b.size}
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
			return nil, fmt.Errorf("svp: output %d (%s): unsupported data type", i, o.Name)
		}
		outs[i] = o
	}
	return outs, nil
}

// dataset creates a dataset of n buffers, each allocated at the size and
// default stride the model states for that input (or output). The
// returned dataset holds whatever was built when an error stops it, for
// Close to give back.
func (m *Model) dataset(input bool, n int) (dataset, error) {
	what := "output"
	if input {
		what = "input"
	}
	d := dataset{ds: C.svp_acl_mdl_create_dataset()}
	if d.ds == nil {
		return d, fmt.Errorf("svp: svp_acl_mdl_create_dataset (%ss) failed", what)
	}
	for i := 0; i < n; i++ {
		var size, stride C.size_t
		if input {
			size, stride = C.svp_acl_mdl_get_input_size_by_index(m.desc, C.size_t(i)), C.svp_acl_mdl_get_input_default_stride(m.desc, C.size_t(i))
		} else {
			size, stride = C.svp_acl_mdl_get_output_size_by_index(m.desc, C.size_t(i)), C.svp_acl_mdl_get_output_default_stride(m.desc, C.size_t(i))
		}
		name := fmt.Sprintf("%s %d", what, i)
		if input && i == m.user {
			name += " (the task buffer)"
		} else if input && i == m.user+1 {
			name += " (the work buffer)"
		}
		if size == 0 || stride == 0 || size > 1<<30 {
			return d, fmt.Errorf("svp: %s: size %d, stride %d", name, int(size), int(stride))
		}
		var p unsafe.Pointer
		if r := C.svp_acl_rt_malloc(&p, size, C.SVP_ACL_MEM_MALLOC_NORMAL_ONLY); r != C.SVP_ACL_SUCCESS {
			return d, fmt.Errorf("svp: allocating %s (%d bytes): error %d", name, int(size), int(r))
		}
		// Device memory comes uninitialised; the sample clears every
		// buffer it creates, the task and work buffers included.
		C.memset(p, 0, size)
		b := C.svp_acl_create_data_buffer(p, size, stride)
		if b == nil {
			C.svp_acl_rt_free(p)
			return d, fmt.Errorf("svp: svp_acl_create_data_buffer (%s) failed", name)
		}
		if r := C.svp_acl_mdl_add_dataset_buffer(d.ds, b); r != C.SVP_ACL_SUCCESS {
			C.svp_acl_destroy_data_buffer(b)
			C.svp_acl_rt_free(p)
			return d, fmt.Errorf("svp: adding %s to its dataset: error %d", name, int(r))
		}
		d.bufs = append(d.bufs, buffer{data: p, size: int(size), stride: int(stride)})
	}
	return d, nil
}

// free destroys the dataset's data buffers, frees their memory and
// destroys the dataset.
func (d *dataset) free() {
	if d.ds == nil {
		return
	}
	for i, b := range d.bufs {
		if db := C.svp_acl_mdl_get_dataset_buffer(d.ds, C.size_t(i)); db != nil {
			C.svp_acl_destroy_data_buffer(db)
		}
		C.svp_acl_rt_free(b.data)
	}
	C.svp_acl_mdl_destroy_dataset(d.ds)
	*d = dataset{}
}

// Inputs is how many inputs the network takes (the task and work buffers
// aside).
func (m *Model) Inputs() int { return m.user }

// InputLayout is the size and row stride of user input i.
func (m *Model) InputLayout(i int) (size, stride int) {
	return m.in.bufs[i].size, m.in.bufs[i].stride
}

// Run copies the user inputs (already laid out with the model's strides),
// executes, and returns each output's bytes as yolo.Raw (copied).
func (m *Model) Run(inputs [][]byte) ([]yolo.Raw, error) {
	if len(inputs) != m.user {
		return nil, fmt.Errorf("svp: %d inputs given, the model takes %d", len(inputs), m.user)
	}
	for i, in := range inputs {
		b := m.in.bufs[i]
		if len(in) != b.size {
			return nil, fmt.Errorf("svp: input %d has %d bytes, the model wants %d (row stride %d)", i, len(in), b.size, b.stride)
		}
		C.memcpy(b.data, unsafe.Pointer(&in[0]), C.size_t(len(in)))
	}
	if r := C.svp_acl_mdl_execute(m.id, m.in.ds, m.out.ds); r != C.SVP_ACL_SUCCESS {
		return nil, fmt.Errorf("svp: svp_acl_mdl_execute: error %d", int(r))
	}
	return m.outputs(), nil
}

// outputs copies each output's bytes as yolo.Raw.
func (m *Model) outputs() []yolo.Raw {
	outs := make([]yolo.Raw, len(m.Outputs))
	for i, o := range m.Outputs {
		outs[i] = yolo.Raw{Type: o.Type, Shape: append([]int(nil), o.Dims...), RowStride: o.Stride, Scale: 1,
			Data: C.GoBytes(m.out.bufs[i].data, C.int(o.Size))}
	}
	return outs
}

// RunInPlace executes with the user input read where it lies instead of
// from the model's own buffer: size bytes at data with rows stride bytes
// apart, memory the NPU can read (a camera frame in its VB pool, mapped;
// as the vendor's samples hand VPSS frames over). The input buffer is
// pointed there for the run (svp_acl_update_data_buffer) and back to the
// model's own after it, on every path. Models with one user input only
// (the task and work buffers stay where they are).
func (m *Model) RunInPlace(data unsafe.Pointer, size, stride int) ([]yolo.Raw, error) {
	if m.user != 1 {
		return nil, fmt.Errorf("svp: the model takes %d inputs; a frame in place feeds one", m.user)
	}
	own := m.in.bufs[0]
	if data == nil || size < own.size || stride <= 0 {
		return nil, fmt.Errorf("svp: a frame of %d bytes (row stride %d) for an input of %d bytes", size, stride, own.size)
	}
	buf := C.svp_acl_mdl_get_dataset_buffer(m.in.ds, 0)
	if buf == nil {
		return nil, errors.New("svp: svp_acl_mdl_get_dataset_buffer(input 0) failed")
	}
	if r := C.svp_acl_update_data_buffer(buf, data, C.size_t(size), C.size_t(stride)); r != C.SVP_ACL_SUCCESS {
		return nil, fmt.Errorf("svp: pointing input 0 at the frame (svp_acl_update_data_buffer): error %d", int(r))
	}
	r := C.svp_acl_mdl_execute(m.id, m.in.ds, m.out.ds)
	if r2 := C.svp_acl_update_data_buffer(buf, own.data, C.size_t(own.size), C.size_t(own.stride)); r2 != C.SVP_ACL_SUCCESS {
		return nil, fmt.Errorf("svp: pointing input 0 back at its own buffer: error %d (the model cannot run again)", int(r2))
	}
	if r != C.SVP_ACL_SUCCESS {
		return nil, fmt.Errorf("svp: svp_acl_mdl_execute on the frame in place: error %d", int(r))
	}
	return m.outputs(), nil
}

// Close unloads the model and gives back everything Load allocated: data
// buffers, their memory, datasets, the descriptor and the model's copy.
// It is safe on a half-built model and twice.
func (m *Model) Close() {
	m.in.free()
	m.out.free()
	if m.desc != nil {
		C.svp_acl_mdl_destroy_desc(m.desc)
	}
	if m.loaded {
		C.svp_acl_mdl_unload(m.id)
	}
	if m.om != nil {
		C.svp_acl_rt_free(m.om)
	}
	*m = Model{}
}
