package main

import (
	"hash/maphash"
	"sync"

	"github.com/nniescope/nniescope/internal/rawws"
	"github.com/nniescope/nniescope/shared/wire"
)

// The bench's viewers read with rawws: a message is timed when its bytes
// arrived. Inflating is a viewer's own work, done by a browser on its own
// machine; here it would run on the cores the board uses, so the bench
// inflates each distinct message once (validator) and checks every other
// compressed copy against it.

// header reads a message's header; a deflated one is inflated only as
// far as the header reaches.
func header(p []byte, deflated bool) (wire.Header, error) {
	if !deflated {
		return wire.PeekHeader(p)
	}
	for n := 256; ; n *= 16 {
		b, err := rawws.Inflate(p, n)
		if err != nil {
			return wire.Header{}, err
		}
		h, err := wire.PeekHeader(b)
		if err == nil || len(b) < n {
			return h, err
		}
	}
}

// validator fully decodes each distinct deflated message once; copies
// other viewers received are checked against it by hash (a prepared
// message is the same bytes for every compressed viewer).
type validator struct {
	seed maphash.Seed
	mu   sync.Mutex
	seen map[[2]uint64]bool // (sequence<<16|index, payload hash) → valid
}

func newValidator() *validator {
	return &validator{seed: maphash.MakeSeed(), seen: map[[2]uint64]bool{}}
}

// valid says whether a deflated message decodes to a well-formed one.
func (v *validator) valid(h wire.Header, p []byte) bool {
	key := [2]uint64{h.Seq<<16 | uint64(h.Index), maphash.Bytes(v.seed, p)}
	v.mu.Lock()
	ok, done := v.seen[key]
	v.mu.Unlock()
	if done {
		return ok
	}
	ok = wellFormed(p, true)
	v.mu.Lock()
	v.seen[key] = ok
	if len(v.seen) > 1<<14 { // old frames are not asked for again
		for k := range v.seen {
			if k[0]>>16+64 < h.Seq {
				delete(v.seen, k)
			}
		}
	}
	v.mu.Unlock()
	return ok
}

// wellFormed decodes a message fully: a result's tensors, an image's
// bytes, an error's text.
func wellFormed(p []byte, deflated bool) bool {
	if deflated {
		var err error
		if p, err = rawws.Inflate(p, 64<<20); err != nil {
			return false
		}
	}
	h, err := wire.PeekHeader(p)
	if err != nil {
		return false
	}
	switch h.Kind {
	case wire.KindResult:
		_, err = wire.DecodeResult(p)
	case wire.KindImage:
		_, err = wire.DecodeImage(p)
	case wire.KindError:
		_, err = wire.DecodeError(p)
	}
	return err == nil
}
