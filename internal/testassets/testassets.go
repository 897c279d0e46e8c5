// Package testassets locates the licensed test assets in ../shared/assets
// beside the checkout and reads the onnxruntime goldens. Tests only: the
// product never reads these files.
package testassets

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Dir returns the absolute path of ../shared/assets, failing the test (not
// skipping it) when the assets are missing: a silent skip would hide that
// the golden tests did not run.
func Dir(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	// file is <repo>/internal/testassets/testassets.go
	repo := filepath.Join(filepath.Dir(file), "..", "..")
	dir := filepath.Join(repo, "..", "shared", "assets")
	if _, err := os.Stat(filepath.Join(dir, "MANIFEST.md")); err != nil {
		t.Fatalf("test assets not found at %s (the checkout needs ../shared beside it): %v", dir, err)
	}
	return dir
}

// Path joins elements under the assets directory.
func Path(t testing.TB, elem ...string) string {
	return filepath.Join(append([]string{Dir(t)}, elem...)...)
}

// ReadF32 reads a raw little-endian float32 file and checks its length.
func ReadF32(t testing.TB, path string, want int) []float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want >= 0 && len(b) != 4*want {
		t.Fatalf("%s: %d bytes, want %d float32", path, len(b), want)
	}
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

// GoldenImages are the image ids in goldens/index.json.
var GoldenImages = []string{"000000000139", "000000001503", "000000006040", "000000007888"}

// Golden returns the path of one golden file.
func Golden(t testing.TB, image, name string) string {
	return Path(t, "goldens", image, fmt.Sprintf("%s.f32", name))
}
