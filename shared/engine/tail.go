package engine

import (
	"fmt"
	"slices"

	"github.com/nniescope/nniescope/shared/onnx"
)

// Tail describes a custom post-process tail: nodes the engine does not
// execute (the vendor RPN patch adds DecBBox/Filter/Sort/NMS-like nodes of
// an unpublished custom domain) and everything downstream of them.
type Tail struct {
	Nodes []*onnx.Node
	// Cut names the values that feed the tail from the executable part:
	// pass them as Options.StopAt to run the graph up to the tail.
	Cut []string
}

// FindTail returns the custom tail of m, or a Tail with no nodes. A node
// belongs to the tail when its op is outside the default domain or not
// executable here (unless isCustom says otherwise, which makes the
// mapping configurable), or when it consumes a tail value.
func FindTail(m *onnx.Model, isCustom func(n *onnx.Node) bool) Tail {
	if isCustom == nil {
		isCustom = TailOps(nil)
	}
	tainted := map[string]bool{}
	inTail := map[*onnx.Node]bool{}
	var t Tail
	for _, n := range m.Nodes {
		tail := isCustom(n)
		for _, in := range n.Inputs {
			tail = tail || tainted[in]
		}
		if !tail {
			continue
		}
		inTail[n] = true
		t.Nodes = append(t.Nodes, n)
		for _, o := range n.Outputs {
			tainted[o] = true
		}
	}
	seen := map[string]bool{}
	for _, in := range m.Inputs {
		// The image is there before any node runs: a tail that reads it
		// (to clip boxes, say) needs nothing computed for it.
		seen[in.Name] = true
	}
	for _, n := range t.Nodes {
		for _, in := range n.Inputs {
			if in == "" || tainted[in] || seen[in] {
				continue
			}
			if _, isConst := m.Initializers[in]; isConst {
				continue
			}
			seen[in] = true
			t.Cut = append(t.Cut, in)
		}
	}
	return t
}

// TailOps is the mapping FindTail uses by default — a node outside the
// default domain, or with an op type that is not ONNX's, starts the tail;
// a standard ONNX op the engine lacks is an unsupported operator, not a
// tail — widened by extra: op types ("NonMaxSuppression"),
// domain-qualified op types ("svp::Filter") or node names
// ("/rpn/DecBBox") that start it too, for post-processes made of
// standard ops.
func TailOps(extra []string) func(n *onnx.Node) bool {
	return func(n *onnx.Node) bool {
		if _, known := registry[n.OpType]; n.Domain != "" || (!known && !standardOps[n.OpType]) {
			return true
		}
		return slices.Contains(extra, n.OpType) || slices.Contains(extra, n.Domain+"::"+n.OpType) || slices.Contains(extra, n.Name)
	}
}

// CutTail returns m with its custom tail removed: the values that fed the
// tail become the graph outputs, and nodes that only the tail needed are
// dropped. m is not modified; with no tail, CutTail returns m itself.
func CutTail(m *onnx.Model, isCustom func(n *onnx.Node) bool) (*onnx.Model, Tail, error) {
	t := FindTail(m, isCustom)
	if len(t.Nodes) == 0 {
		return m, t, nil
	}
	if len(t.Cut) == 0 {
		return nil, t, fmt.Errorf("engine: %s: the custom tail starting at %q (%s) reads only graph inputs and constants: nothing is left to run before it", m.Source, t.Nodes[0].Name, t.Nodes[0].OpType)
	}
	nodes, err := neededNodes(m, t.Cut)
	if err != nil {
		return nil, t, err
	}
	cut := *m
	cut.Nodes = nodes
	cut.Outputs = nil
	for _, name := range t.Cut {
		vi, ok := m.ValueInfo[name]
		if !ok {
			vi = onnx.ValueInfo{Name: name}
		}
		cut.Outputs = append(cut.Outputs, vi)
	}
	return &cut, t, nil
}
