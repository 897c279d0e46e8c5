// Command demogolden writes the inputs of the demo-model goldens: the
// demoframes scenes letterboxed into the model's input, as raw
// little-endian float32 files, and index.json naming them with the
// SHA-256 of each (so the test can check it rebuilds the same input).
// scripts/demo-goldens.sh runs it, then onnxruntime-node on the inputs;
// only index.json and onnxruntime's outputs are committed.
//
// The family models (internal/familymodels) take the same 256x256 input,
// so their goldens are of the same scenes.
//
//	demogolden -out DIR [-model PATH]
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/nniescope/nniescope/internal/demoframes"
)

// Index is testdata/demo-goldens/index.json.
type Index struct {
	Model  string  `json:"model"`
	Tool   string  `json:"tool"`
	Frames []Frame `json:"frames"`
}

// Frame is one golden: the scene, its input file and hash, the output.
type Frame struct {
	Scene       int    `json:"scene"`
	Input       string `json:"input"`
	InputSHA256 string `json:"input_sha256"`
	Output0     string `json:"output0"`
}

func main() {
	out := flag.String("out", "", "folder for the inputs and index.json")
	model := flag.String("model", "internal/demomodel/demo.onnx", "the model the goldens are of (recorded in index.json)")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "demogolden: -out DIR is required")
		os.Exit(2)
	}
	if err := run(*out, *model); err != nil {
		fmt.Fprintln(os.Stderr, "demogolden:", err)
		os.Exit(1)
	}
}

func run(out, model string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	idx := Index{Model: model, Tool: "onnxruntime-node (bench/peer/golden.js)"}
	for _, i := range demoframes.Frames() {
		b, err := demoframes.InputBytes(i)
		if err != nil {
			return err
		}
		name := fmt.Sprintf("scene%d.input.f32", i)
		if err := os.WriteFile(filepath.Join(out, name), b, 0o644); err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		idx.Frames = append(idx.Frames, Frame{Scene: i, Input: name, InputSHA256: hex.EncodeToString(sum[:]), Output0: fmt.Sprintf("scene%d.output0.f32", i)})
	}
	j, err := json.MarshalIndent(idx, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, "index.json"), append(j, '\n'), 0o644)
}
