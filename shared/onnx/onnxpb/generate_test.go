package onnxpb_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/nniescope/nniescope/internal/testassets"
)

// TestGenerateReproduces regenerates onnx.pb.go with the generate task's
// script and requires the committed file to match byte for byte.
func TestGenerateReproduces(t *testing.T) {
	if testing.Short() {
		t.Skip("regeneration builds protoc-gen-go; run without -short")
	}
	testassets.Tool(t, "protoc", "protobuf-compiler")
	testassets.SystemFile(t, "/usr/include/onnx/onnx.proto", "libonnx-dev")
	out := t.TempDir()
	cmd := exec.Command("bash", "../../../scripts/generate-onnx.sh", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("generate-onnx.sh: %v\n%s", err, b)
	}
	got, err := os.ReadFile(filepath.Join(out, "shared/onnx/onnxpb/onnx.pb.go"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("onnx.pb.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("regenerated onnx.pb.go differs from the committed one (%d vs %d bytes): run `go tool task generate` and commit", len(got), len(want))
	}
}
