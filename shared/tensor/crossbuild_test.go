package tensor_test

import (
	"os"
	"os/exec"
	"testing"
)

// TestSharedBuildsEverywhere: shared/ is pure Go and must build for the
// boards (linux/arm GOARM=7, linux/arm64, where the portable kernels run)
// and for the wasip1 post-process module.
func TestSharedBuildsEverywhere(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles; run without -short")
	}
	for _, env := range [][]string{
		{"GOOS=linux", "GOARCH=arm", "GOARM=7"},
		{"GOOS=linux", "GOARCH=arm64"},
		{"GOOS=wasip1", "GOARCH=wasm"},
	} {
		cmd := exec.Command("go", "build", "./shared/...")
		cmd.Dir = "../.."
		cmd.Env = append(os.Environ(), append(env, "CGO_ENABLED=0")...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%v: %v\n%s", env, err, out)
		}
	}
}
