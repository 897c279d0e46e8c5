// Package testassets locates what some tests need and the repository cannot
// ship: the licensed test assets in ../shared/assets beside the checkout,
// and programs such as Chromium or qemu that `go tool task deps` installs.
// Tests only: the product never reads these files.
//
// A test that needs one calls Path (or Tool, NodeModule). When the thing is
// missing the test is skipped with one line that names it and says how to
// provide it, so a fresh clone's suite runs everything else and passes.
// With FullEnv set (CI sets it), the same line fails the test instead: a
// broken asset path can never pass silently where the assets should be.
package testassets

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// FullEnv names the switch for the complete suite: with FullEnv=1 a
// missing asset or tool is a failure instead of a skip.
const FullEnv = "NNIESCOPE_TEST_FULL"

// DirEnv names the variable that points at an assets folder elsewhere than
// ../shared/assets.
const DirEnv = "NNIESCOPE_ASSETS"

// The first words of the line a test logs when it is skipped (or failed)
// for something missing; the suite's summary counts skips by them.
const (
	MissingAsset = "missing test asset"
	MissingTool  = "missing test tool"
)

// Full reports whether the complete suite is required (FullEnv is set).
func Full() bool {
	v := os.Getenv(FullEnv)
	return v != "" && v != "0" && v != "false"
}

// Root is where the assets are looked for: $NNIESCOPE_ASSETS, or
// ../shared/assets beside the checkout.
func Root() string {
	if d := os.Getenv(DirEnv); d != "" {
		return d
	}
	_, file, _, _ := runtime.Caller(0)
	// file is <repo>/internal/testassets/testassets.go
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "assets")
}

// Dir returns the absolute path of the assets folder; see Path for what
// happens when it is missing.
func Dir(t testing.TB) string {
	t.Helper()
	return Path(t)
}

// Path joins elem under the assets folder and returns the path when it
// exists. When the folder (its MANIFEST.md) or the path is missing, the
// test is skipped naming it, or failed under FullEnv.
func Path(t testing.TB, elem ...string) string {
	t.Helper()
	p, err := lookup(Root(), elem...)
	if err != nil {
		missing(t, MissingAsset, err.Error(), "licensed, not in the repository: put the project's shared/ folder beside the checkout, or set "+DirEnv+"=DIR")
	}
	return p
}

// lookup is Path without the test: the path, or an error naming the first
// missing asset relative to root.
func lookup(root string, elem ...string) (string, error) {
	root, _ = filepath.Abs(root)
	rel := filepath.Join(elem...)
	if rel == "" {
		rel = "MANIFEST.md"
	}
	if _, err := os.Stat(filepath.Join(root, "MANIFEST.md")); err != nil {
		return "", fmt.Errorf("%s (no assets folder at %s)", rel, root)
	}
	p := filepath.Join(root, rel)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%s (not in %s)", rel, root)
	}
	return filepath.Join(root, filepath.Join(elem...)), nil
}

// Tool returns the path of program name, found on PATH (or at an absolute
// name); when it is missing the test is skipped naming the Debian package
// that provides it, or failed under FullEnv.
func Tool(t testing.TB, name, debianPackage string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		missing(t, MissingTool, name, fmt.Sprintf("install Debian's %s (`go tool task deps` does as root)", debianPackage))
	}
	return p
}

// NodeModule returns dir/node_modules/name when it is installed; when it is
// not, the test is skipped (failed under FullEnv) saying how to install it.
func NodeModule(t testing.TB, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, "node_modules", name)
	if _, err := os.Stat(p); err != nil {
		missing(t, MissingTool, "npm package "+name, fmt.Sprintf("run `go tool task deps` (npm ci in %s)", dir))
	}
	return p
}

func missing(t testing.TB, kind, what, how string) {
	t.Helper()
	msg := fmt.Sprintf("%s %s: %s", kind, what, how)
	if Full() {
		t.Fatalf("%s (%s is set: the complete suite must not skip)", msg, FullEnv)
	}
	t.Skip(msg)
}

// NeedBuild skips the test (fails it under FullEnv) because a build
// product it needs is missing: what, made by `go tool task <task>` (the
// test task makes it before the tests run).
func NeedBuild(t testing.TB, what, task string) {
	t.Helper()
	missing(t, MissingTool, what, fmt.Sprintf("run `go tool task %s` first (`go tool task test` does)", task))
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
	t.Helper()
	return Path(t, "goldens", image, fmt.Sprintf("%s.f32", name))
}

// SystemFile returns path when it exists; when it does not the test is
// skipped naming the Debian package that installs it, or failed under
// FullEnv.
func SystemFile(t testing.TB, path, debianPackage string) string {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		missing(t, MissingTool, path, fmt.Sprintf("install Debian's %s (`go tool task deps` does as root)", debianPackage))
	}
	return path
}

// Chromium returns the browser the browser tests drive: $CHROMIUM, or
// Debian's /usr/bin/chromium; missing, the test is skipped (failed under
// FullEnv).
func Chromium(t testing.TB) string {
	t.Helper()
	if c := os.Getenv("CHROMIUM"); c != "" {
		return Tool(t, c, "chromium")
	}
	return SystemFile(t, "/usr/bin/chromium", "chromium")
}
