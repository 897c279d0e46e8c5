package quant

import (
	"regexp"
	"slices"

	"github.com/nniescope/nniescope/shared/engine"
	"github.com/nniescope/nniescope/shared/onnx"
)

// graphInfo is the structure the placements reason about.
type graphInfo struct {
	prog       *engine.Program
	producer   map[string]*onnx.Node
	consumers  map[string][]*onnx.Node
	siluIn     map[*onnx.Node]bool // Sigmoid/Mul nodes of a Conv+SiLU unit
	chain      map[*onnx.Node]bool // box-decode chain strictly between the DFL conv and the stride Mul
	strideMul  *onnx.Node
	dflConv    *onnx.Node
	clsSigmoid *onnx.Node // class scores feeding the output Concat
	// The values the outputs are assembled from (outputChain's Concats):
	// the last input of each such Concat is scores, the others are box
	// coordinates. Node → the output index that feeds the Concat.
	boxHeads, clsHeads map[*onnx.Node]int
	output             map[*onnx.Node]bool // outputChain: data movement that stays F16
}

var headBranch = regexp.MustCompile(`/cv([23])\.\d+/`)

// branches tags every node by the head outputs it reaches: "box" (only the
// stride Mul), "cls" (only the class scores) or "backbone" (both, or none).
func (g *graphInfo) branches() map[*onnx.Node]string {
	reach := func(target *onnx.Node) map[*onnx.Node]bool {
		up := map[*onnx.Node]bool{}
		if target == nil {
			return up
		}
		up[target] = true
		var back func(n *onnx.Node)
		back = func(n *onnx.Node) {
			for _, in := range n.Inputs {
				if p := g.producer[in]; p != nil && !up[p] {
					up[p] = true
					back(p)
				}
			}
		}
		back(target)
		return up
	}
	union := func(heads map[*onnx.Node]int) map[*onnx.Node]bool {
		all := map[*onnx.Node]bool{}
		for n := range heads {
			for m := range reach(n) {
				all[m] = true
			}
		}
		return all
	}
	box, cls := union(g.boxHeads), union(g.clsHeads)
	out := map[*onnx.Node]string{}
	for _, n := range g.prog.Nodes() {
		switch {
		case box[n] && !cls[n]:
			out[n] = "box"
		case cls[n] && !box[n]:
			out[n] = "cls"
		case headBranch.MatchString(n.Name):
			// Ultralytics concatenates each level's box and class maps and
			// splits them later, so both outputs reach both conv branches;
			// its names (cv2 = box, cv3 = class) tell them apart.
			if headBranch.FindStringSubmatch(n.Name)[1] == "2" {
				out[n] = "box"
			} else {
				out[n] = "cls"
			}
		default:
			out[n] = "backbone"
		}
	}
	return out
}

func analyse(p *engine.Program) *graphInfo {
	g := &graphInfo{prog: p, producer: map[string]*onnx.Node{}, consumers: map[string][]*onnx.Node{}, siluIn: map[*onnx.Node]bool{}, chain: map[*onnx.Node]bool{}}
	for _, n := range p.Nodes() {
		for _, o := range n.Outputs {
			g.producer[o] = n
		}
		for _, in := range n.Inputs {
			g.consumers[in] = append(g.consumers[in], n)
		}
	}
	for _, n := range p.Nodes() {
		if n.OpType != "Sigmoid" {
			continue
		}
		c := g.producer[n.Inputs[0]]
		if c == nil || c.OpType != "Conv" {
			continue
		}
		for _, m := range g.consumers[n.Outputs[0]] {
			if m.OpType == "Mul" && (m.Inputs[0] == c.Outputs[0] || m.Inputs[1] == c.Outputs[0]) {
				g.siluIn[n], g.siluIn[m] = true, true
			}
		}
	}
	g.strideMul = findStrideMul(g, p)
	if g.strideMul != nil {
		for _, o := range p.Outputs() {
			if cat := g.producer[o.Name]; cat != nil && cat.OpType == "Concat" {
				for _, in := range cat.Inputs {
					if n := g.producer[in]; n != nil && n.OpType == "Sigmoid" {
						g.clsSigmoid = n
					}
				}
			}
		}
	}
	g.boxHeads, g.clsHeads = map[*onnx.Node]int{}, map[*onnx.Node]int{}
	g.output = outputChain(p, g)
	for n := range g.output {
		if n.OpType != "Concat" || len(n.Inputs) < 2 {
			continue
		}
		mixes := false // a Concat of computed values, not of moved ones
		for _, in := range n.Inputs {
			if pr := g.producer[in]; pr != nil && !dataMovement(pr.OpType) {
				mixes = true
			}
		}
		if !mixes {
			continue
		}
		for i, in := range n.Inputs {
			pr := g.producer[in]
			if pr == nil || (i < len(n.Inputs)-1 && dataMovement(pr.OpType)) {
				continue // box inputs come from the decode's arithmetic
			}
			heads := g.boxHeads
			if i == len(n.Inputs)-1 {
				heads = g.clsHeads
			}
			heads[pr] = slices.Index(pr.Outputs, in)
		}
	}
	g.dflConv = findDFLConv(p)
	if g.strideMul != nil && g.dflConv != nil {
		// Nodes reachable from the DFL conv that reach the stride Mul.
		down := map[*onnx.Node]bool{}
		var fwd func(n *onnx.Node)
		fwd = func(n *onnx.Node) {
			for _, o := range n.Outputs {
				for _, c := range g.consumers[o] {
					if !down[c] {
						down[c] = true
						fwd(c)
					}
				}
			}
		}
		fwd(g.dflConv)
		up := map[*onnx.Node]bool{}
		var back func(n *onnx.Node)
		back = func(n *onnx.Node) {
			for _, in := range n.Inputs {
				if pn := g.producer[in]; pn != nil && !up[pn] {
					up[pn] = true
					back(pn)
				}
			}
		}
		back(g.strideMul)
		for n := range down {
			if up[n] && n != g.strideMul {
				g.chain[n] = true
			}
		}
	}
	return g
}

// findStrideMul finds the Mul with a constant operand whose output feeds
// the Concat that writes a graph output: boxes × strides in an Ultralytics
// export (/model.22/Mul_2).
func findStrideMul(g *graphInfo, p *engine.Program) *onnx.Node {
	for _, o := range p.Outputs() {
		cat := g.producer[o.Name]
		if cat == nil || cat.OpType != "Concat" {
			continue
		}
		for _, in := range cat.Inputs {
			n := g.producer[in]
			if n == nil || n.OpType != "Mul" {
				continue
			}
			for _, x := range n.Inputs {
				if _, ok := p.Constant(x); ok {
					return n
				}
			}
		}
	}
	return nil
}

// findDFLConv finds the 1x1 Conv with 16 input channels, one output and
// weights 0..15: the DFL expectation.
func findDFLConv(p *engine.Program) *onnx.Node {
	for _, n := range p.Nodes() {
		if n.OpType != "Conv" || len(n.Inputs) < 2 {
			continue
		}
		w, ok := p.Constant(n.Inputs[1])
		if !ok || len(w.F) < 2 || w.Shape[0] != 1 {
			continue
		}
		ramp := true
		for i, v := range w.F {
			if v != float32(i) {
				ramp = false
				break
			}
		}
		if ramp {
			return n
		}
	}
	return nil
}

// placed reports whether input i of n is a quantization point under pl.
func (g *graphInfo) placed(pl Placement, n *onnx.Node, i int) bool {
	switch pl {
	case Literal:
		return true
	case CubeConst:
		if isCube(n.OpType) {
			return i == 0 || g.dataOperand(n, i)
		}
		for _, in := range n.Inputs {
			if _, ok := g.prog.Constant(in); ok {
				return true
			}
		}
		return false
	default: // Fused, FusedSym
		if isCube(n.OpType) {
			return i == 0 || g.dataOperand(n, i)
		}
		return !g.siluIn[n] && !g.chain[n]
	}
}

// dataOperand reports whether input i of a matrix multiply is computed at
// run time: attention (YOLO11's C2PSA) multiplies two activations, and the
// cube quantizes both, as it quantizes a conv's data input.
func (g *graphInfo) dataOperand(n *onnx.Node, i int) bool {
	if n.OpType != "MatMul" || i != 1 {
		return false
	}
	_, isConst := g.prog.Constant(n.Inputs[1])
	return !isConst
}

// StrideMul names the detected box × stride Mul ("" when the graph has no
// decode, e.g. a six-branch export).
func (s *Sim) StrideMul() string { return s.strideMul }
