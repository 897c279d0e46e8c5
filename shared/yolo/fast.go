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

// littleEndian: the tensors are little-endian; reinterpreting bytes in
// place is only right on a little-endian host.
var littleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// at dequantizes one element (row-major index i).
func (rr *rowReader) at(i int) float32 {
	row, col := i/rr.cols, i%rr.cols
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

// decodeRawHeads is DecodeHeads straight from board tensors.
func decodeRawHeads(tensors []Raw, inputH int, p Params) ([]Detection, error) {
	thr := logit(p.ScoreThreshold)
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
		if stride <= 0 {
			return nil, errfmt.Errorf("%w: level %d: grid height %d exceeds the input height %d", ErrTensor, li/2, h, inputH)
		}
		hw := h * w
		best := make([]float32, hw)
		arg := make([]int32, hw)
		row := make([]float32, w)
		for c := range nc {
			for y := range h {
				cls.row(c*h+y, row)
				bb, aa := best[y*w:(y+1)*w], arg[y*w:(y+1)*w]
				for x, v := range row {
					if c == 0 || v > bb[x] {
						bb[x], aa[x] = v, int32(c)
					}
				}
			}
		}
		var bins [RegMax]float32
		for cell, b := range best {
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
				ClassID: int(arg[cell]),
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
