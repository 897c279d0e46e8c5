package quant

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/nniescope/nniescope/internal/demoframes"
	"github.com/nniescope/nniescope/internal/familymodels"
	"github.com/nniescope/nniescope/internal/testassets"
	"github.com/nniescope/nniescope/shared/dataset"
	"github.com/nniescope/nniescope/shared/engine"
	"github.com/nniescope/nniescope/shared/onnx"
	"github.com/nniescope/nniescope/shared/preprocess"
	"github.com/nniescope/nniescope/shared/synth"
	"github.com/nniescope/nniescope/shared/tensor"
)

// The simulation inside the kernels (what evaluation runs: Conv+SiLU
// fused, transforms in epilogues) gives every output tensor of the
// node-hook simulation bit for bit, for every placement, at 8 and 16 bits,
// with one and two threads: on yolov8n 512x288 and COCO images (assets)
// and on the embedded models of the three families.
func TestKernelsMatchNodeHooks(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the models")
	}
	type model struct {
		name   string
		m      func(t *testing.T) *onnx.Model
		images func(t *testing.T) []string
	}
	synthImages := func(t *testing.T) []string {
		dir := t.TempDir()
		if err := synth.WriteDataset(dir, 5, 0, 3, demoframes.SrcW, demoframes.SrcH); err != nil {
			t.Fatal(err)
		}
		files, err := dataset.ImageFiles(dir)
		if err != nil {
			t.Fatal(err)
		}
		return files
	}
	models := []model{
		{"yolov8n-512x288", loadModel, func(t *testing.T) []string {
			files, err := dataset.ImageFiles(testassets.Path(t, "coco", "val"))
			if err != nil {
				t.Fatal(err)
			}
			return files[:3]
		}},
		{"demo", func(t *testing.T) *onnx.Model { return demoframes.Model(t) }, synthImages},
	}
	for _, fm := range familymodels.All() {
		models = append(models, model{fm.Name, func(t *testing.T) *onnx.Model {
			m, err := onnx.Decode(fm.ONNX, fm.Name+".onnx")
			if err != nil {
				t.Fatal(err)
			}
			return m
		}, synthImages})
	}
	for _, mc := range models {
		t.Run(mc.name, func(t *testing.T) {
			m, images := mc.m(t), mc.images(t)
			for _, bits := range []int{8, 16} {
				f, err := Calibrate(context.Background(), m, images[:2], CalibOptions{Bits: bits, Threads: 2}, nil)
				if err != nil {
					t.Fatal(err)
				}
				for _, pl := range Placements {
					for _, threads := range []int{1, 2} {
						s, _, err := New(m, f, Options{Placement: pl, Threads: threads})
						if err != nil {
							t.Fatal(err)
						}
						if d := firstDifference(t, s.Program(), s.NodeHooks(), s.Hooks(), images); d != "" {
							t.Fatalf("%d-bit, %s, %d threads: %s", bits, pl, threads, d)
						}
					}
				}
			}
		})
	}
}

// firstDifference runs the images through a program with both hooks and
// describes the first output element that differs ("" when none does).
func firstDifference(t *testing.T, p *engine.Program, a, b *engine.Hooks, images []string) string {
	t.Helper()
	in := p.Inputs()[0]
	x := tensor.New(in.Shape...)
	sa, sb := p.NewSession(), p.NewSession()
	defer sa.Close()
	defer sb.Close()
	for _, path := range images {
		if _, err := preprocess.File(path, in.Shape[3], in.Shape[2], x.F); err != nil {
			t.Fatal(err)
		}
		oa, err := sa.Run(context.Background(), []*tensor.Tensor{x}, a)
		if err != nil {
			t.Fatal(err)
		}
		ob, err := sb.Run(context.Background(), []*tensor.Tensor{x}, b)
		if err != nil {
			t.Fatal(err)
		}
		for k := range oa {
			for i, v := range oa[k].F {
				if math.Float32bits(v) != math.Float32bits(ob[k].F[i]) {
					return fmt.Sprintf("%s: output %s element %d: node hooks %v, kernels %v", path, p.Outputs()[k].Name, i, v, ob[k].F[i])
				}
			}
		}
	}
	return ""
}
