package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/nniescope/nniescope/internal/testassets"
)

// writeTrunc writes the first 100 kB of a real model, as an interrupted
// copy leaves it.
func writeTrunc(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(testassets.Path(t, "models", "yolov8n-512x288.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "trunc.onnx")
	if err := os.WriteFile(p, b[:100000], 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
