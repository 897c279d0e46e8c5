package yolo

import (
	"math"
	"unsafe"

	"github.com/nniescope/nniescope/shared/internal/errfmt"
	"github.com/nniescope/nniescope/shared/internal/le"
	"github.com/nniescope/nniescope/shared/tensor"
)

// rowReader dequantizes single rows of a validated Raw, so decoding reads
// only what it needs: every class logit once, box logits only for the
// cells that pass the score threshold.
type rowReader struct {
	r      Raw
	cols   int
	stride int
	inv    float32
}

func newRowReader(r Raw) (rowReader, error) {
	if _, err := r.validate(); err != nil {
		return rowReader{}, err
	}
	cols := r.Shape[len(r.Shape)-1]
	stride := r.RowStride
	if stride == 0 {
		stride = cols * r.Type.size()
	}
	return rowReader{r: r, cols: cols, stride: stride, inv: 1 / r.Scale}, nil
}

// view returns row i as float32s: the tensor's own memory when it already
// is aligned little-endian float32 (no copy: the class sweep touches every
// logit once), otherwise dst filled by row.
func (rr *rowReader) view(i int, dst []float32) []float32 {
	if rr.r.Type == RawF32 && littleEndian {
		b := rr.r.Data[i*rr.stride : i*rr.stride+rr.cols*4]
		if uintptr(unsafe.Pointer(unsafe.SliceData(b)))%4 == 0 {
			return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(b))), rr.cols)
		}
	}
	rr.row(i, dst)
	return dst
}

// mark sets hb[x] for every x where row i holds a value ≥ thr. Aligned
// F16 rows are compared as half-precision keys (k16 = halfKeyAtLeast(thr))
// without converting each value: the sweep reads every class logit, and
// the conversion is most of its cost. A NaN may be marked (its key lies
// past infinity's); the caller checks the real values of marked cells.
func (rr *rowReader) mark(i int, thr float32, k16 int32, hb []bool, tmp []float32) {
	if rr.r.Type == RawF16 && littleEndian {
		b := rr.r.Data[i*rr.stride : i*rr.stride+rr.cols*2]
		if uintptr(unsafe.Pointer(unsafe.SliceData(b)))%2 == 0 {
			src := unsafe.Slice((*uint16)(unsafe.Pointer(unsafe.SliceData(b))), rr.cols)
			src = src[:len(hb)]
			for x, h := range src {
				if halfKey(h) >= k16 {
					hb[x] = true
				}
			}
			return
		}
	}
	v := rr.view(i, tmp)
	v = v[:len(hb)]
	// Four logits per test: the branch is almost never taken, and one
	// loop trip per four values is a quarter of the loop overhead, which
	// the WASM build pays dearly for.
	x := 0
	for ; x+4 <= len(v); x += 4 {
		q := v[x : x+4 : x+4]
		if q[0] >= thr || q[1] >= thr || q[2] >= thr || q[3] >= thr {
			for k, w := range q {
				if w >= thr {
					hb[x+k] = true
				}
			}
		}
	}
	for ; x < len(v); x++ {
		if v[x] >= thr {
			hb[x] = true
		}
	}
}

// halfKey maps a binary16 to an integer of the same order as its value
// (both zeros to 0): sign-magnitude to two's complement, branch-free.
func halfKey(h uint16) int32 {
	s := int32(int16(h)) >> 15
	return (int32(h&0x7fff) ^ s) - s
}

// halfKeyAtLeast is the key of the smallest half value ≥ thr, or one past
// +Inf's key when none is (thr NaN or above +Inf): a binary search over
// the ordered non-NaN halves, from -Inf to +Inf.
func halfKeyAtLeast(thr float32) int32 {
	lo, hi := int32(-0x7c00), int32(0x7c01)
	for lo < hi {
		mid := lo + (hi-lo)/2
		h := uint16(mid)
		if mid < 0 {
			h = uint16(-mid) | 0x8000
		}
		if tensor.Float16ToFloat32(h) >= thr {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// row dequantizes row i into dst (len cols).
func (rr *rowReader) row(i int, dst []float32) {
	b := rr.r.Data[i*rr.stride : i*rr.stride+rr.cols*rr.r.Type.size()]
	off, inv := rr.r.Offset, rr.inv
	aligned := uintptr(unsafe.Pointer(unsafe.SliceData(b)))%4 == 0
	switch rr.r.Type {
	case RawF32:
		if aligned && littleEndian {
			// One load per value instead of four byte loads: it is what
			// makes the WASM build (and ARM) keep up.
			copy(dst, unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(b))), len(dst)))
			return
		}
		for k := range dst {
			dst[k] = math.Float32frombits(le.Uint32(b[4*k:]))
		}
	case RawF16:
		if aligned && littleEndian {
			f16Row(dst, unsafe.Slice((*uint16)(unsafe.Pointer(unsafe.SliceData(b))), len(dst)))
			return
		}
		for k := range dst {
			dst[k] = tensor.Float16ToFloat32(le.Uint16(b[2*k:]))
		}
	case RawS8:
		for k := range dst {
			dst[k] = (float32(int8(b[k])) - off) * inv
		}
	case RawU8:
		for k := range dst {
			dst[k] = (float32(b[k]) - off) * inv
		}
	case RawS16:
		if aligned && littleEndian {
			for k, q := range unsafe.Slice((*int16)(unsafe.Pointer(unsafe.SliceData(b))), len(dst)) {
				dst[k] = (float32(q) - off) * inv
			}
			return
		}
		for k := range dst {
			dst[k] = (float32(int16(le.Uint16(b[2*k:]))) - off) * inv
		}
	case RawS32x4096:
		for k := range dst {
			dst[k] = float32(int32(le.Uint32(b[4*k:]))) / 4096
		}
	}
}

// f16Row is tensor.Float16ToFloat32 over a row with the normal-number
// case inline: the F16 heads the board streams are almost all normal
// numbers, and a call per logit is what the WASM build pays most for.
func f16Row(dst []float32, src []uint16) {
	src = src[:len(dst)]
	for k, h := range src {
		if e := h >> 10 & 0x1f; e-1 < 30 {
			dst[k] = math.Float32frombits(uint32(h&0x8000)<<16 | (uint32(e)+127-15)<<23 | uint32(h&0x3ff)<<13)
		} else {
			dst[k] = tensor.Float16ToFloat32(h)
		}
	}
}

// littleEndian: the tensors are little-endian; reinterpreting bytes in
// place is only right on a little-endian host.
var littleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// at dequantizes one element (row-major index i).
func (rr *rowReader) at(i int) float32 { return rr.get(i/rr.cols, i%rr.cols) }

// get dequantizes the element at row, col.
func (rr *rowReader) get(row, col int) float32 {
	es := rr.r.Type.size()
	b := rr.r.Data[row*rr.stride+col*es:]
	switch rr.r.Type {
	case RawF32:
		return math.Float32frombits(le.Uint32(b))
	case RawF16:
		return tensor.Float16ToFloat32(le.Uint16(b))
	case RawS8:
		return (float32(int8(b[0])) - rr.r.Offset) * rr.inv
	case RawU8:
		return (float32(b[0]) - rr.r.Offset) * rr.inv
	case RawS16:
		return (float32(int16(le.Uint16(b))) - rr.r.Offset) * rr.inv
	}
	return float32(int32(le.Uint32(b))) / 4096
}

// decodeRawHeads decodes reg/cls pairs of board tensors (the one YOLOv8
// head decoder): each level's stride is strides[level], or the input
// height over the grid height when strides is nil.
func decodeRawHeads(tensors []Raw, inputH int, strides []int, p Params) ([]Detection, error) {
	thr := logit(p.ScoreThreshold)
	k16 := halfKeyAtLeast(thr)
	var dets []Detection
	for li := 0; li < len(tensors); li += 2 {
		reg, err := newRowReader(tensors[li])
		if err != nil {
			return nil, errfmt.Errorf("tensor %d: %w", li, err)
		}
		cls, err := newRowReader(tensors[li+1])
		if err != nil {
			return nil, errfmt.Errorf("tensor %d: %w", li+1, err)
		}
		rs, cs := reg.r.Shape, cls.r.Shape
		if len(rs) != 4 || len(cs) != 4 || rs[1] != 4*RegMax || cs[2] != rs[2] || cs[3] != rs[3] || rs[2] == 0 {
			return nil, errfmt.Errorf("%w: level %d: reg %v and cls %v do not form a YOLOv8 head", ErrTensor, li/2, rs, cs)
		}
		h, w, nc := rs[2], rs[3], cs[1]
		stride := inputH / h
		if strides != nil {
			stride = strides[li/2]
		}
		if stride <= 0 {
			return nil, errfmt.Errorf("%w: level %d: grid height %d exceeds the input height %d", ErrTensor, li/2, h, inputH)
		}
		hw := h * w
		// The class sweep only asks which cells have a logit at or above
		// the threshold: a load and a compare per logit, no stores, which
		// is what keeps the WASM build fast. Most cells have none; the best
		// class is then found for the few that do.
		hit := make([]bool, hw)
		row := make([]float32, w)
		for c := range nc {
			for y := range h {
				cls.mark(c*h+y, thr, k16, hit[y*w:(y+1)*w], row)
			}
		}
		var bins [RegMax]float32
		for cell, ok := range hit {
			if !ok {
				continue
			}
			y, x := cell/w, cell%w
			// Ties go to the lowest class id, as in Ultralytics' argmax; a
			// NaN is never a maximum unless it is class 0's, and then the
			// cell does not pass.
			b, arg := cls.get(y, x), 0
			for c := 1; c < nc; c++ {
				if q := cls.get(c*h+y, x); q > b {
					b, arg = q, c
				}
			}
			if !(b >= thr) {
				continue
			}
			var dist [4]float32
			for side := range 4 {
				for k := range RegMax {
					bins[k] = reg.at((side*RegMax+k)*hw + cell)
				}
				dist[side] = dflBins(&bins)
			}
			ax, ay := float32(cell%w)+0.5, float32(cell/w)+0.5
			s := float32(stride)
			dets = append(dets, Detection{
				ClassID: arg,
				Score:   sigmoid(b),
				Box:     [4]float32{(ax - dist[0]) * s, (ay - dist[1]) * s, (ax + dist[2]) * s, (ay + dist[3]) * s},
			})
		}
	}
	return Filter(dets, p), nil
}

// dflBins is the expectation of the softmax over the bins.
func dflBins(bins *[RegMax]float32) float32 {
	m := bins[0]
	for _, v := range bins[1:] {
		m = max(m, v)
	}
	var sum, acc float32
	for k, v := range bins {
		e := float32(math.Exp(float64(v - m)))
		sum += e
		acc += e * float32(k)
	}
	return acc / sum
}
