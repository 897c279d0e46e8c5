package preprocess

import (
	"encoding/json"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/disintegration/imaging"

	"github.com/nniescope/nniescope/internal/testassets"
)

type goldenIndex struct {
	Images []struct {
		ImageID   string `json:"image_id"`
		Letterbox struct {
			Scale   float64 `json:"scale"`
			NewW    int     `json:"new_w"`
			NewH    int     `json:"new_h"`
			PadLeft int     `json:"pad_left"`
			PadTop  int     `json:"pad_top"`
		} `json:"letterbox"`
	} `json:"images"`
}

// TestLetterboxMatchesGoldens builds the input tensor from each JPEG and
// compares it with the one onnxruntime was fed. Geometry must be exact;
// pixels differ only by JPEG decoder (Go's image/jpeg vs jpeg-js) rounding.
func TestLetterboxMatchesGoldens(t *testing.T) {
	b, err := os.ReadFile(testassets.Path(t, "goldens", "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var idx goldenIndex
	if err := json.Unmarshal(b, &idx); err != nil {
		t.Fatal(err)
	}
	for _, im := range idx.Images {
		t.Run(im.ImageID, func(t *testing.T) {
			img, err := Open(testassets.Path(t, "coco", "val", "images", im.ImageID+".jpg"))
			if err != nil {
				t.Fatal(err)
			}
			dst := make([]float32, 3*288*512)
			l, err := Image(img, 512, 288, dst)
			if err != nil {
				t.Fatal(err)
			}
			g := im.Letterbox
			if nw, nh := l.Inner(); nw != g.NewW || nh != g.NewH || l.PadLeft != g.PadLeft || l.PadTop != g.PadTop || math.Abs(l.Scale-g.Scale) > 1e-12 {
				t.Fatalf("geometry %+v, golden %+v", l, g)
			}
			want := testassets.ReadF32(t, testassets.Golden(t, im.ImageID, "input"), len(dst))
			var maxd, sum float64
			for i := range want {
				d := math.Abs(float64(dst[i]-want[i])) * 255
				maxd = math.Max(maxd, d)
				sum += d
			}
			mean := sum / float64(len(want))
			t.Logf("max |d| %.0f/255, mean |d| %.3f/255", maxd, mean)
			// Decoders differ in IDCT and chroma upsampling: allow a mean
			// under one level and no gross outliers.
			if mean > 0.5 || maxd > 8 {
				t.Errorf("letterbox differs from the golden input: mean %.3f, max %.0f (levels of 255)", mean, maxd)
			}
		})
	}
}

func TestGrayscaleBecomesRGB(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 4, 2))
	for i := range g.Pix {
		g.Pix[i] = 200
	}
	dst := make([]float32, 3*4*2)
	if _, err := Image(g, 4, 2, dst); err != nil {
		t.Fatal(err)
	}
	for i, v := range dst {
		if v != 200.0/255 {
			t.Fatalf("dst[%d] = %v, want 200/255 in every channel", i, v)
		}
	}
}

func TestNV12(t *testing.T) {
	// A uniform mid-grey frame (Y=126, U=V=128) decodes to RGB ≈ 128.
	w, h := 4, 2
	frame := make([]byte, w*h*3/2)
	for i := range w * h {
		frame[i] = 126
	}
	for i := w * h; i < len(frame); i++ {
		frame[i] = 128
	}
	dst := make([]float32, 3*8*4)
	l, err := NV12(frame, w, h, 8, 4, dst)
	if err != nil {
		t.Fatal(err)
	}
	if nw, nh := l.Inner(); nw != 8 || nh != 4 {
		t.Fatalf("geometry %+v", l)
	}
	for i, v := range dst {
		if math.Abs(float64(v)*255-128) > 1 {
			t.Fatalf("dst[%d] = %v levels, want 128", i, v*255)
		}
	}
	if _, err := NV12(frame[:5], w, h, 8, 4, dst); err == nil {
		t.Fatal("short frame accepted")
	}
}

func TestOpenErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "broken.jpg")
	if err := os.WriteFile(bad, []byte("\xff\xd8\xff not really"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Open(bad)
	if err == nil || !strings.Contains(err.Error(), "broken.jpg") {
		t.Fatalf("error %v should name the file", err)
	}
}

// TestFileErrorsNameTheFile: File's errors name the file, whether the
// decode fails or the destination does not fit.
func TestFileErrorsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "broken.jpg")
	if err := os.WriteFile(bad, []byte("\xff\xd8\xff not really"), 0o644); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "gray.png")
	f, err := os.Create(good)
	if err != nil {
		t.Fatal(err)
	}
	png.Encode(f, image.NewGray(image.Rect(0, 0, 4, 2)))
	f.Close()
	for _, tc := range []struct {
		path string
		dst  []float32
	}{{bad, make([]float32, 3*4*2)}, {good, make([]float32, 5)}} {
		if _, err := File(tc.path, 4, 2, tc.dst); err == nil || !strings.Contains(err.Error(), filepath.Base(tc.path)) {
			t.Errorf("%s: error %v should name the file", tc.path, err)
		}
	}
	if _, err := File(good, 4, 2, make([]float32, 3*4*2)); err != nil {
		t.Fatal(err)
	}
}

// TestYCbCrRowsMatchClone: pictures as JPEG decodes them (every chroma
// subsampling, odd sizes, a sub-image with an odd origin) letterbox to
// exactly what converting them whole with imaging.Clone gives.
func TestYCbCrRowsMatchClone(t *testing.T) {
	for _, ratio := range []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410} {
		for _, size := range [][2]int{{37, 23}, {640, 427}, {9, 31}} {
			full := image.NewYCbCr(image.Rect(0, 0, size[0]+3, size[1]+5), ratio)
			for i := range full.Y {
				full.Y[i] = uint8(i*7 + i/13)
			}
			for i := range full.Cb {
				full.Cb[i], full.Cr[i] = uint8(i*11), uint8(255-i*5)
			}
			img := full.SubImage(image.Rect(3, 5, size[0]+3, size[1]+5)).(*image.YCbCr)
			for _, dstSize := range [][2]int{{64, 48}, {512, 288}, {size[0], size[1]}} {
				got := make([]float32, 3*dstSize[0]*dstSize[1])
				if _, err := Image(img, dstSize[0], dstSize[1], got); err != nil {
					t.Fatal(err)
				}
				want := make([]float32, len(got))
				if _, err := Image(imaging.Clone(img), dstSize[0], dstSize[1], want); err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got, want) {
					t.Fatalf("%v %dx%d into %dx%d: differs from the cloned picture's letterbox", ratio, size[0], size[1], dstSize[0], dstSize[1])
				}
			}
		}
	}
}
