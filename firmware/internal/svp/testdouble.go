//go:build svp && svptestdouble

package svp

/*
#cgo CFLAGS: -I${SRCDIR}/testdouble
#include <stdlib.h>
int svp_double_external_inputs(void);
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
