// Package demoframes gives tests frames they make themselves, so that tests
// of the engine, the post-process, the module and the board need none of
// the licensed assets: the embedded demo model (internal/demomodel) run on
// synthetic scenes with labels (shared/synth). Tests only.
package demoframes

import (
	"context"
	"encoding/binary"
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/nniescope/nniescope/internal/demomodel"
	"github.com/nniescope/nniescope/internal/onnxtest"
	"github.com/nniescope/nniescope/shared/engine"
	"github.com/nniescope/nniescope/shared/letterbox"
	"github.com/nniescope/nniescope/shared/onnx"
	"github.com/nniescope/nniescope/shared/preprocess"
	"github.com/nniescope/nniescope/shared/synth"
	"github.com/nniescope/nniescope/shared/tensor"
	"github.com/nniescope/nniescope/shared/yolo"
)

// The scenes: seed 7, 320×240 (not square, so the letterbox pads top and
// bottom of the model's 256×256 input).
const (
	Seed           = 7
	SrcW, SrcH     = 320, 240
	InputW, InputH = 256, 256
	Classes        = 4
)

// HeadOutputs are the demo model's six raw head values (box branch, then
// class branch, strides 8, 16, 32): the cut the board streams.
func HeadOutputs() []string {
	var heads []string
	for i := range 3 {
		for _, br := range []string{"cv2", "cv3"} {
			heads = append(heads, fmt.Sprintf("/model.22/%s.%d/%s.%d.2/Conv_output_0", br, i, br, i))
		}
	}
	return heads
}

// ModelFile writes the demo model into a temporary folder of t and returns
// its path.
func ModelFile(t testing.TB) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "demo.onnx")
	if err := os.WriteFile(p, demomodel.ONNX, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// DynamicModelFile writes the demo model with its input's batch, height
// and width left symbolic, as a dynamic-shape export writes them (the
// graph itself stays sized for InputW×InputH), and returns its path.
func DynamicModelFile(t testing.TB) string {
	t.Helper()
	b, err := onnxtest.Dynamic(demomodel.ONNX)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "dynamic.onnx")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Model is the loaded demo model.
func Model(t testing.TB) *onnx.Model {
	t.Helper()
	m, err := onnx.Decode(demomodel.ONNX, "demo.onnx")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Scene is synthetic scene i.
func Scene(i int) (*image.RGBA, []synth.Object) { return synth.Scene(Seed, i, SrcW, SrcH) }

// CalibrationImages writes n synthetic scenes (seed 11, not the
// evaluation seed) as PNG files into a temporary folder and returns their
// paths: images to calibrate the demo model on in a test.
func CalibrationImages(t testing.TB, n int) []string {
	t.Helper()
	dir := t.TempDir()
	if err := synth.WriteDataset(dir, 11, 0, n, SrcW, SrcH); err != nil {
		t.Fatal(err)
	}
	var files []string
	for i := range n {
		files = append(files, filepath.Join(dir, "images", fmt.Sprintf("%06d.png", i)))
	}
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("synthetic scene: %v", err)
		}
	}
	return files
}

// Input is scene i letterboxed into the model's input.
func Input(t testing.TB, i int) (*tensor.Tensor, letterbox.Geometry) {
	t.Helper()
	img, _ := Scene(i)
	in := tensor.New(1, 3, InputH, InputW)
	l, err := preprocess.Image(img, InputW, InputH, in.F)
	if err != nil {
		t.Fatal(err)
	}
	return in, l
}

// InputBytes is scene i letterboxed into the model's input as raw
// little-endian float32: what the goldens' onnxruntime run was fed.
func InputBytes(i int) ([]byte, error) {
	img, _ := Scene(i)
	f := make([]float32, 3*InputW*InputH)
	if _, err := preprocess.Image(img, InputW, InputH, f); err != nil {
		return nil, err
	}
	return f32Bytes(f), nil
}

var (
	once sync.Once
	reqs [][]byte
	err  error
)

// Frames are the scenes Requests uses: the first four on which the demo
// model finds something at the default threshold (scene 3 holds one small
// shape it misses).
func Frames() []int { return []int{0, 1, 2, 4} }

// Requests are the six-head F32 decode requests of the Frames scenes, mapped
// back to the 320×240 scene, as the board would stream them from float
// heads. Computed once per test binary.
func Requests(t testing.TB) [][]byte {
	t.Helper()
	once.Do(func() {
		var m *onnx.Model
		if m, err = onnx.Decode(demomodel.ONNX, "demo.onnx"); err == nil {
			reqs, err = requests(m, Frames())
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return reqs
}

func requests(m *onnx.Model, scenes []int) ([][]byte, error) {
	p, err := engine.Compile(m, engine.Options{Threads: 2, StopAt: HeadOutputs()})
	if err != nil {
		return nil, err
	}
	s := p.NewSession()
	defer s.Close()
	var out [][]byte
	for _, i := range scenes {
		img, _ := Scene(i)
		in := tensor.New(1, 3, InputH, InputW)
		l, err := preprocess.Image(img, InputW, InputH, in.F)
		if err != nil {
			return nil, err
		}
		heads, err := s.Run(context.Background(), []*tensor.Tensor{in}, nil)
		if err != nil {
			return nil, err
		}
		r := &yolo.Request{Layout: yolo.Heads, Params: yolo.DefaultParams(), Geometry: l}
		for _, h := range heads {
			r.Tensors = append(r.Tensors, yolo.Raw{Type: yolo.RawF32, Shape: h.Shape, Data: f32Bytes(h.F)})
		}
		out = append(out, r.Encode())
	}
	return out, nil
}

func f32Bytes(f []float32) []byte {
	b := make([]byte, 4*len(f))
	for i, v := range f {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}
