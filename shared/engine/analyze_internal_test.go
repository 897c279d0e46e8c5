package engine

import (
	"context"
	"slices"
	"testing"

	"github.com/nniescope/nniescope/internal/demomodel"
	"github.com/nniescope/nniescope/shared/onnx"
	"github.com/nniescope/nniescope/shared/tensor"
)

// TestAnalyzeDoesNotLower: Analyze answers what reading a model needs
// (outputs, constants) without packing a weight or planning a buffer; the
// first session lowers it, and it then computes what Compile's program
// computes.
func TestAnalyzeDoesNotLower(t *testing.T) {
	m, err := onnx.Decode(demomodel.ONNX, "demo.onnx")
	if err != nil {
		t.Fatal(err)
	}
	a, err := Analyze(m, Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	convs := 0
	for _, st := range a.steps {
		if st.conv != nil {
			convs++
			if st.conv.packed.panels != nil {
				t.Fatalf("%s: packed by Analyze", st.node.Name)
			}
		}
	}
	if convs == 0 || a.plain.offset != nil || len(a.Outputs()) == 0 {
		t.Fatalf("%d convs, plan %v, outputs %v: want an unlowered program that knows its outputs", convs, a.plain.offset != nil, a.Outputs())
	}
	c, err := Compile(m, Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.New(a.Inputs()[0].Shape...)
	for i := range x.F {
		x.F[i] = float32(i%251) / 251
	}
	run := func(p *Program) []float32 {
		s := p.NewSession()
		defer s.Close()
		out, err := s.Run(context.Background(), []*tensor.Tensor{x}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return slices.Clone(out[0].F)
	}
	if !slices.Equal(run(a), run(c)) {
		t.Fatal("the analysed program, lowered by its session, computes other outputs than Compile's")
	}
	for _, st := range a.steps {
		if st.conv != nil && st.conv.packed.panels == nil {
			t.Fatalf("%s: not packed after a run", st.node.Name)
		}
	}
}
