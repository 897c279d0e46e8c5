// Package onnx loads ONNX models (as Ultralytics exports YOLOv8) into a
// plain graph: nodes with decoded attributes, initializers as tensors, and
// the graph's inputs and outputs. Execution lives in package engine.
package onnx

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"

	"google.golang.org/protobuf/proto"

	"github.com/nniescope/nniescope/shared/onnx/onnxpb"
	"github.com/nniescope/nniescope/shared/tensor"
)

// Model is a loaded ONNX graph.
type Model struct {
	// Source names the file (or "<bytes>") in error messages.
	Source string
	// Opset is the version of the default ("" / "ai.onnx") domain.
	Opset int64
	// Domains maps every imported operator domain to its version.
	Domains map[string]int64
	// Inputs are the graph inputs that are not initializers, in order.
	Inputs []ValueInfo
	// Outputs are the graph outputs, in order.
	Outputs []ValueInfo
	// ValueInfo holds shapes the file states for intermediate values.
	ValueInfo map[string]ValueInfo
	// Initializers hold constant tensors by name, including the values of
	// Constant nodes, which Decode folds away.
	Initializers map[string]*tensor.Tensor
	// Nodes in topological order.
	Nodes []*Node
	// Metadata is the model's metadata_props (Ultralytics exports carry
	// names, stride, imgsz; nniescope reads names and anchors from it).
	Metadata map[string]string
}

// ValueInfo is a named value with its (possibly partial) shape; -1 marks
// an unknown or symbolic dimension.
type ValueInfo struct {
	Name  string
	DType tensor.DType
	Shape []int
}

// Node is one operator application.
type Node struct {
	Name    string
	OpType  string
	Domain  string
	Inputs  []string // "" marks an omitted optional input
	Outputs []string
	Attrs   map[string]Attr
}

// AttrKind is the type of an attribute value.
type AttrKind uint8

const (
	AttrFloat AttrKind = iota + 1
	AttrInt
	AttrString
	AttrTensor
	AttrFloats
	AttrInts
	AttrStrings
)

// Attr is a decoded node attribute.
type Attr struct {
	Kind    AttrKind
	F       float32
	I       int64
	S       string
	T       *tensor.Tensor
	Floats  []float32
	Ints    []int64
	Strings []string
}

// ErrFormat marks input that is not a well-formed ONNX model.
var ErrFormat = errors.New("malformed ONNX model")

// Load reads and decodes an ONNX file.
func Load(path string) (*Model, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("onnx: %w", err)
	}
	return Decode(b, path)
}

// Decode decodes a serialized ModelProto; source names it in errors.
func Decode(data []byte, source string) (*Model, error) {
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(data, &mp); err != nil {
		return nil, fmt.Errorf("onnx: %s: %w: not a valid protobuf ModelProto (truncated or not an .onnx file?): %v", source, ErrFormat, err)
	}
	g := mp.GetGraph()
	if g == nil || len(g.GetNode()) == 0 {
		return nil, fmt.Errorf("onnx: %s: %w: the model has no graph nodes", source, ErrFormat)
	}
	m := &Model{
		Source:       source,
		Domains:      map[string]int64{},
		ValueInfo:    map[string]ValueInfo{},
		Initializers: map[string]*tensor.Tensor{},
	}
	for _, op := range mp.GetOpsetImport() {
		d := op.GetDomain()
		if d == "ai.onnx" {
			d = ""
		}
		m.Domains[d] = op.GetVersion()
	}
	for _, e := range mp.GetMetadataProps() {
		if m.Metadata == nil {
			m.Metadata = map[string]string{}
		}
		m.Metadata[e.GetKey()] = e.GetValue()
	}
	m.Opset = m.Domains[""]
	if m.Opset == 0 {
		return nil, fmt.Errorf("onnx: %s: %w: no opset import for the default domain", source, ErrFormat)
	}
	for _, tp := range g.GetInitializer() {
		t, err := decodeTensor(tp)
		if err != nil {
			return nil, fmt.Errorf("onnx: %s: initializer %q: %w", source, tp.GetName(), err)
		}
		m.Initializers[tp.GetName()] = t
	}
	for _, vi := range g.GetInput() {
		if _, ok := m.Initializers[vi.GetName()]; ok {
			continue
		}
		v, err := decodeValueInfo(vi)
		if err == nil && v.DType == 0 {
			err = fmt.Errorf("value %q has element type %s: the engine takes FLOAT or INT64 graph inputs (export the model with a float input)", v.Name, onnxpb.TensorProto_DataType(vi.GetType().GetTensorType().GetElemType()))
		}
		if err != nil {
			return nil, fmt.Errorf("onnx: %s: graph input: %w", source, err)
		}
		m.Inputs = append(m.Inputs, v)
	}
	for _, vi := range g.GetOutput() {
		v, err := decodeValueInfo(vi)
		if err != nil {
			return nil, fmt.Errorf("onnx: %s: graph output: %w", source, err)
		}
		m.Outputs = append(m.Outputs, v)
	}
	for _, vi := range g.GetValueInfo() {
		if v, err := decodeValueInfo(vi); err == nil {
			m.ValueInfo[v.Name] = v
		}
	}
	// A graph without inputs is valid ONNX (everything constant); one
	// without outputs computes nothing.
	if len(m.Outputs) == 0 {
		return nil, fmt.Errorf("onnx: %s: %w: the graph has no outputs", source, ErrFormat)
	}
	seen := map[string]bool{}
	for i, np := range g.GetNode() {
		n := &Node{
			Name:    np.GetName(),
			OpType:  np.GetOpType(),
			Domain:  np.GetDomain(),
			Inputs:  np.GetInput(),
			Outputs: np.GetOutput(),
			Attrs:   map[string]Attr{},
		}
		if n.Domain == "ai.onnx" {
			n.Domain = ""
		}
		if n.Name == "" {
			// Calibration records and hooks address nodes by name.
			n.Name = fmt.Sprintf("%s_%d", n.OpType, i)
		}
		if seen[n.Name] {
			n.Name = fmt.Sprintf("%s_%d", n.Name, i)
		}
		seen[n.Name] = true
		if len(n.Outputs) == 0 {
			return nil, fmt.Errorf("onnx: %s: node %q (%s): %w: no outputs", source, n.Name, n.OpType, ErrFormat)
		}
		for _, ap := range np.GetAttribute() {
			a, err := decodeAttr(ap)
			if err != nil {
				return nil, fmt.Errorf("onnx: %s: node %q (%s) attribute %q: %w", source, n.Name, n.OpType, ap.GetName(), err)
			}
			n.Attrs[ap.GetName()] = a
		}
		if n.OpType == "Constant" && n.Domain == "" {
			t, err := constantValue(n)
			if err != nil {
				return nil, fmt.Errorf("onnx: %s: node %q (Constant): %w", source, n.Name, err)
			}
			m.Initializers[n.Outputs[0]] = t
			continue
		}
		m.Nodes = append(m.Nodes, n)
	}
	if err := m.checkTopology(); err != nil {
		return nil, fmt.Errorf("onnx: %s: %w", source, err)
	}
	return m, nil
}

// checkTopology verifies every node input is produced before it is used.
func (m *Model) checkTopology() error {
	avail := map[string]bool{"": true}
	for _, in := range m.Inputs {
		avail[in.Name] = true
	}
	for name := range m.Initializers {
		avail[name] = true
	}
	for _, n := range m.Nodes {
		for _, in := range n.Inputs {
			if !avail[in] {
				return fmt.Errorf("node %q (%s): %w: input %q is not produced by any earlier node, initializer or graph input", n.Name, n.OpType, ErrFormat, in)
			}
		}
		for _, out := range n.Outputs {
			avail[out] = true
		}
	}
	for _, o := range m.Outputs {
		if !avail[o.Name] {
			return fmt.Errorf("%w: graph output %q is produced by no node", ErrFormat, o.Name)
		}
	}
	return nil
}

// Int returns an int attribute or def.
func (n *Node) Int(name string, def int64) int64 {
	if a, ok := n.Attrs[name]; ok && a.Kind == AttrInt {
		return a.I
	}
	return def
}

// Float returns a float attribute or def.
func (n *Node) Float(name string, def float32) float32 {
	if a, ok := n.Attrs[name]; ok && a.Kind == AttrFloat {
		return a.F
	}
	return def
}

// Ints returns an ints attribute or def.
func (n *Node) Ints(name string, def []int64) []int64 {
	if a, ok := n.Attrs[name]; ok && a.Kind == AttrInts {
		return a.Ints
	}
	return def
}

// String returns a string attribute or def.
func (n *Node) String(name string, def string) string {
	if a, ok := n.Attrs[name]; ok && a.Kind == AttrString {
		return a.S
	}
	return def
}

func decodeValueInfo(vi *onnxpb.ValueInfoProto) (ValueInfo, error) {
	v := ValueInfo{Name: vi.GetName()}
	tt := vi.GetType().GetTensorType()
	if tt == nil {
		return v, fmt.Errorf("value %q: only tensor types are supported", v.Name)
	}
	// Other element types leave DType 0: a graph input of such a type is
	// refused (it was read as float32); outputs and value_info only
	// describe, the engine computes their types itself.
	switch onnxpb.TensorProto_DataType(tt.GetElemType()) {
	case onnxpb.TensorProto_FLOAT:
		v.DType = tensor.Float32
	case onnxpb.TensorProto_INT64:
		v.DType = tensor.Int64
	}
	if sh := tt.GetShape(); sh != nil {
		// A shape with no dims is a scalar (non-nil, empty); a missing
		// shape stays nil. A dimension of 0 is kept as 0 (an empty
		// tensor), not taken for a symbolic one (-1).
		v.Shape = []int{}
		for _, d := range sh.GetDim() {
			if dv, ok := d.GetValue().(*onnxpb.TensorShapeProto_Dimension_DimValue); ok && dv.DimValue >= 0 {
				v.Shape = append(v.Shape, int(dv.DimValue))
			} else {
				v.Shape = append(v.Shape, -1)
			}
		}
	}
	return v, nil
}

func decodeAttr(ap *onnxpb.AttributeProto) (Attr, error) {
	switch ap.GetType() {
	case onnxpb.AttributeProto_FLOAT:
		return Attr{Kind: AttrFloat, F: ap.GetF()}, nil
	case onnxpb.AttributeProto_INT:
		return Attr{Kind: AttrInt, I: ap.GetI()}, nil
	case onnxpb.AttributeProto_STRING:
		return Attr{Kind: AttrString, S: string(ap.GetS())}, nil
	case onnxpb.AttributeProto_TENSOR:
		t, err := decodeTensor(ap.GetT())
		if err != nil {
			return Attr{}, err
		}
		return Attr{Kind: AttrTensor, T: t}, nil
	case onnxpb.AttributeProto_FLOATS:
		return Attr{Kind: AttrFloats, Floats: ap.GetFloats()}, nil
	case onnxpb.AttributeProto_INTS:
		return Attr{Kind: AttrInts, Ints: ap.GetInts()}, nil
	case onnxpb.AttributeProto_STRINGS:
		ss := make([]string, len(ap.GetStrings()))
		for i, s := range ap.GetStrings() {
			ss[i] = string(s)
		}
		return Attr{Kind: AttrStrings, Strings: ss}, nil
	}
	// Graph-valued attributes (If/Loop bodies) never occur in YOLOv8
	// exports; keep the node loadable and let the engine reject the op.
	return Attr{}, nil
}

func constantValue(n *Node) (*tensor.Tensor, error) {
	if a, ok := n.Attrs["value"]; ok && a.Kind == AttrTensor {
		return a.T, nil
	}
	if a, ok := n.Attrs["value_float"]; ok {
		return &tensor.Tensor{DType: tensor.Float32, Shape: []int{}, F: []float32{a.F}}, nil
	}
	if a, ok := n.Attrs["value_floats"]; ok {
		return &tensor.Tensor{DType: tensor.Float32, Shape: []int{len(a.Floats)}, F: a.Floats}, nil
	}
	if a, ok := n.Attrs["value_int"]; ok {
		return &tensor.Tensor{DType: tensor.Int64, Shape: []int{}, I: []int64{a.I}}, nil
	}
	if a, ok := n.Attrs["value_ints"]; ok {
		return &tensor.Tensor{DType: tensor.Int64, Shape: []int{len(a.Ints)}, I: a.Ints}, nil
	}
	return nil, fmt.Errorf("%w: no value, value_float(s) or value_int(s) attribute", ErrFormat)
}

// decodeTensor converts a TensorProto to float32 or int64 data, checking
// that the stored bytes agree with the dims.
func decodeTensor(tp *onnxpb.TensorProto) (*tensor.Tensor, error) {
	if tp == nil {
		return nil, fmt.Errorf("%w: missing tensor", ErrFormat)
	}
	if tp.GetDataLocation() == onnxpb.TensorProto_EXTERNAL || len(tp.GetExternalData()) > 0 {
		return nil, errors.New("external tensor data is not supported: save the model with all weights inside the .onnx file")
	}
	shape := make([]int, len(tp.GetDims()))
	n := 1
	for i, d := range tp.GetDims() {
		if d < 0 || d > math.MaxInt32 {
			return nil, fmt.Errorf("%w: dimension %d is %d", ErrFormat, i, d)
		}
		shape[i] = int(d)
		n *= int(d)
		if n > 1<<30 {
			return nil, fmt.Errorf("%w: tensor of shape %v is too large", ErrFormat, tp.GetDims())
		}
	}
	raw := tp.GetRawData()
	dt := onnxpb.TensorProto_DataType(tp.GetDataType())
	need := func(size int) error {
		if len(raw) != n*size {
			return fmt.Errorf("%w: %s tensor of shape %v needs %d bytes of raw_data, has %d", ErrFormat, dt, shape, n*size, len(raw))
		}
		return nil
	}
	count := func(have int) error {
		if have != n {
			return fmt.Errorf("%w: %s tensor of shape %v needs %d values, has %d", ErrFormat, dt, shape, n, have)
		}
		return nil
	}
	// Check what is stored against the dims before allocating: a header
	// claiming [2^30] with no data must not cost 4 GiB to refuse.
	if size, typed := storedSize(tp, dt); size > 0 {
		if len(raw) > 0 {
			if err := need(size); err != nil {
				return nil, err
			}
		} else if err := count(typed); err != nil {
			return nil, err
		}
	}
	t := &tensor.Tensor{Shape: shape}
	switch dt {
	case onnxpb.TensorProto_FLOAT, onnxpb.TensorProto_DOUBLE, onnxpb.TensorProto_FLOAT16:
		t.DType = tensor.Float32
		t.F = make([]float32, n)
		switch {
		case len(raw) > 0 && dt == onnxpb.TensorProto_FLOAT:
			if err := need(4); err != nil {
				return nil, err
			}
			for i := range t.F {
				t.F[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
			}
		case len(raw) > 0 && dt == onnxpb.TensorProto_DOUBLE:
			if err := need(8); err != nil {
				return nil, err
			}
			for i := range t.F {
				t.F[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:])))
			}
		case len(raw) > 0:
			if err := need(2); err != nil {
				return nil, err
			}
			for i := range t.F {
				t.F[i] = tensor.Float16ToFloat32(binary.LittleEndian.Uint16(raw[2*i:]))
			}
		case dt == onnxpb.TensorProto_FLOAT:
			if err := count(len(tp.GetFloatData())); err != nil {
				return nil, err
			}
			copy(t.F, tp.GetFloatData())
		case dt == onnxpb.TensorProto_DOUBLE:
			if err := count(len(tp.GetDoubleData())); err != nil {
				return nil, err
			}
			for i, v := range tp.GetDoubleData() {
				t.F[i] = float32(v)
			}
		default:
			if err := count(len(tp.GetInt32Data())); err != nil {
				return nil, err
			}
			for i, v := range tp.GetInt32Data() {
				t.F[i] = tensor.Float16ToFloat32(uint16(v))
			}
		}
	case onnxpb.TensorProto_INT64, onnxpb.TensorProto_INT32, onnxpb.TensorProto_INT8, onnxpb.TensorProto_UINT8, onnxpb.TensorProto_BOOL:
		t.DType = tensor.Int64
		t.I = make([]int64, n)
		switch {
		case len(raw) > 0 && dt == onnxpb.TensorProto_INT64:
			if err := need(8); err != nil {
				return nil, err
			}
			for i := range t.I {
				t.I[i] = int64(binary.LittleEndian.Uint64(raw[8*i:]))
			}
		case len(raw) > 0 && dt == onnxpb.TensorProto_INT32:
			if err := need(4); err != nil {
				return nil, err
			}
			for i := range t.I {
				t.I[i] = int64(int32(binary.LittleEndian.Uint32(raw[4*i:])))
			}
		case len(raw) > 0:
			if err := need(1); err != nil {
				return nil, err
			}
			for i := range t.I {
				if dt == onnxpb.TensorProto_INT8 {
					t.I[i] = int64(int8(raw[i]))
				} else {
					t.I[i] = int64(raw[i])
				}
			}
		case dt == onnxpb.TensorProto_INT64:
			if err := count(len(tp.GetInt64Data())); err != nil {
				return nil, err
			}
			copy(t.I, tp.GetInt64Data())
		default:
			if err := count(len(tp.GetInt32Data())); err != nil {
				return nil, err
			}
			for i, v := range tp.GetInt32Data() {
				t.I[i] = int64(v)
			}
		}
	default:
		return nil, fmt.Errorf("tensor data type %s is not supported (want FLOAT, FLOAT16, DOUBLE, INT64, INT32, INT8, UINT8 or BOOL)", dt)
	}
	return t, nil
}

// storedSize is the byte size of one element of dt in raw_data and the
// number of values tp holds in its typed field for dt; size 0 for a type
// decodeTensor does not read.
func storedSize(tp *onnxpb.TensorProto, dt onnxpb.TensorProto_DataType) (size, typed int) {
	switch dt {
	case onnxpb.TensorProto_FLOAT:
		return 4, len(tp.GetFloatData())
	case onnxpb.TensorProto_DOUBLE:
		return 8, len(tp.GetDoubleData())
	case onnxpb.TensorProto_FLOAT16:
		return 2, len(tp.GetInt32Data())
	case onnxpb.TensorProto_INT64:
		return 8, len(tp.GetInt64Data())
	case onnxpb.TensorProto_INT32:
		return 4, len(tp.GetInt32Data())
	case onnxpb.TensorProto_INT8, onnxpb.TensorProto_UINT8, onnxpb.TensorProto_BOOL:
		return 1, len(tp.GetInt32Data())
	}
	return 0, 0
}

// WithInputSize returns m with its one image input ([N, 3, H, W]) fixed
// to 1×3×h×w: what a dynamic-shape export needs before it can be
// compiled. Dims the file states must agree (a static export's reshapes
// and anchors are computed for its own size); a symbolic dim takes the
// value. m is not modified.
func (m *Model) WithInputSize(w, h int) (*Model, error) {
	if len(m.Inputs) != 1 || len(m.Inputs[0].Shape) != 4 {
		return nil, fmt.Errorf("onnx: %s: want one image input [N,3,H,W] to size, have %v", m.Source, m.Inputs)
	}
	in := m.Inputs[0]
	want := []int{1, 3, h, w}
	for i, d := range in.Shape {
		if d >= 0 && d != want[i] {
			return nil, fmt.Errorf("onnx: %s: input %q is %v: its dim %d is fixed at %d, not %d (the size is only for inputs exported with dynamic dims)", m.Source, in.Name, in.Shape, i, d, want[i])
		}
	}
	c := *m
	c.Inputs = []ValueInfo{{Name: in.Name, DType: in.DType, Shape: want}}
	return &c, nil
}

// Dynamic reports whether an input has a dim the file leaves open.
func (m *Model) Dynamic() bool {
	for _, in := range m.Inputs {
		if slices.Contains(in.Shape, -1) {
			return true
		}
	}
	return false
}

// DecodeTensor reads one serialized TensorProto (the .pb files of ONNX's
// backend node tests); source names it in errors.
func DecodeTensor(b []byte, source string) (*tensor.Tensor, error) {
	var tp onnxpb.TensorProto
	if err := proto.Unmarshal(b, &tp); err != nil {
		return nil, fmt.Errorf("onnx: %s: %w: %v", source, ErrFormat, err)
	}
	t, err := decodeTensor(&tp)
	if err != nil {
		return nil, fmt.Errorf("onnx: %s: %w", source, err)
	}
	return t, nil
}
