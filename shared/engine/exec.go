package engine

import "sync"

// exec is a session's execution context: its thread count and scratch
// memory, grown once and then reused so steady-state runs do not allocate.
type exec struct {
	threads int
	scratch []float32
	wg      sync.WaitGroup
}

// buf returns scratch space of n floats; contents are undefined.
func (x *exec) buf(n int) []float32 {
	if cap(x.scratch) < n {
		x.scratch = make([]float32, n)
	}
	return x.scratch[:n]
}

// parallel splits [0,n) into at most x.threads contiguous chunks and runs fn
// on each, the last on the calling goroutine. Work below grain items runs
// serially: a goroutine costs about a microsecond.
func (x *exec) parallel(n, grain int, fn func(lo, hi int)) {
	x.parallelW(n, grain, func(_, lo, hi int) { fn(lo, hi) })
}

// parallelW is parallel with the worker index (0..threads-1) passed to fn,
// for per-worker scratch space.
func (x *exec) parallelW(n, grain int, fn func(w, lo, hi int)) {
	t := x.threads
	if t > n/max(grain, 1) {
		t = n / max(grain, 1)
	}
	if t <= 1 {
		fn(0, 0, n)
		return
	}
	chunk := (n + t - 1) / t
	w := 1
	for lo := chunk; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		x.wg.Add(1)
		go func(w, lo, hi int) {
			defer x.wg.Done()
			fn(w, lo, hi)
		}(w, lo, hi)
		w++
	}
	fn(0, 0, min(chunk, n))
	x.wg.Wait()
}
