// Package wasmbuild builds the post-process module for tests, once per test
// binary (the build takes seconds; tests share it).
package wasmbuild

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/nniescope/nniescope/internal/testassets"
	"github.com/nniescope/nniescope/webui"
)

var (
	once sync.Once
	path string
	err  error
)

// Module returns the path of a freshly built wasm/ module.
func Module(t testing.TB) string {
	t.Helper()
	once.Do(func() {
		dir, e := os.MkdirTemp("", "nniescope-wasm")
		if e != nil {
			err = e
			return
		}
		_, file, _, _ := runtime.Caller(0)
		repo := filepath.Join(filepath.Dir(file), "..", "..")
		path = filepath.Join(dir, "nniescope.wasm")
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-buildmode=c-shared", "-o", path, "./wasm")
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
		if out, e := cmd.CombinedOutput(); e != nil {
			err = errors.New(string(out))
		}
	})
	if err != nil {
		t.Fatalf("building the post-process module: %v", err)
	}
	return path
}

// Embedded returns the post-process module embedded in webui (what the
// board and the CLI serve). A plain `go build`/`go test` has none until
// `go tool task wasm:build` writes it: then the test is skipped naming
// the task (failed under testassets.FullEnv, where the test task builds
// it first).
func Embedded(t testing.TB) []byte {
	t.Helper()
	b, err := webui.Module()
	if errors.Is(err, webui.ErrNoModule) {
		testassets.NeedBuild(t, "the post-process module embedded in webui/static", "wasm:build")
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}
