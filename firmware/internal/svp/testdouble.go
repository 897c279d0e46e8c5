//go:build svp && svptestdouble

package svp

/*
#cgo CFLAGS: -I${SRCDIR}/testdouble
#include <stdlib.h>
int svp_double_external_inputs(void);
int svp_double_live(void);
void svp_double_fail_malloc(int n);
int svp_double_fallback_headers(void);
*/
import "C"

import "unsafe"

// deviceMemory stands for memory the NPU can read that the runtime did
// not allocate (a VPSS frame's VB block), for tests: C memory.
func deviceMemory(n int) unsafe.Pointer { return C.malloc(C.size_t(n)) }

func freeDeviceMemory(p unsafe.Pointer) { C.free(p) }

// DoubleExternalInputs is how many executes of the test double read their
// input from memory the runtime did not allocate (a frame in place).
func DoubleExternalInputs() int { return int(C.svp_double_external_inputs()) }

// DoubleLive is what the test double has handed out and not had back:
// allocations, data buffers, datasets, descriptors, a loaded model.
func DoubleLive() int { return int(C.svp_double_live()) }

// DoubleFailMalloc makes the n-th svp_acl_rt_malloc from now fail.
func DoubleFailMalloc(n int) { C.svp_double_fail_malloc(C.int(n)) }

// DoubleFallbackHeaders reports whether the test double (and so the
// binding) was compiled against testdouble/'s fallback headers rather
// than the SDK's.
func DoubleFallbackHeaders() bool { return C.svp_double_fallback_headers() != 0 }
