//go:build vpss && vpsstestdouble

package vpss

// int nsv_double_outstanding(void);
import "C"

// outstanding is what the test double has handed out and not had back:
// frames not released, plus 1000 per mapping not unmapped.
func outstanding() int { return int(C.nsv_double_outstanding()) }
