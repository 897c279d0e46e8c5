// Package letterbox is the frame contract's geometry: how a picture sits
// in the model input (scaled to fit, centred, padded). Pre-processing
// makes one, the wire carries it, the post-process maps boxes back with
// it; there is no other type for it.
package letterbox

import (
	"math"

	"github.com/nniescope/nniescope/shared/internal/errfmt"
)

// Geometry fits a SrcW×SrcH picture into a DstW×DstH model input: scaled
// by Scale, offset by the left and top padding. Scale 0 means boxes stay
// in input pixels (a producer that did not letterbox says so).
type Geometry struct {
	SrcW, SrcH      int     // the picture
	DstW, DstH      int     // the model input
	Scale           float64 // input pixels per picture pixel
	PadLeft, PadTop int     // input pixels left of and above the picture
}

// Fit is Ultralytics' LetterBox(auto=False, scaleup=True, center=True):
// round-half-even sizes and the "-0.1" rounding of the left/top padding,
// so boxes land where Ultralytics' do.
func Fit(srcW, srcH, dstW, dstH int) (Geometry, error) {
	if srcW <= 0 || srcH <= 0 || dstW <= 0 || dstH <= 0 {
		return Geometry{}, errfmt.Errorf("letterbox %dx%d into %dx%d: sizes must be positive", srcW, srcH, dstW, dstH)
	}
	g := Geometry{SrcW: srcW, SrcH: srcH, DstW: dstW, DstH: dstH, Scale: math.Min(float64(dstH)/float64(srcH), float64(dstW)/float64(srcW))}
	nw, nh := g.Inner()
	g.PadLeft = int(math.RoundToEven(float64(dstW-nw)/2 - 0.1))
	g.PadTop = int(math.RoundToEven(float64(dstH-nh)/2 - 0.1))
	return g, nil
}

// Inner is the size of the scaled picture inside the input.
func (g Geometry) Inner() (w, h int) {
	return int(math.RoundToEven(float64(g.SrcW) * g.Scale)), int(math.RoundToEven(float64(g.SrcH) * g.Scale))
}

// ToSource maps a point in input pixels to picture pixels.
func (g Geometry) ToSource(x, y float64) (float64, float64) {
	return (x - float64(g.PadLeft)) / g.Scale, (y - float64(g.PadTop)) / g.Scale
}

// MapBack maps a box (x1, y1, x2, y2 in input pixels) to picture pixels,
// clipped to the picture, in place. With Scale 0 it does nothing.
func (g Geometry) MapBack(b *[4]float32) {
	if g.Scale <= 0 {
		return
	}
	for k := 0; k < 4; k += 2 {
		b[k] = clip(float32((float64(b[k])-float64(g.PadLeft))/g.Scale), float32(g.SrcW))
		b[k+1] = clip(float32((float64(b[k+1])-float64(g.PadTop))/g.Scale), float32(g.SrcH))
	}
}

func clip(v, hi float32) float32 { return max(0, min(v, hi)) }

// MaxSide bounds picture and input sides read from bytes: a side over
// 65536 pixels is beyond any camera or model input.
const MaxSide = 1 << 16

// Decode checks a geometry as the wire and the decode request carry it
// (sides as uint32, paddings as float32): sides up to MaxSide, a finite
// scale ≥ 0 (0: no mapping back), whole paddings inside the input.
func Decode(dstW, dstH uint32, scale float64, padLeft, padTop float32, srcW, srcH uint32) (Geometry, error) {
	if dstW > MaxSide || dstH > MaxSide || srcW > MaxSide || srcH > MaxSide {
		return Geometry{}, errfmt.Errorf("input %dx%d, source %dx%d: want sides of at most %d", dstW, dstH, srcW, srcH, MaxSide)
	}
	if math.IsNaN(scale) || math.IsInf(scale, 0) || scale < 0 {
		return Geometry{}, errfmt.Errorf("letterbox scale %v: want a finite value ≥ 0", scale)
	}
	pl, pt := float64(padLeft), float64(padTop)
	if !(pl >= 0 && pl <= float64(dstW) && pl == math.Trunc(pl)) || !(pt >= 0 && pt <= float64(dstH) && pt == math.Trunc(pt)) {
		return Geometry{}, errfmt.Errorf("padding %v,%v: want whole pixels inside the %dx%d input", padLeft, padTop, dstW, dstH)
	}
	return Geometry{SrcW: int(srcW), SrcH: int(srcH), DstW: int(dstW), DstH: int(dstH), Scale: scale, PadLeft: int(pl), PadTop: int(pt)}, nil
}
