package engine

import (
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
		isCustom = func(n *onnx.Node) bool {
			_, known := registry[n.OpType]
			return n.Domain != "" || !known
		}
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
