package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nniescope/nniescope/internal/testassets"
)

// TestVendorBindingsOnARM cross-compiles the cgo bindings — both NPU
// runtimes and the camera source for both SDK generations — with their C
// test doubles for a 32-bit ARM board (GOARM=7, the Hi3516DV300 and
// Hi3519DV500 class) and runs their tests under qemu-arm-static: the
// binding's structs, unions and 64-bit addresses must line up with the C
// side on the board's ABI, not only on the workstation's.
func TestVendorBindingsOnARM(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles with cgo")
	}
	qemu := testassets.Tool(t, "qemu-arm-static", "qemu-user-static")
	cc := testassets.Tool(t, "arm-linux-gnueabihf-gcc", "gcc-arm-linux-gnueabihf")
	repo, _ := filepath.Abs(filepath.Join("..", "..", ".."))
	for _, tc := range []struct{ pkg, tags, test string }{
		{"./firmware/internal/nnie/", "nnie nnietestdouble", "TestBindingAgainstTestDouble"},
		{"./firmware/internal/svp/", "svp svptestdouble", "TestBinding"}, // and TestBindingRunsAFrameInPlace
		{"./firmware/internal/vpss/", "vpss vpsstestdouble", "TestSourceAgainstTestDouble"},
		{"./firmware/internal/vpss/", "vpss vpss_ss vpsstestdouble", "TestSourceAgainstTestDouble"},
	} {
		t.Run(tc.tags, func(t *testing.T) {
			bin := filepath.Join(t.TempDir(), "arm.test")
			build := exec.Command("go", "test", "-c", "-o", bin, "-tags", tc.tags, tc.pkg)
			build.Dir = repo
			build.Env = append(os.Environ(), "CGO_ENABLED=1", "GOOS=linux", "GOARCH=arm", "GOARM=7", "CC="+cc)
			if out, err := build.CombinedOutput(); err != nil {
				t.Fatalf("cross-compiling %s: %v\n%s", tc.pkg, err, out)
			}
			run := exec.Command(qemu, "-L", "/usr/arm-linux-gnueabihf", bin, "-test.v", "-test.run", tc.test)
			out, err := run.CombinedOutput()
			if err != nil || !strings.Contains(string(out), "--- PASS: "+tc.test) {
				t.Fatalf("under qemu-arm: %v\n%s", err, out)
			}
		})
	}
}
