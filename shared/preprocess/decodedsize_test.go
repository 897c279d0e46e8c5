package preprocess

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A 16-bit PNG under the pixel limit still decodes to 8 bytes a pixel: it
// is bounded by the bytes it takes (a 130 KB 4096x4096 file decoded to
// 128 MB); the same picture in 8 bits passes.
func TestDecodedSizeIsBounded(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, img image.Image) string {
		p := filepath.Join(dir, name)
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, img); err != nil {
			t.Fatal(err)
		}
		f.Close()
		return p
	}
	wide := image.NewRGBA64(image.Rect(0, 0, 100, 100))
	wide.Set(1, 1, color.RGBA64{R: 0xffff, A: 0xffff})
	narrow := image.NewRGBA(image.Rect(0, 0, 100, 100))
	narrow.Set(1, 1, color.RGBA{R: 255, A: 255})
	const limit = 15000 // pixels: 60,000 bytes of RGBA
	if _, err := OpenLimit(write("deep.png", wide), limit); err == nil || !strings.Contains(err.Error(), "8 bytes a pixel") {
		t.Errorf("a 16-bit 100x100 PNG under a %d-pixel limit: %v, want it refused by its decoded size", limit, err)
	}
	if _, err := OpenLimit(write("plain.png", narrow), limit); err != nil {
		t.Errorf("the same picture in 8 bits: %v", err)
	}
}
