// Package calib reads and writes the calibration_param.txt that HiSilicon's
// ATC writes for SVP ACL chips (protobuf text format, package
// "calibration") and accepts back with --gfpq_param_file. Unknown fields and
// blocks are kept verbatim, so a file survives read → write unchanged.
// docs/QUANT.md gives the schema.
package calib

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
)

// DataType names of the schema (enum calibration.DataType).
const (
	S4  = "S4"
	U4  = "U4"
	S8  = "S8"
	U8  = "U8"
	S16 = "S16"
	U16 = "U16"
	F16 = "F16"
	S32 = "S32"
	U32 = "U32"
	F32 = "F32"
)

// Range returns the integer range of a quantized data type; ok is false for
// float types.
func Range(dt string) (lo, hi float64, ok bool) {
	switch dt {
	case S4:
		return -8, 7, true
	case U4:
		return 0, 15, true
	case S8:
		return -128, 127, true
	case U8:
		return 0, 255, true
	case S16:
		return -32768, 32767, true
	case U16:
		return 0, 65535, true
	case S32:
		return math.MinInt32, math.MaxInt32, true
	case U32:
		return 0, math.MaxUint32, true
	}
	return 0, 0, false
}

func knownType(dt string) bool {
	_, _, ok := Range(dt)
	return ok || dt == F16 || dt == F32
}

// File is a parsed calibration file. Its text tree (every field as
// written, unknown ones included, so that Format reproduces the file byte
// for byte) is the one source of truth; Layers and Layer are a decoded,
// read-only view of its layer blocks, rebuilt whenever the tree changes.
// A file changes only as a whole: Splice and Clone return new files, New
// builds one from typed records.
type File struct {
	Name   string // for error messages
	fields []*Field
	layers []*Layer
	byName map[string]*Layer
}

// Layers is the file's layer records in order. Treat them as read-only:
// they are decoded from the text, and changing them changes nothing that
// Format writes.
func (f *File) Layers() []*Layer { return f.layers }

// index decodes the layer blocks of the text tree into the typed view.
func (f *File) index() error {
	f.layers, f.byName = nil, map[string]*Layer{}
	lines := map[string]int{}
	for _, fl := range f.fields {
		switch fl.Name {
		case "layer":
			if !fl.IsMessage {
				return posErr(f.Name, fl, "layer must be a block")
			}
			l, err := decodeLayer(fl, f.Name)
			if err != nil {
				return err
			}
			if prev, dup := lines[l.Name]; dup {
				return posErr(f.Name, fl, fmt.Sprintf("layer %q is also defined at line %d", l.Name, prev))
			}
			lines[l.Name] = fl.Line
			f.layers = append(f.layers, l)
			f.byName[l.Name] = l
		case "version":
		default:
			if err := suspicious(f.Name, fl, "layer", "version"); err != nil {
				return err
			}
		}
	}
	return nil
}

// Factor is a FactorParam: how one tensor is quantized. x ≈ (q − offset) /
// scale, q clamped to the data type's range; one scale per tensor, or per
// output channel for weights.
type Factor struct {
	DataType string
	Scale    []float64
	Offset   []float64
}

// Layer is one layer record.
type Layer struct {
	Name         string
	CalcDataType string
	Inputs       []Factor
	Weight       *Factor
	Outputs      []Factor
	field        *Field
	file         string
}

// Load reads and parses a file.
func Load(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("calib: %w", err)
	}
	return Parse(string(b), path)
}

// Parse parses calibration text; name appears in errors.
func Parse(src, name string) (*File, error) {
	fields, err := parseText(src, name)
	if err != nil {
		return nil, err
	}
	f := &File{Name: name, fields: fields}
	if err := f.index(); err != nil {
		return nil, err
	}
	if len(f.layers) == 0 {
		return nil, fmt.Errorf("calib: %s: no layer records (not a calibration_param.txt?)", name)
	}
	return f, nil
}

func posErr(file string, f *Field, msg string) error {
	return &SyntaxError{File: file, Line: f.Line, Col: f.Col, Msg: msg}
}

// suspicious rejects an unknown field whose name is one edit away from a
// known one: a misspelling would otherwise be kept silently as a "future"
// field and the record would lose its data.
func suspicious(file string, f *Field, known ...string) error {
	for _, k := range known {
		if f.Name != k && editDistance(f.Name, k) <= 2 && len(f.Name) > 3 {
			return posErr(file, f, fmt.Sprintf("unknown field %q (did you mean %q?)", f.Name, k))
		}
	}
	return nil
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func decodeLayer(fl *Field, file string) (*Layer, error) {
	l := &Layer{field: fl, file: file}
	for _, c := range fl.Children {
		switch c.Name {
		case "name":
			s, err := strconv.Unquote(c.Value)
			if err != nil {
				return nil, posErr(file, c, fmt.Sprintf("layer name %s is not a quoted string", c.Value))
			}
			l.Name = s
		case "calc_data_type":
			if !knownType(c.Value) {
				return nil, posErr(file, c, fmt.Sprintf("calc_data_type %q is not a DataType (S4 U4 S8 U8 S16 U16 F16 S32 U32 F32)", c.Value))
			}
			l.CalcDataType = c.Value
		case "quant_param":
			for _, q := range c.Children {
				switch q.Name {
				case "input", "weight", "output":
					fac, err := decodeFactor(q, file)
					if err != nil {
						return nil, fmt.Errorf("%w (layer %q)", err, l.Name)
					}
					switch q.Name {
					case "input":
						l.Inputs = append(l.Inputs, fac)
					case "weight":
						l.Weight = &fac
					default:
						l.Outputs = append(l.Outputs, fac)
					}
				default:
					if err := suspicious(file, q, "input", "weight", "output"); err != nil {
						return nil, err
					}
				}
			}
		default:
			if err := suspicious(file, c, "name", "calc_data_type", "quant_param", "weight_mode"); err != nil {
				return nil, err
			}
		}
	}
	if l.Name == "" {
		return nil, posErr(file, fl, "layer without a name")
	}
	return l, nil
}

func decodeFactor(q *Field, file string) (Factor, error) {
	var f Factor
	for _, c := range q.Children {
		switch c.Name {
		case "data_type":
			if !knownType(c.Value) {
				return f, posErr(file, c, fmt.Sprintf("data_type %q is not a DataType", c.Value))
			}
			f.DataType = c.Value
		case "scale", "offset":
			v, err := strconv.ParseFloat(c.Value, 64)
			if err != nil {
				return f, posErr(file, c, fmt.Sprintf("%s %q is not a number", c.Name, c.Value))
			}
			if c.Name == "scale" {
				if math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 {
					return f, posErr(file, c, fmt.Sprintf("scale %s must be a positive finite number (scale = 1/step)", c.Value))
				}
				f.Scale = append(f.Scale, v)
			} else {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return f, posErr(file, c, fmt.Sprintf("offset %s must be finite", c.Value))
				}
				f.Offset = append(f.Offset, v)
			}
		default:
			if err := suspicious(file, c, "data_type", "scale", "offset", "params"); err != nil {
				return f, err
			}
		}
	}
	if _, _, quant := Range(f.DataType); quant && q.Name != "weight" && len(f.Scale) == 0 {
		return f, posErr(file, q, fmt.Sprintf("%s block of type %s has no scale", q.Name, f.DataType))
	}
	if len(f.Offset) > 1 && len(f.Offset) != len(f.Scale) {
		return f, posErr(file, q, fmt.Sprintf("%s block has %d scales and %d offsets", q.Name, len(f.Scale), len(f.Offset)))
	}
	return f, nil
}

// Format writes the file back as text.
func (f *File) Format() string {
	var b strings.Builder
	writeText(&b, f.fields, 0)
	return b.String()
}

// Save writes the file.
func (f *File) Save(path string) error {
	if err := os.WriteFile(path, []byte(f.Format()), 0o644); err != nil {
		return fmt.Errorf("calib: %w", err)
	}
	return nil
}

// Layer returns the record of a layer name, or nil.
func (f *File) Layer(name string) *Layer { return f.byName[name] }

// Splice returns a copy of f in which each named layer's record is
// replaced by (or, when f lacks it, appended from) the record in from —
// the blog recipe: an 8-bit file with chosen layers' 16-bit records.
func (f *File) Splice(from *File, names ...string) (*File, error) {
	out := f.Clone()
	for _, name := range names {
		src := from.Layer(name)
		if src == nil {
			return nil, fmt.Errorf("calib: splice: layer %q is not in %s", name, from.Name)
		}
		cp := src.field.clone()
		replaced := false
		for i, fl := range out.fields {
			if fl.Name == "layer" && fl.IsMessage {
				if old := out.Layer(name); old != nil && old.field == fl {
					out.fields[i] = cp
					replaced = true
					break
				}
			}
		}
		if !replaced {
			out.fields = append(out.fields, cp)
		}
		if err := out.index(); err != nil {
			return nil, fmt.Errorf("calib: splice: layer %q: %w", name, err)
		}
	}
	return out, nil
}

// Clone deep-copies the file.
func (f *File) Clone() *File {
	out := &File{Name: f.Name}
	for _, fl := range f.fields {
		out.fields = append(out.fields, fl.clone())
	}
	if err := out.index(); err != nil {
		panic(fmt.Sprintf("calib: a clone of a decoded file does not decode: %v", err)) // f decoded the same tree
	}
	return out
}

// New builds a file from typed layers (the calibrator's output), with the
// version header ATC writes. A record that would not read back (an unknown
// data type, a bad scale, a name used twice) is an error naming it.
func New(layers []Layer) (*File, error) {
	f := &File{Name: "<generated>"}
	f.fields = append(f.fields, &Field{Name: "version", Value: "65536"})
	for i := range layers {
		f.fields = append(f.fields, encodeLayer(&layers[i]))
	}
	if err := f.index(); err != nil {
		return nil, fmt.Errorf("calib: new file: %w", err)
	}
	return f, nil
}

func encodeLayer(l *Layer) *Field {
	fl := &Field{Name: "layer", IsMessage: true}
	fl.Children = append(fl.Children, &Field{Name: "name", Value: strconv.Quote(l.Name)})
	if l.CalcDataType != "" {
		fl.Children = append(fl.Children, &Field{Name: "calc_data_type", Value: l.CalcDataType})
	}
	q := &Field{Name: "quant_param", IsMessage: true}
	for _, in := range l.Inputs {
		q.Children = append(q.Children, encodeFactor("input", in))
	}
	if l.Weight != nil {
		q.Children = append(q.Children, encodeFactor("weight", *l.Weight))
	}
	for _, o := range l.Outputs {
		q.Children = append(q.Children, encodeFactor("output", o))
	}
	fl.Children = append(fl.Children, q)
	if l.Weight != nil {
		fl.Children = append(fl.Children, &Field{Name: "weight_mode", Value: "NORMAL"})
	}
	return fl
}

func encodeFactor(name string, f Factor) *Field {
	fl := &Field{Name: name, IsMessage: true}
	fl.Children = append(fl.Children, &Field{Name: "data_type", Value: f.DataType})
	for _, s := range f.Scale {
		fl.Children = append(fl.Children, &Field{Name: "scale", Value: FormatFloat(s)})
	}
	for _, o := range f.Offset {
		fl.Children = append(fl.Children, &Field{Name: "offset", Value: FormatFloat(o)})
	}
	return fl
}

// FormatFloat prints a float32 the way protobuf's C++ text format does
// (SimpleFtoa), which is what ATC's files show: six significant digits
// when they read back to the same float32, nine otherwise.
func FormatFloat(v float64) string {
	f := float32(v)
	s := strconv.FormatFloat(float64(f), 'g', 6, 32)
	if back, err := strconv.ParseFloat(s, 32); err == nil && float32(back) == f {
		return s
	}
	return strconv.FormatFloat(float64(f), 'g', 9, 32)
}
