// Package preprocess turns camera frames and image files into the model's
// input tensor the way the board does: letterbox (keep ratio, centred, pad
// 114), RGB, float 0..1, NCHW. The recorded geometry maps boxes back to
// the original image exactly.
package preprocess

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"os"

	"github.com/disintegration/imaging"

	"github.com/nniescope/nniescope/shared/letterbox"
)

// PadValue is the letterbox fill, as Ultralytics and the vendor samples use.
const PadValue = 114

// MaxPixels bounds the images Open decodes (100 megapixels): a file's
// header is checked before its pixels are allocated, so a small file that
// claims to be huge is an error, not an out-of-memory kill.
const MaxPixels = 100 << 20

// Open decodes a JPEG or PNG file, honouring EXIF orientation; grayscale
// and paletted images come out as RGB(A). It refuses images over MaxPixels.
func Open(path string) (image.Image, error) { return OpenLimit(path, MaxPixels) }

// OpenLimit is Open with a pixel limit of its own (the board's is smaller).
func OpenLimit(path string, maxPixels int) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("preprocess: %w", err)
	}
	cfg, _, err := image.DecodeConfig(f)
	f.Close()
	switch {
	case errors.Is(err, image.ErrFormat):
		return nil, fmt.Errorf("preprocess: %s: not an image (want a JPEG or PNG file)", path)
	case err != nil:
		return nil, fmt.Errorf("preprocess: %s: cannot read the image header: %w", path, err)
	case cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > int64(maxPixels):
		return nil, fmt.Errorf("preprocess: %s: %dx%d image: want at most %d pixels", path, cfg.Width, cfg.Height, maxPixels)
	}
	if err := CheckDecodedSize(cfg, maxPixels); err != nil {
		return nil, fmt.Errorf("preprocess: %s: %w", path, err)
	}
	img, err := imaging.Open(path, imaging.AutoOrientation(true))
	if err != nil {
		return nil, fmt.Errorf("preprocess: %s: cannot decode image: %w", path, err)
	}
	return img, nil
}

// CheckDecodedSize bounds the memory an image takes once decoded, from its
// header: at most maxPixels × 4 bytes (what an 8-bit RGBA picture of the
// allowed pixels takes). A pixel limit alone let a 16-bit PNG of 130 KB,
// 4096x4096 and under the limit, decode to 128 MB (8 bytes a pixel).
func CheckDecodedSize(cfg image.Config, maxPixels int) error {
	px := int64(cfg.Width) * int64(cfg.Height)
	bpp := int64(4)
	switch cfg.ColorModel {
	case color.RGBA64Model, color.NRGBA64Model:
		bpp = 8
	case color.Gray16Model:
		bpp = 2
	case color.GrayModel:
		bpp = 1
	}
	if px*bpp > int64(maxPixels)*4 {
		return fmt.Errorf("%dx%d image of %d bytes a pixel decodes to %d MB: want at most %d MB (%d pixels of 4 bytes)", cfg.Width, cfg.Height, bpp, px*bpp>>20, int64(maxPixels)*4>>20, maxPixels)
	}
	return nil
}

// File opens path and letterboxes it into dst, as Image does.
func File(path string, dstW, dstH int, dst []float32) (letterbox.Geometry, error) {
	img, err := Open(path)
	if err != nil {
		return letterbox.Geometry{}, err
	}
	l, err := Image(img, dstW, dstH, dst)
	if err != nil {
		return l, fmt.Errorf("preprocess: %s: %w", path, err)
	}
	return l, nil
}

// Image letterboxes img into dst ([1,3,DstH,DstW] float32, len 3·DstW·DstH)
// with bilinear resampling on half-pixel centres (OpenCV INTER_LINEAR
// geometry) rounded to uint8, then scaled to 0..1.
func Image(img image.Image, dstW, dstH int, dst []float32) (letterbox.Geometry, error) {
	b := img.Bounds()
	l, err := letterbox.Fit(b.Dx(), b.Dy(), dstW, dstH)
	if err != nil {
		return l, err
	}
	if len(dst) != 3*dstW*dstH {
		return l, fmt.Errorf("preprocess: destination holds %d values, want %d", len(dst), 3*dstW*dstH)
	}
	fillPad(dst, l)
	switch p := img.(type) {
	case *image.YCbCr:
		// What JPEG decodes to: converted a row at a time as the resize
		// reads them, not copied whole (1.2 MB of garbage per 640x480
		// frame on the board). The conversion is imaging.Clone's (and
		// image/color's) integer one, so the result is the same.
		resizeBilinear(ycbcrRows(p), b.Dx(), b.Dy(), 4, dst, l)
		return l, nil
	case *SemiPlanar:
		// A camera frame, read in its buffer a row at a time.
		resizeBilinear(cachedRows(p.W, p.rowRGBA), p.W, p.H, 4, dst, l)
		return l, nil
	case *image.NRGBA:
		// What imaging.Clone makes: read in place (a clone would be one
		// more frame-sized allocation per image).
		resizeBilinear(packedRows(p.Pix[p.PixOffset(b.Min.X, b.Min.Y):], p.Stride), b.Dx(), b.Dy(), 4, dst, l)
		return l, nil
	case *image.RGBA:
		// What PNG decodes RGB to. Opaque, its pixels are what the clone
		// to NRGBA holds; with alpha the clone un-premultiplies.
		if p.Opaque() {
			resizeBilinear(packedRows(p.Pix[p.PixOffset(b.Min.X, b.Min.Y):], p.Stride), b.Dx(), b.Dy(), 4, dst, l)
			return l, nil
		}
	}
	src := imaging.Clone(img) // NRGBA, origin at 0,0
	resizeBilinear(packedRows(src.Pix, src.Stride), b.Dx(), b.Dy(), 4, dst, l)
	return l, nil
}

func fillPad(dst []float32, l letterbox.Geometry) {
	pad := float32(PadValue) / 255
	for i := range dst {
		dst[i] = pad
	}
}

// rowFunc returns row y of a picture as packed 8-bit pixels (RGB first);
// the slice stays valid while one other row is asked for.
type rowFunc func(y int) []byte

func packedRows(pix []byte, stride int) rowFunc {
	return func(y int) []byte { return pix[y*stride:] }
}

// ycbcrRows converts rows of a YCbCr picture to RGBA on demand, keeping
// two: a miss never replaces the row returned last, so both rows of a
// bilinear step stay valid.
func ycbcrRows(img *image.YCbCr) rowFunc {
	return cachedRows(img.Rect.Dx(), func(y int, row []byte) {
		sy := img.Rect.Min.Y + y
		for x := range img.Rect.Dx() {
			sx := img.Rect.Min.X + x
			yi, ci := img.YOffset(sx, sy), img.COffset(sx, sy)
			r, g, b := color.YCbCrToRGB(img.Y[yi], img.Cb[ci], img.Cr[ci])
			row[4*x], row[4*x+1], row[4*x+2], row[4*x+3] = r, g, b, 255
		}
	})
}

// cachedRows converts rows of a w-pixel-wide picture to RGBA with convert
// on demand, keeping two.
func cachedRows(w int, convert func(y int, row []byte)) rowFunc {
	var bufs [2][]byte
	at := [2]int{-1, -1}
	last := 0
	return func(y int) []byte {
		for i := range at {
			if at[i] == y {
				last = i
				return bufs[i]
			}
		}
		i := 1 - last
		if bufs[i] == nil {
			bufs[i] = make([]byte, 4*w)
		}
		convert(y, bufs[i])
		at[i], last = y, i
		return bufs[i]
	}
}

// resizeBilinear samples a picture (rows of bpp bytes per pixel, RGB
// first) into the letterbox area of the planar dst.
func resizeBilinear(rows rowFunc, w, h, bpp int, dst []float32, l letterbox.Geometry) {
	plane := l.DstW * l.DstH
	nw, nh := l.Inner()
	same := nw == w && nh == h
	x0s, x1s, fxs := axisWeights(w, nw)
	for oy := range nh {
		var y0, y1 int
		var fy float64
		if same {
			y0, y1 = oy, oy
		} else {
			sy := (float64(oy)+0.5)*float64(h)/float64(nh) - 0.5
			y0, y1, fy = clampPair(sy, h)
		}
		r0 := rows(y0)
		r1 := rows(y1)
		drow := (oy + l.PadTop) * l.DstW
		for ox := range nw {
			di := drow + ox + l.PadLeft
			if same {
				for c := range 3 {
					dst[c*plane+di] = float32(r0[ox*bpp+c]) / 255
				}
				continue
			}
			x0, x1, fx := x0s[ox], x1s[ox], fxs[ox]
			for c := range 3 {
				a := float64(r0[x0*bpp+c])*(1-fx) + float64(r0[x1*bpp+c])*fx
				bb := float64(r1[x0*bpp+c])*(1-fx) + float64(r1[x1*bpp+c])*fx
				v := math.RoundToEven(a*(1-fy) + bb*fy)
				dst[c*plane+di] = float32(uint8(v)) / 255
			}
		}
	}
}

func axisWeights(src, dst int) ([]int, []int, []float64) {
	x0 := make([]int, dst)
	x1 := make([]int, dst)
	f := make([]float64, dst)
	for o := range dst {
		s := (float64(o)+0.5)*float64(src)/float64(dst) - 0.5
		x0[o], x1[o], f[o] = clampPair(s, src)
	}
	return x0, x1, f
}

// clampPair returns the two neighbours of coordinate s and the weight of
// the second, clamped to the border as OpenCV does.
func clampPair(s float64, n int) (int, int, float64) {
	if s <= 0 {
		return 0, 0, 0
	}
	i := int(s)
	f := s - float64(i)
	if i >= n-1 {
		return n - 1, n - 1, 0
	}
	return i, i + 1, f
}

// NV12 letterboxes a YUV420SP frame (a Y plane of w×h bytes, then
// interleaved U,V at half resolution) as a camera's VPSS delivers it,
// converting with BT.601 limited-range coefficients (what the vendor's
// AIPP csc presets use for YUV420SP to RGB).
func NV12(frame []byte, w, h, dstW, dstH int, dst []float32) (letterbox.Geometry, error) {
	if w <= 0 || h <= 0 || w%2 != 0 || h%2 != 0 {
		return letterbox.Geometry{}, fmt.Errorf("preprocess: NV12 frame %dx%d: width and height must be positive and even", w, h)
	}
	if need := w * h * 3 / 2; len(frame) != need {
		return letterbox.Geometry{}, fmt.Errorf("preprocess: NV12 frame %dx%d needs %d bytes, have %d", w, h, need, len(frame))
	}
	p, err := NewSemiPlanar(frame[:w*h], frame[w*h:], w, h, w, w, false)
	if err != nil {
		return letterbox.Geometry{}, err
	}
	return Image(p, dstW, dstH, dst)
}

// YUVToRGB converts one BT.601 limited-range pixel.
func YUVToRGB(y, u, v byte) (r, g, b byte) {
	Y := float64(y) - 16
	U, V := float64(u)-128, float64(v)-128
	return clamp8(1.164*Y + 1.596*V), clamp8(1.164*Y - 0.392*U - 0.813*V), clamp8(1.164*Y + 2.017*U)
}

func clamp8(v float64) byte {
	return byte(math.Max(0, math.Min(255, math.Round(v))))
}
