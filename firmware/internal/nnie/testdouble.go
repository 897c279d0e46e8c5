//go:build nnie && nnietestdouble

package nnie

// int nnie_double_live(void);
// void nnie_double_fail_alloc(int n);
// int nnie_double_fallback_headers(void);
import "C"

// DoubleLive is what the test double has allocated, loaded or registered
// and not had back.
func DoubleLive() int { return int(C.nnie_double_live()) }

// DoubleFailAlloc makes the n-th MMZ allocation from now fail.
func DoubleFailAlloc(n int) { C.nnie_double_fail_alloc(C.int(n)) }

// DoubleFallbackHeaders reports whether the binding and its double were
// compiled against testdouble/'s fallback headers rather than the SDK's.
func DoubleFallbackHeaders() bool { return C.nnie_double_fallback_headers() != 0 }
