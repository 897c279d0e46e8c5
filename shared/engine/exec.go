package engine

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// exec is a session's execution context: its thread count, scratch memory
// (grown once, then reused so steady-state runs do not allocate) and its
// worker pool.
type exec struct {
	threads int
	scratch []float32
	padded  []float32 // a convolution's zero-bordered input
	pool    *pool     // nil with one thread
}

// buf returns scratch space of n floats; contents are undefined.
func (x *exec) buf(n int) []float32 {
	if cap(x.scratch) < n {
		x.scratch = make([]float32, n)
	}
	return x.scratch[:n]
}

// padBuf returns a second scratch space of n floats, for a convolution's
// padded input while buf holds its panels; contents are undefined.
func (x *exec) padBuf(n int) []float32 {
	if cap(x.padded) < n {
		x.padded = make([]float32, n)
	}
	return x.padded[:n]
}

// parallel runs fn over [0,n) in blocks of grain items (at least 1)
// that each worker claims as it becomes free, the first worker being the
// calling goroutine; a range of at most grain items runs serially, as
// one call. A thread held up (by the OS, or a neighbour on a shared host)
// then does not hold the loop up, as it would with one fixed chunk per
// thread. The blocks are fixed — [i·grain, (i+1)·grain) — whoever runs
// them, so a kernel whose result depends on where a range starts and
// ends (a vector loop and its scalar tail) gives the same bits on every
// run, and with a grain that is a multiple of its vector width, the same
// bits as one serial call.
func (x *exec) parallel(n, grain int, fn func(lo, hi int)) {
	x.parallelW(n, grain, func(_, lo, hi int) { fn(lo, hi) })
}

// parallelW is parallel with the worker index (0..threads-1) passed to fn,
// for per-worker scratch space; fn may be called several times per
// worker.
func (x *exec) parallelW(n, grain int, fn func(w, lo, hi int)) {
	grain = max(grain, 1)
	if n <= 0 {
		return
	}
	if x.threads <= 1 || x.pool == nil || n <= grain {
		fn(0, 0, n)
		return
	}
	x.pool.runClaimed(n, grain, fn)
}

// parallelChunks splits [0,n) into one contiguous chunk per thread (at
// most n), each fn call a whole chunk: for work whose cost per call is
// high (a convolution split by output channels packs every panel in each
// call).
func (x *exec) parallelChunks(n int, fn func(w, lo, hi int)) {
	t := min(x.threads, n)
	if t <= 1 || x.pool == nil {
		fn(0, 0, n)
		return
	}
	x.pool.run(n, t, fn)
}

// pool runs chunks of a parallel loop on long-lived workers. A model run
// issues a few hundred short parallel loops; waking a parked goroutine for
// each costs tens of microseconds, so workers spin for a while after a job
// before parking, as onnxruntime's thread pool does.
type pool struct {
	workers int
	gen     atomic.Uint64 // bumped once per job
	pending atomic.Int32  // workers still busy with the current job
	quit    atomic.Bool
	mu      sync.Mutex
	wake    *sync.Cond
	// The current job, written before gen is bumped.
	fn    func(w, lo, hi int)
	n     int
	parts int // fixed chunks; 0: blocks of grain claimed from next
	grain int
	next  atomic.Int64
}

// spinLimit bounds a worker's busy wait (about 50 µs) before it parks.
const spinLimit = 1 << 15

func newPool(workers int) *pool {
	p := &pool{workers: workers}
	p.wake = sync.NewCond(&p.mu)
	for i := range workers {
		go p.work(i + 1)
	}
	return p
}

func (p *pool) chunk(w int) (int, int) {
	c := (p.n + p.parts - 1) / p.parts
	return min(w*c, p.n), min((w+1)*c, p.n)
}

func (p *pool) run(n, parts int, fn func(w, lo, hi int)) {
	p.fn, p.n, p.parts = fn, n, parts
	p.start()
	if lo, hi := p.chunk(0); lo < hi {
		fn(0, lo, hi)
	}
	p.wait()
}

func (p *pool) runClaimed(n, grain int, fn func(w, lo, hi int)) {
	p.fn, p.n, p.parts, p.grain = fn, n, 0, grain
	p.next.Store(0)
	p.start()
	p.claim(0)
	p.wait()
}

// claim runs the current job's blocks until none is left.
func (p *pool) claim(w int) {
	for {
		lo := int(p.next.Add(int64(p.grain))) - p.grain
		if lo >= p.n {
			return
		}
		p.fn(w, lo, min(lo+p.grain, p.n))
	}
}

// start publishes the job to the workers.
func (p *pool) start() {
	p.pending.Store(int32(p.workers))
	p.mu.Lock()
	p.gen.Add(1)
	p.wake.Broadcast()
	p.mu.Unlock()
}

// wait returns when every worker is done with the job.
func (p *pool) wait() {
	for i := 0; p.pending.Load() != 0; i++ {
		if i&63 == 63 {
			runtime.Gosched() // with fewer Ps than workers, let them run
		}
	}
	p.fn = nil
}

func (p *pool) work(w int) {
	var seen uint64
	for {
		spins := 0
		for p.gen.Load() == seen {
			if p.quit.Load() {
				return
			}
			if spins++; spins > spinLimit {
				p.mu.Lock()
				for p.gen.Load() == seen && !p.quit.Load() {
					p.wake.Wait()
				}
				p.mu.Unlock()
				spins = 0
			}
		}
		seen = p.gen.Load()
		if p.parts == 0 {
			p.claim(w)
		} else if w < p.parts {
			if lo, hi := p.chunk(w); lo < hi {
				p.fn(w, lo, hi)
			}
		}
		p.pending.Add(-1)
	}
}

func (p *pool) close() {
	p.quit.Store(true)
	p.mu.Lock()
	p.wake.Broadcast()
	p.mu.Unlock()
}
