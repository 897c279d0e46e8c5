package calib

import (
	"fmt"
	"slices"
)

// Difference is one way two files disagree about a layer.
type Difference struct {
	Layer string
	What  string // "only in a", "only in b", "calc_data_type", "input 0" (numbered from 0, as ONNX), "weight", "output 0"
	A, B  string
}

func (d Difference) String() string {
	if d.A == "" && d.B == "" {
		return fmt.Sprintf("%s: %s", d.Layer, d.What)
	}
	return fmt.Sprintf("%s: %s: %s -> %s", d.Layer, d.What, d.A, d.B)
}

// Diff lists the layers whose records differ, in a's order then b's extras.
func Diff(a, b *File) []Difference {
	var out []Difference
	for _, la := range a.Layers() {
		lb := b.Layer(la.Name)
		if lb == nil {
			out = append(out, Difference{Layer: la.Name, What: "only in " + a.Name})
			continue
		}
		if la.CalcDataType != lb.CalcDataType {
			out = append(out, Difference{la.Name, "calc_data_type", la.CalcDataType, lb.CalcDataType})
		}
		for i := 0; i < max(len(la.Inputs), len(lb.Inputs)); i++ {
			if d, ok := factorDiff(la.Inputs, lb.Inputs, i); ok {
				out = append(out, Difference{la.Name, fmt.Sprintf("input %d", i), d[0], d[1]})
			}
		}
		wa, wb := []Factor{}, []Factor{}
		if la.Weight != nil {
			wa = append(wa, *la.Weight)
		}
		if lb.Weight != nil {
			wb = append(wb, *lb.Weight)
		}
		if d, ok := factorDiff(wa, wb, 0); ok {
			out = append(out, Difference{la.Name, "weight", d[0], d[1]})
		}
		for i := 0; i < max(len(la.Outputs), len(lb.Outputs)); i++ {
			if d, ok := factorDiff(la.Outputs, lb.Outputs, i); ok {
				out = append(out, Difference{la.Name, fmt.Sprintf("output %d", i), d[0], d[1]})
			}
		}
	}
	for _, lb := range b.Layers() {
		if a.Layer(lb.Name) == nil {
			out = append(out, Difference{Layer: lb.Name, What: "only in " + b.Name})
		}
	}
	return out
}

func factorDiff(a, b []Factor, i int) ([2]string, bool) {
	get := func(fs []Factor) (Factor, bool) {
		if i < len(fs) {
			return fs[i], true
		}
		return Factor{}, false
	}
	fa, oka := get(a)
	fb, okb := get(b)
	if oka == okb && fa.DataType == fb.DataType && slices.Equal(fa.Scale, fb.Scale) && slices.Equal(fa.Offset, fb.Offset) {
		return [2]string{}, false
	}
	return [2]string{describe(fa, oka), describe(fb, okb)}, true
}

func describe(f Factor, ok bool) string {
	if !ok {
		return "none"
	}
	switch len(f.Scale) {
	case 0:
		return f.DataType
	case 1:
		off := 0.0
		if len(f.Offset) > 0 {
			off = f.Offset[0]
		}
		return fmt.Sprintf("%s scale %s offset %s (step %.4g)", f.DataType, FormatFloat(f.Scale[0]), FormatFloat(off), 1/f.Scale[0])
	}
	return fmt.Sprintf("%s %d per-channel scales", f.DataType, len(f.Scale))
}
