//go:build vpss && vpsstestdouble

package vpss

// int nsv_double_outstanding(void);
// int nsv_double_fallback_headers(void);
import "C"

// outstanding is what the test double has handed out and not had back:
// frames not released, plus 1000 per mapping not unmapped.
func outstanding() int { return int(C.nsv_double_outstanding()) }

// doubleFallbackHeaders reports whether the shim and its double were
// compiled against testdouble/'s fallback headers rather than the SDK's.
func doubleFallbackHeaders() bool { return C.nsv_double_fallback_headers() != 0 }
