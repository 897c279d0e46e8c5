//go:build vpss

// Package vpss is the camera source: frames from a VPSS channel (VI →
// VPSS configured by the vendor's sample or the user's application),
// through the NNIE-era MPP (HI_MPI_VPSS_GetChnFrame, HI_MPI_SYS_Mmap) or,
// with the build tag vpss_ss, the SVP ACL-era SDK (ss_mpi_vpss_get_chn_frame,
// ss_mpi_sys_mmap). Frames are YUV420SP with a stride, read where VPSS
// wrote them (preprocess.SemiPlanar: the engine letterboxes from the
// mapped buffer, no whole-frame copy) and released by Frame.Release once
// the engine is done, or at once on every error path: a frame held back
// stalls the camera. Built only with the tag vpss (cgo, the SDK's headers and
// libraries via CGO_CFLAGS / CGO_LDFLAGS); CI runs it against a C test
// double of each SDK (tag vpsstestdouble).
package vpss

/*
#cgo CFLAGS: -Werror=implicit-function-declaration -Werror=int-conversion -Werror=incompatible-pointer-types
#cgo vpsstestdouble,!vpss_ss CFLAGS: -I${SRCDIR}/testdouble/hi
#cgo vpsstestdouble,vpss_ss CFLAGS: -I${SRCDIR}/testdouble/ss
#cgo !vpsstestdouble,!vpss_ss LDFLAGS: -Wl,--start-group -lmpi -lVoiceEngine -lupvqe -ldnvqe -lsecurec -Wl,--end-group -lpthread -lm -ldl
#cgo !vpsstestdouble,vpss_ss LDFLAGS: -Wl,--start-group -lss_mpi -lss_mpi_sysmem -lss_mpi_isp -lot_mpi_isp -lss_mpi_ae -lss_mpi_awb -lss_mpi_thermo -ldehaze -lextend_stats -ldrc -lldci -lbnr -lcalcflicker -lir_auto -lacs -lsecurec -Wl,--end-group -lpthread -lm -ldl
#include "shim.h"
*/
import "C"

import (
	"context"
	"fmt"
	"sync"
	"time"
	"unsafe"

	"github.com/nniescope/nniescope/firmware/internal/source"
	"github.com/nniescope/nniescope/shared/preprocess"
)

// maxSide bounds a frame's width and height: far beyond any camera these
// chips take (4K), and a stride or size past it is a corrupt frame.
const maxSide = 8192

// Source reads one VPSS channel. Not safe for concurrent use.
type Source struct {
	grp, chn int
	timeout  time.Duration
	name     string
	seq      uint64
}

// Open names a VPSS group and channel; timeout is how long one Next waits
// for a frame.
func Open(grp, chn int, timeout time.Duration) (*Source, error) {
	if grp < 0 || grp > 255 || chn < 0 || chn > 15 {
		return nil, fmt.Errorf("vpss: group %d channel %d: want a group 0..255 and a channel 0..15", grp, chn)
	}
	if timeout < time.Millisecond {
		timeout = time.Second
	}
	return &Source{grp: grp, chn: chn, timeout: timeout, name: fmt.Sprintf("vpss:%d:%d", grp, chn)}, nil
}

// Next waits for the channel's next frame and maps it; the frame's
// Release unmaps and releases it. A timeout, a frame of another format or
// with a stride smaller than its width is this frame's error, the frame
// released already: the next call tries again.
func (s *Source) Next(ctx context.Context) (source.Frame, error) {
	if err := ctx.Err(); err != nil {
		return source.Frame{}, err
	}
	var f C.nsv_frame
	if r := C.nsv_get(C.int(s.grp), C.int(s.chn), C.int(s.timeout.Milliseconds()), &f); r != 0 {
		if C.nsv_is_timeout(r) != 0 {
			return source.Frame{Name: s.name}, fmt.Errorf("%s: %w: no frame in %v (are VI and VPSS running and bound, and the channel enabled with a frame depth?)", s.name, source.ErrNoFrame, s.timeout)
		}
		return source.Frame{Name: s.name}, fmt.Errorf("%s: get frame: error %#x", s.name, uint32(r))
	}
	held := &f
	release := func() { C.nsv_release(C.int(s.grp), C.int(s.chn), held) }
	w, h, sy, suv := int(f.w), int(f.h), int(f.stride_y), int(f.stride_uv)
	switch {
	case f.semiplanar == 0:
		release()
		return source.Frame{Name: s.name}, fmt.Errorf("%s: the frame is not YUV420SP: set the channel's pixel format to YVU_SEMIPLANAR_420", s.name)
	case w <= 0 || h <= 0 || w%2 != 0 || h%2 != 0 || w > maxSide || h > maxSide:
		release()
		return source.Frame{Name: s.name}, fmt.Errorf("%s: frame size %dx%d: want even sides up to %d", s.name, w, h, maxSide)
	case sy < w || suv < w || sy > 4*maxSide || suv > 4*maxSide:
		release()
		return source.Frame{Name: s.name}, fmt.Errorf("%s: frame strides %d / %d bytes are smaller than its width %d (or absurd)", s.name, sy, suv, w)
	}
	var y, uv []byte
	var unmapY, unmapUV func()
	var device *source.DeviceFrame
	if uint64(f.phys_uv) == uint64(f.phys_y)+uint64(sy*h) && suv == sy {
		// One VB block, chroma right after luma (as VPSS lays frames
		// out): one mapping, and the NPU can read the frame as it is.
		all, err := s.mmap(uint64(f.phys_y), sy*h*3/2)
		if err != nil {
			release()
			return source.Frame{Name: s.name}, err
		}
		y, uv = all[:sy*h], all[sy*h:]
		unmapY = func() { C.nsv_munmap(unsafe.Pointer(unsafe.SliceData(all)), C.uint32_t(len(all))) }
		unmapUV = func() {}
		device = &source.DeviceFrame{Addr: unsafe.Pointer(unsafe.SliceData(all)), Size: len(all), Stride: sy}
	} else {
		var err error
		if y, err = s.mmap(uint64(f.phys_y), sy*h); err != nil {
			release()
			return source.Frame{Name: s.name}, err
		}
		unmapY = func() { C.nsv_munmap(unsafe.Pointer(unsafe.SliceData(y)), C.uint32_t(len(y))) }
		if uv, err = s.mmap(uint64(f.phys_uv), suv*h/2); err != nil {
			unmapY()
			release()
			return source.Frame{Name: s.name}, err
		}
		unmapUV = func() { C.nsv_munmap(unsafe.Pointer(unsafe.SliceData(uv)), C.uint32_t(len(uv))) }
	}
	img, err := preprocess.NewSemiPlanar(y, uv, w, h, sy, suv, f.vu != 0)
	if err != nil { // the checks above make it unreachable; kept for the release
		unmapUV()
		unmapY()
		release()
		return source.Frame{Name: s.name}, fmt.Errorf("%s: %w", s.name, err)
	}
	s.seq++
	var once sync.Once
	return source.Frame{Seq: s.seq, Capture: time.Now(), Image: img, Name: s.name, Device: device, Release: func() {
		once.Do(func() { unmapUV(); unmapY(); release() })
	}}, nil
}

// mmap maps n bytes of a frame plane.
func (s *Source) mmap(phys uint64, n int) ([]byte, error) {
	p := C.nsv_mmap(C.uint64_t(phys), C.uint32_t(n))
	if p == nil {
		return nil, fmt.Errorf("%s: mapping %d bytes at %#x failed", s.name, n, phys)
	}
	return unsafe.Slice((*byte)(p), n), nil
}
