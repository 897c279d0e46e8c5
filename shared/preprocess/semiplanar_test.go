package preprocess

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/disintegration/imaging"
)

// testPicture is a w×h YUV420SP picture of random pixels with padded rows.
func testPicture(w, h, pad int, vu bool) *SemiPlanar {
	r := rand.New(rand.NewPCG(uint64(w), uint64(h)))
	sy, suv := w+pad, w+2*pad
	y := make([]byte, sy*h)
	uv := make([]byte, suv*h/2)
	for i := range y {
		y[i] = byte(r.IntN(256))
	}
	for i := range uv {
		uv[i] = byte(r.IntN(256))
	}
	p, err := NewSemiPlanar(y, uv, w, h, sy, suv, vu)
	if err != nil {
		panic(err)
	}
	return p
}

// A picture letterboxed where it lies gives exactly what converting it to
// RGB first gives, for padded strides and both chroma orders, resized up,
// down and not at all.
func TestSemiPlanarLetterboxInPlace(t *testing.T) {
	for _, tc := range []struct {
		w, h, pad  int
		vu         bool
		dstW, dstH int
	}{
		{64, 48, 0, false, 32, 32},
		{64, 48, 16, true, 32, 32},
		{30, 20, 6, true, 96, 64},
		{40, 24, 8, false, 40, 24},
	} {
		p := testPicture(tc.w, tc.h, tc.pad, tc.vu)
		got := make([]float32, 3*tc.dstW*tc.dstH)
		want := make([]float32, len(got))
		if _, err := Image(p, tc.dstW, tc.dstH, got); err != nil {
			t.Fatal(err)
		}
		if _, err := Image(p.RGBA(), tc.dstW, tc.dstH, want); err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%+v: value %d = %v in place, %v through RGBA", tc, i, got[i], want[i])
			}
		}
	}
}

// Pixels convert with their own chroma sample, in the order the picture
// says: checked against YUVToRGB by hand.
func TestSemiPlanarPixels(t *testing.T) {
	for _, vu := range []bool{false, true} {
		p := testPicture(8, 4, 3, vu)
		for _, xy := range [][2]int{{0, 0}, {1, 0}, {2, 1}, {7, 3}, {5, 2}} {
			x, y := xy[0], xy[1]
			c := p.UV[(y/2)*p.StrideUV+(x/2)*2:]
			u, v := c[0], c[1]
			if vu {
				u, v = v, u
			}
			r, g, b := YUVToRGB(p.Y[y*p.StrideY+x], u, v)
			if got := p.At(x, y); got != (color.RGBA{r, g, b, 255}) {
				t.Fatalf("vu %v: At(%d,%d) = %v, want %v", vu, x, y, got, color.RGBA{r, g, b, 255})
			}
			if got := p.RGBA().RGBAAt(x, y); got != (color.RGBA{r, g, b, 255}) {
				t.Fatalf("vu %v: RGBA() at %d,%d = %v", vu, x, y, got)
			}
		}
	}
}

// The JPEG view decodes (JFIF) to the colours YUVToRGB gives, within the
// rounding of the range stretch.
func TestSemiPlanarYCbCr(t *testing.T) {
	p := testPicture(16, 8, 4, true)
	yc := p.YCbCr()
	worst := 0.0
	for y := range p.H {
		for x := range p.W {
			u, v := p.chroma(x, y)
			l := p.Y[y*p.StrideY+x]
			if l < 16 || l > 235 || u < 16 || u > 240 || v < 16 || v > 240 {
				continue // outside the legal range both sides clip differently
			}
			r, g, b := YUVToRGB(l, u, v)
			c := yc.YCbCrAt(x, y)
			r2, g2, b2 := color.YCbCrToRGB(c.Y, c.Cb, c.Cr)
			for _, d := range []float64{float64(r) - float64(r2), float64(g) - float64(g2), float64(b) - float64(b2)} {
				worst = math.Max(worst, math.Abs(d))
			}
		}
	}
	if worst > 3 {
		t.Fatalf("JPEG view differs from YUVToRGB by up to %v levels", worst)
	}
}

// Letterboxing a full-HD camera frame in place allocates two rows and the
// axis weights, not a converted copy of the frame (8 MB as RGBA).
func TestSemiPlanarLetterboxDoesNotCopyTheFrame(t *testing.T) {
	p := testPicture(1920, 1080, 64, true)
	dst := make([]float32, 3*640*384)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if _, err := Image(p, 640, 384, dst); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 256<<10 {
		t.Fatalf("letterboxing allocated %d bytes: the frame was copied", n)
	}
}

func TestNewSemiPlanarErrors(t *testing.T) {
	y, uv := make([]byte, 64*48), make([]byte, 64*24)
	for _, tc := range []struct {
		name          string
		w, h, sy, suv int
		y, uv         []byte
		want          string
	}{
		{"odd width", 63, 48, 64, 64, y, uv, "positive and even"},
		{"stride below width", 64, 48, 60, 64, y, uv, "at least the width"},
		{"short luma", 64, 48, 64, 64, y[:100], uv, "luma plane holds 100 bytes"},
		{"short chroma", 64, 48, 64, 64, y, uv[:100], "chroma plane holds 100 bytes"},
	} {
		_, err := NewSemiPlanar(tc.y, tc.uv, tc.w, tc.h, tc.sy, tc.suv, false)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.want)
		}
	}
}

// RGBA and NRGBA pictures (what PNG decodes to) are read in place, giving
// what the clone to NRGBA gives: opaque and translucent, whole and
// sub-images, with no frame-sized allocation where the clone is skipped.
func TestPackedPicturesInPlace(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	rgba := image.NewRGBA(image.Rect(0, 0, 97, 61))
	for i := range rgba.Pix {
		rgba.Pix[i] = byte(r.IntN(256))
		if i%4 == 3 {
			rgba.Pix[i] = 255
		}
	}
	translucent := image.NewRGBA(rgba.Rect)
	copy(translucent.Pix, rgba.Pix)
	translucent.Pix[3] = 7
	for i := 0; i < len(translucent.Pix); i += 4 { // premultiplied: colour ≤ alpha
		for c := range 3 {
			translucent.Pix[i+c] = min(translucent.Pix[i+c], translucent.Pix[i+3])
		}
	}
	nrgba := imaging.Clone(rgba)
	for _, tc := range []struct {
		name string
		img  image.Image
	}{
		{"RGBA opaque", rgba},
		{"RGBA translucent", translucent},
		{"NRGBA", nrgba},
		{"RGBA sub-image", rgba.SubImage(image.Rect(10, 5, 90, 50))},
		{"NRGBA sub-image", nrgba.SubImage(image.Rect(3, 7, 64, 61))},
	} {
		got := make([]float32, 3*64*48)
		want := make([]float32, len(got))
		if _, err := Image(tc.img, 64, 48, got); err != nil {
			t.Fatal(err)
		}
		if _, err := Image(imaging.Clone(tc.img), 64, 48, want); err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%s: value %d = %v, through the clone %v", tc.name, i, got[i], want[i])
			}
		}
	}
	big := image.NewRGBA(image.Rect(0, 0, 1920, 1080))
	for i := range big.Pix {
		big.Pix[i] = 255
	}
	dst := make([]float32, 3*640*384)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if _, err := Image(big, 640, 384, dst); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 256<<10 {
		t.Fatalf("letterboxing an opaque RGBA frame allocated %d bytes: it was cloned", n)
	}
}
