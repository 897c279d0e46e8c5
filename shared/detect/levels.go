package detect

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/nniescope/nniescope/shared/engine"
	"github.com/nniescope/nniescope/shared/onnx"
	"github.com/nniescope/nniescope/shared/yolo"
)

// AnchorsKey is the model metadata key anchors are read from: what
// --anchors sets (yolo.ParseAnchors' forms).
const AnchorsKey = "anchors"

// levelGrids says whether the outputs are YOLOv5's raw levels: two or
// more, each [1, C, H, W] or [1, A, H, W, K] (H and W at dims 2, 3) on the
// grid of its own stride of 8, 16, 32 or 64 for a w×h input. YOLOv8's raw
// heads put two branches on each grid; a feature map of a cut graph lies
// on no such grid.
func levelGrids(outs []onnx.ValueInfo, w, h int) bool {
	seen := map[int]bool{}
	for _, o := range outs {
		s := o.Shape
		if (len(s) != 4 && len(s) != 5) || s[0] != 1 {
			return false
		}
		stride := levelStride(s, w, h)
		if stride == 0 || seen[stride] {
			return false
		}
		seen[stride] = true
	}
	return len(outs) >= 2
}

// levelStride is the stride (8, 16, 32 or 64) whose grid over a w×h input
// (each stride-2 stage rounding up) is dims 2, 3 of s; 0 if none is.
func levelStride(s []int, w, h int) int {
	for st := 8; st <= 64; st *= 2 {
		if (h+st-1)/st == s[2] && (w+st-1)/st == s[3] {
			return st
		}
	}
	return 0
}

// anchorLevels sets l up for a YOLOv5 head without its decode: levels by
// stride, their anchors (the model's metadata, as --anchors sets it, else
// the decode constants of the graph the program was cut from), and the
// fields per anchor, checked against every level's shape. levelGrids has
// checked the outputs' shapes and strides.
func (l *layout) anchorLevels(p *engine.Program) error {
	outs := p.Outputs()
	l.layout = yolo.AnchorLevels
	for i, o := range outs {
		l.heads = append(l.heads, headRef{stride: levelStride(o.Shape, l.w, l.h), reg: i, cls: -1})
	}
	sort.Slice(l.heads, func(i, j int) bool { return l.heads[i].stride < l.heads[j].stride })
	names := make([]string, len(l.heads))
	for i, h := range l.heads {
		names[i] = outs[h.reg].Name
	}
	m := p.Model()
	var err error
	if s, ok := m.Metadata[AnchorsKey]; ok {
		if l.anchors, err = ParseAnchors(s); err != nil {
			return fmt.Errorf("metadata %q: %w", AnchorsKey, err)
		}
	} else if l.anchors, err = graphAnchors(m, names); err != nil {
		return err
	} else if l.anchors == nil {
		return fmt.Errorf("outputs %s look like YOLOv5 levels exported without their decode, which need the anchors: pass --anchors with the model yaml's (e.g. v7.0's \"10,13,16,30,33,23;30,61,62,45,59,119;116,90,156,198,373,326\", input pixels, strides ascending)", describe(outs))
	}
	if len(l.anchors) != len(l.heads) {
		return fmt.Errorf("anchors %s: %d levels, the outputs have %d", l.anchors, len(l.anchors), len(l.heads))
	}
	for i, h := range l.heads {
		s, na := outs[h.reg].Shape, len(l.anchors[i])
		k := 0
		switch {
		case len(s) == 4 && s[1]%na == 0:
			k = s[1] / na
		case len(s) == 5 && s[1] == na:
			k = s[4]
		}
		if k < 6 || (l.fields != 0 && k != l.fields) {
			return fmt.Errorf("output %q %v does not hold %d anchors × (5 + classes) fields (anchors %s)", outs[h.reg].Name, s, na, l.anchors)
		}
		l.fields = k
	}
	return nil
}

// describe lists values as name and shape.
func describe(vs []onnx.ValueInfo) string {
	var b strings.Builder
	for i, v := range vs {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q %v", v.Name, v.Shape)
	}
	return b.String()
}

// graphAnchors finds the anchors in a full YOLOv5 export's decode, past
// the program's outputs: wh = (2σ)²·anchor_grid is a Mul of a square (Pow
// 2, or x·x) by a constant [1, A, 1|H, 1|W, 2] holding the level's anchors
// in pixels; the level is the output the square derives from. nil when
// the graph has no such decode (a raw export).
func graphAnchors(m *onnx.Model, levels []string) (yolo.Anchors, error) {
	full, err := engine.Analyze(m, engine.Options{Threads: 1})
	if err != nil {
		return nil, nil // the full graph does not analyse (a vendor tail): no decode to read
	}
	producer := map[string]*onnx.Node{}
	for _, n := range full.Nodes() {
		for _, o := range n.Outputs {
			producer[o] = n
		}
	}
	level := map[string]int{}
	for i, name := range levels {
		level[name] = i
	}
	found := make(yolo.Anchors, len(levels))
	hits := 0
	for _, n := range full.Nodes() {
		if n.OpType != "Mul" || len(n.Inputs) != 2 {
			continue
		}
		for side := range 2 {
			c, ok := full.Constant(n.Inputs[side])
			sq := producer[n.Inputs[1-side]]
			if !ok || sq == nil || !isSquare(full, sq) || len(c.Shape) != 5 || c.Shape[0] != 1 || c.Shape[4] != 2 || len(c.F) == 0 {
				continue
			}
			li, ok := upstreamLevel(sq, producer, level)
			if !ok || found[li] != nil {
				continue
			}
			na, cells := c.Shape[1], c.Shape[2]*c.Shape[3]
			for a := range na {
				w, h := c.F[a*cells*2], c.F[a*cells*2+1]
				found[li] = append(found[li], [2]float32{w, h})
			}
			hits++
		}
	}
	switch hits {
	case 0:
		return nil, nil
	case len(levels):
		return found, nil
	}
	return nil, fmt.Errorf("the graph's decode has anchor constants for %d of the %d levels %v: pass --anchors", hits, len(levels), levels)
}

// isSquare says whether n computes x² (Pow by the constant 2, or Mul of a
// value by itself).
func isSquare(p *engine.Program, n *onnx.Node) bool {
	switch {
	case n.OpType == "Pow" && len(n.Inputs) == 2:
		e, ok := p.Constant(n.Inputs[1])
		return ok && len(e.F) == 1 && e.F[0] == 2
	case n.OpType == "Mul" && len(n.Inputs) == 2:
		return n.Inputs[0] == n.Inputs[1]
	}
	return false
}

// upstreamLevel walks from n towards the inputs, breadth first, to the
// nearest value that is one of the levels.
func upstreamLevel(n *onnx.Node, producer map[string]*onnx.Node, level map[string]int) (int, bool) {
	seen := map[*onnx.Node]bool{n: true}
	queue := []*onnx.Node{n}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, in := range cur.Inputs {
			if li, ok := level[in]; ok {
				return li, true
			}
			if p := producer[in]; p != nil && !seen[p] {
				seen[p] = true
				queue = append(queue, p)
			}
		}
	}
	return 0, false
}

// Bounds on --anchors: YOLOv5's P6 models have four levels of three;
// anything far beyond is not an anchor set.
const (
	maxAnchorLevels   = 8
	maxAnchorsPerCell = 16
)

// ParseAnchors reads anchors as YOLOv5's model yaml writes them
// ("[[10,13, 16,30, 33,23], [30,61, 62,45, 59,119], [116,90, 156,198,
// 373,326]]") or as levels separated by ";" ("10,13,16,30,33,23;30,61,
// 62,45,59,119;116,90,156,198,373,326"): pixels, w h pairs, the same
// number of anchors per level.
func ParseAnchors(s string) (yolo.Anchors, error) {
	s = strings.TrimSpace(s)
	// Errors quote the value cut short: a 12 MB value was echoed whole.
	q := clipQuote(s)
	var levels []string
	if strings.HasPrefix(s, "[") {
		inner := strings.TrimSpace(s[1:])
		if !strings.HasPrefix(inner, "[") || !strings.HasSuffix(s, "]") || strings.Count(s, "[") != strings.Count(s, "]") {
			return nil, fmt.Errorf("anchors %s: want [[w,h, …], …] or w,h,…;w,h,… (the yaml's nested lists, or levels separated by semicolons)", q)
		}
		for _, part := range strings.Split(strings.TrimSuffix(inner, "]"), "]") {
			part = strings.Trim(strings.TrimSpace(part), ",[ ")
			if part != "" {
				levels = append(levels, part)
			}
		}
	} else {
		levels = strings.Split(s, ";")
	}
	if len(levels) == 0 || len(levels) > maxAnchorLevels {
		return nil, fmt.Errorf("anchors %s: %d levels, want 1..%d", q, len(levels), maxAnchorLevels)
	}
	a := make(yolo.Anchors, len(levels))
	for li, lv := range levels {
		fields := strings.FieldsFunc(lv, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
		if len(fields) == 0 || len(fields)%2 != 0 || len(fields) > 2*maxAnchorsPerCell {
			return nil, fmt.Errorf("anchors %s: level %d has %d numbers, want w,h pairs (1..%d anchors)", q, li, len(fields), maxAnchorsPerCell)
		}
		for k := 0; k < len(fields); k += 2 {
			var wh [2]float32
			for j := range 2 {
				v, err := strconv.ParseFloat(fields[k+j], 32)
				if err != nil || !(v > 0) || math.IsInf(v, 0) {
					return nil, fmt.Errorf("anchors %s: level %d: %s is not a positive number of pixels", q, li, clipQuote(fields[k+j]))
				}
				wh[j] = float32(v)
			}
			a[li] = append(a[li], wh)
		}
		if len(a[li]) != len(a[0]) {
			return nil, fmt.Errorf("anchors %s: level %d has %d anchors, level 0 has %d: every level needs the same number", q, li, len(a[li]), len(a[0]))
		}
	}
	return a, nil
}

// clipQuote quotes s for an error message, cut to its first 80 bytes
// (and how long it was) when longer.
func clipQuote(s string) string {
	const keep = 80
	if len(s) <= keep {
		return strconv.Quote(s)
	}
	cut := keep
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + fmt.Sprintf("… (%d bytes)", len(s))
}

// WithAnchors returns m with anchors (yolo.ParseAnchors' forms: what
// --anchors takes) in its metadata, where detect reads them for a YOLOv5
// exported without its decode; "" returns m. m is not modified.
func WithAnchors(m *onnx.Model, anchors string) (*onnx.Model, error) {
	if anchors == "" {
		return m, nil
	}
	a, err := ParseAnchors(anchors)
	if err != nil {
		return nil, fmt.Errorf("--anchors: %w", err)
	}
	c := *m
	c.Metadata = map[string]string{}
	for k, v := range m.Metadata {
		c.Metadata[k] = v
	}
	c.Metadata[AnchorsKey] = a.String()
	return &c, nil
}
