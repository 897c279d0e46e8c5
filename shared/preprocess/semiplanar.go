package preprocess

import (
	"fmt"
	"image"
	"image/color"
)

// SemiPlanar is a YUV420SP picture read where it lies — a camera's VPSS
// frame mapped from its buffer pool, or a raw NV12 file's frame — with
// BT.601 limited-range colours (YUVToRGB): a luma plane of rows StrideY
// bytes apart, then the half-height chroma plane, interleaved U,V (NV12)
// or, with VU, V,U (NV21: HiSilicon's YVU_SEMIPLANAR_420), rows StrideUV
// apart. Image converts only the rows its resize reads, so a camera frame
// reaches the model input without being copied whole.
type SemiPlanar struct {
	Y, UV             []byte
	W, H              int
	StrideY, StrideUV int
	VU                bool
}

// NewSemiPlanar checks a picture's geometry against its planes.
func NewSemiPlanar(y, uv []byte, w, h, strideY, strideUV int, vu bool) (*SemiPlanar, error) {
	switch {
	case w <= 0 || h <= 0 || w%2 != 0 || h%2 != 0:
		return nil, fmt.Errorf("preprocess: YUV420SP picture %dx%d: width and height must be positive and even", w, h)
	case strideY < w || strideUV < w:
		return nil, fmt.Errorf("preprocess: YUV420SP picture %dx%d: strides %d (luma) and %d (chroma) must be at least the width", w, h, strideY, strideUV)
	case len(y) < strideY*(h-1)+w:
		return nil, fmt.Errorf("preprocess: YUV420SP picture %dx%d: the luma plane holds %d bytes, rows of stride %d need %d", w, h, len(y), strideY, strideY*(h-1)+w)
	case len(uv) < strideUV*(h/2-1)+w:
		return nil, fmt.Errorf("preprocess: YUV420SP picture %dx%d: the chroma plane holds %d bytes, rows of stride %d need %d", w, h, len(uv), strideUV, strideUV*(h/2-1)+w)
	}
	return &SemiPlanar{Y: y, UV: uv, W: w, H: h, StrideY: strideY, StrideUV: strideUV, VU: vu}, nil
}

// ColorModel is RGBA: pixels are converted as they are read.
func (p *SemiPlanar) ColorModel() color.Model { return color.RGBAModel }

// Bounds is the picture's rectangle, origin at 0,0.
func (p *SemiPlanar) Bounds() image.Rectangle { return image.Rect(0, 0, p.W, p.H) }

// At converts one pixel.
func (p *SemiPlanar) At(x, y int) color.Color {
	if x < 0 || y < 0 || x >= p.W || y >= p.H {
		return color.RGBA{}
	}
	u, v := p.chroma(x, y)
	r, g, b := YUVToRGB(p.Y[y*p.StrideY+x], u, v)
	return color.RGBA{r, g, b, 255}
}

func (p *SemiPlanar) chroma(x, y int) (u, v byte) {
	c := p.UV[(y/2)*p.StrideUV+(x/2)*2:]
	if p.VU {
		return c[1], c[0]
	}
	return c[0], c[1]
}

// rowRGBA converts row y into dst (4·W bytes).
func (p *SemiPlanar) rowRGBA(y int, dst []byte) {
	cu, cv := 0, 1
	if p.VU {
		cu, cv = 1, 0
	}
	row, crow := p.Y[y*p.StrideY:y*p.StrideY+p.W], p.UV[(y/2)*p.StrideUV:]
	for x, l := range row {
		r, g, b := YUVToRGB(l, crow[(x/2)*2+cu], crow[(x/2)*2+cv])
		q := dst[4*x : 4*x+4 : 4*x+4]
		q[0], q[1], q[2], q[3] = r, g, b, 255
	}
}

// RGBA converts the whole picture: a copy, for what must outlive the
// frame's buffer.
func (p *SemiPlanar) RGBA() *image.RGBA {
	img := image.NewRGBA(p.Bounds())
	for y := range p.H {
		p.rowRGBA(y, img.Pix[y*img.Stride:])
	}
	return img
}

// YCbCr is the picture as full-range (JFIF) 4:2:0 YCbCr, what a JPEG
// holds: the encoder takes it without converting to RGB and back. Limited
// range is stretched to full (luma 16..235, chroma 16..240), so a decoder
// shows the colours YUVToRGB gives, within rounding.
func (p *SemiPlanar) YCbCr() *image.YCbCr {
	img := image.NewYCbCr(p.Bounds(), image.YCbCrSubsampleRatio420)
	var ly, lc [256]byte
	for i := range 256 {
		ly[i] = clamp8((float64(i) - 16) * 255 / 219)
		lc[i] = clamp8((float64(i)-128)*255/224 + 128)
	}
	for y := range p.H {
		src, dst := p.Y[y*p.StrideY:y*p.StrideY+p.W], img.Y[y*img.YStride:]
		for x, v := range src {
			dst[x] = ly[v]
		}
	}
	cu, cv := 0, 1
	if p.VU {
		cu, cv = 1, 0
	}
	for y := range p.H / 2 {
		crow := p.UV[y*p.StrideUV:]
		cb, cr := img.Cb[y*img.CStride:], img.Cr[y*img.CStride:]
		for x := range p.W / 2 {
			cb[x], cr[x] = lc[crow[2*x+cu]], lc[crow[2*x+cv]]
		}
	}
	return img
}
