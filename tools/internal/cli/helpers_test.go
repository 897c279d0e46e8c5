package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/nniescope/nniescope/internal/demoframes"
	"github.com/nniescope/nniescope/internal/demomodel"
	"github.com/nniescope/nniescope/shared/synth"
)

// demoData writes the demo model and n labelled synthetic scenes (the
// demoframes seed and size) into a temporary folder: a model and a data
// set every command can run on without the licensed assets.
func demoData(t *testing.T, n int) (model, data string) {
	t.Helper()
	data = filepath.Join(t.TempDir(), "data")
	if err := synth.WriteDataset(data, demoframes.Seed, 0, n, demoframes.SrcW, demoframes.SrcH); err != nil {
		t.Fatal(err)
	}
	return demoframes.ModelFile(t), data
}

// writeTrunc writes the first 100 kB of a real model (the demo model), as
// an interrupted copy leaves it.
func writeTrunc(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "trunc.onnx")
	if err := os.WriteFile(p, demomodel.ONNX[:100000], 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
