// Package mixed searches mixed precision: which layers to keep in 16-bit
// (their records spliced from the 16-bit calibration file into the 8-bit
// one) to bring AP within a tolerance, at the least board time. It also
// holds the board-time cost model.
package mixed

import (
	"github.com/nniescope/nniescope/shared/engine"
	"github.com/nniescope/nniescope/shared/onnx"
	"github.com/nniescope/nniescope/shared/tensor"
)

// CostModel estimates NPU time: CUBE ops at a per-precision rate plus the
// DDR traffic of the tensors that leave fused units, at 1 or 2 bytes per
// value. docs/QUANT.md describes its derivation and limits.
type CostModel struct {
	SecPerOp8  float64 // 8-bit MAC-array time per op (2 per MAC)
	SecPerOp16 float64 // 16-bit
	SecPerByte float64 // DDR, read + write counted
}

// SVP is the model for Hi3519DV500-class chips. SecPerOp8 comes from the
// chip's published 2.5 TOPS INT8; SecPerByte and SecPerOp16 are solved so
// that yolov8n 512x288 costs the published 3.4 ms all-8-bit and 5.7 ms
// all-16-bit (TestSVPCostModelMatchesPublished recomputes it from the
// model).
var SVP = CostModel{SecPerOp8: 1 / 2.5e12, SecPerOp16: svpOp16, SecPerByte: svpByte}

// NNIE is the model for the Hi3516DV300 class (docs/NNIE.md): SecPerOp8
// from the chip's published 1.0 TOPS; 16-bit at half that rate and DDR
// at SVP's byte time are assumed (no per-layer profile of NNIE is
// public). docs/NNIE.md compares it with the one published time.
var NNIE = CostModel{SecPerOp8: 1 / 1.0e12, SecPerOp16: 2 / 1.0e12, SecPerByte: svpByte}

// LayerCost is what a node costs to run.
type LayerCost struct {
	Name    string
	Ops     float64 // CUBE ops (2 per MAC); 0 for vector ops, which overlap
	Traffic float64 // values written to DDR and read back (2 × output size), 0 inside fused units
	Weights float64 // weight bytes (S8 in both modes)
}

// Costs counts every node of a float program.
func Costs(p *engine.Program) []LayerCost {
	outputs := map[string]bool{}
	for _, o := range p.Outputs() {
		outputs[o.Name] = true
	}
	// The output Concat is a report op on chip: what it gathers (the
	// stride Mul's boxes, the class sigmoid) is written to DDR.
	for _, n := range p.Nodes() {
		if n.OpType == "Concat" && outputs[n.Outputs[0]] {
			for _, in := range n.Inputs {
				outputs[in] = true
			}
		}
	}
	var cs []LayerCost
	for _, n := range p.Nodes() {
		c := LayerCost{Name: n.Name}
		shape, _ := p.Shape(n.Outputs[0])
		out := float64(tensor.Volume(shape))
		if writesDDR(n, outputs) {
			c.Traffic = 2 * out
		}
		if n.OpType == "Conv" && len(n.Inputs) > 1 {
			if w, ok := p.Constant(n.Inputs[1]); ok && len(shape) == 4 {
				c.Ops = 2 * float64(w.Len()) * float64(shape[2]*shape[3])
				c.Weights = float64(w.Len())
			}
		}
		cs = append(cs, c)
	}
	return cs
}

// writesDDR approximates atc_perf.csv's DSTR DDR Write column: CUBE layers
// (their activation fused in), upsampling, the stride Mul and anything
// writing a model output. Data movement (Concat, Slice, Split) is mostly
// "Nop"/bridge on chip; element-wise ops fuse into their neighbours.
func writesDDR(n *onnx.Node, outputs map[string]bool) bool {
	switch n.OpType {
	case "Conv", "Gemm", "MatMul", "Resize":
		return true
	}
	for _, o := range n.Outputs {
		if outputs[o] {
			return true
		}
	}
	return false
}

// LatencyMS is the estimated time with the layers in is16 run in 16-bit.
func (m CostModel) LatencyMS(costs []LayerCost, is16 func(name string) bool) float64 {
	var t float64
	for _, c := range costs {
		t += m.LayerMS(c, is16 != nil && is16(c.Name))
	}
	return t
}

// LayerMS is one layer's estimated time in ms, in 16-bit or 8-bit.
func (m CostModel) LayerMS(c LayerCost, sixteen bool) float64 {
	t := c.Ops*m.SecPerOp8 + c.Traffic*m.SecPerByte
	if sixteen {
		t = c.Ops*m.SecPerOp16 + c.Traffic*2*m.SecPerByte
	}
	return (t + c.Weights*m.SecPerByte) * 1e3
}

// solveSVP derives SecPerByte and SecPerOp16 from a model's counts and the
// two published totals, given SecPerOp8.
func solveSVP(costs []LayerCost, secPerOp8, t8ms, t16ms float64) (secPerOp16, secPerByte float64) {
	var ops, traffic, weights float64
	for _, c := range costs {
		ops += c.Ops
		traffic += c.Traffic
		weights += c.Weights
	}
	// t8  = ops·s8  + (traffic + weights)·b
	// t16 = ops·s16 + (2·traffic + weights)·b
	secPerByte = (t8ms/1e3 - ops*secPerOp8) / (traffic + weights)
	secPerOp16 = (t16ms/1e3 - (2*traffic+weights)*secPerByte) / ops
	return secPerOp16, secPerByte
}
