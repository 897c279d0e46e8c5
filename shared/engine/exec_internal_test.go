package engine

import (
	"sync/atomic"
	"testing"
	"time"
)

// Claimed blocks cover the range once each, for any thread count and
// grain, and run on valid worker indices.
func TestParallelCoversOnce(t *testing.T) {
	for _, threads := range []int{1, 2, 3, 5} {
		for _, tc := range []struct{ n, grain int }{{0, 1}, {1, 1}, {7, 1}, {100, 3}, {1000, 64}, {5, 10}} {
			x := &exec{threads: threads}
			if threads > 1 {
				x.pool = newPool(threads - 1)
			}
			hits := make([]atomic.Int32, tc.n)
			var bad atomic.Bool
			for range 20 { // the pool is reused across jobs
				for i := range hits {
					hits[i].Store(0)
				}
				x.parallelW(tc.n, tc.grain, func(w, lo, hi int) {
					if w < 0 || w >= threads || lo < 0 || hi > tc.n || lo >= hi {
						bad.Store(true)
					}
					for i := lo; i < hi; i++ {
						hits[i].Add(1)
					}
				})
				for i := range hits {
					if h := hits[i].Load(); h != 1 {
						t.Fatalf("%d threads, n %d grain %d: index %d run %d times", threads, tc.n, tc.grain, i, h)
					}
				}
			}
			if bad.Load() {
				t.Errorf("%d threads, n %d grain %d: a block with a bad worker or range", threads, tc.n, tc.grain)
			}
			if x.pool != nil {
				x.pool.close()
			}
		}
	}
}

// A worker held up on its first block does not hold up the others: they
// take every other block (with a chunk per worker, the held one's chunk
// waited for it, and this test would hang until its guard).
func TestParallelRoutesAroundAStalledWorker(t *testing.T) {
	const n = 64
	x := &exec{threads: 2, pool: newPool(1)}
	defer x.pool.close()
	var done atomic.Int32
	var stalled atomic.Bool
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		x.parallelW(n, 1, func(w, lo, hi int) {
			if w == 1 && stalled.CompareAndSwap(false, true) {
				// Held until every other block is done.
				for done.Load() < n-1 {
					time.Sleep(time.Millisecond)
				}
			}
			done.Add(int32(hi - lo))
		})
	}()
	select {
	case <-finished:
	case <-time.After(time.Minute):
		t.Fatalf("the loop waited on the stalled worker: %d of %d blocks done", done.Load(), n)
	}
	if done.Load() != n {
		t.Fatalf("%d of %d blocks done", done.Load(), n)
	}
}
