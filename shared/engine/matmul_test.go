package engine_test

import (
	"context"
	"math"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/nniescope/nniescope/internal/onnxtest"
	"github.com/nniescope/nniescope/shared/engine"
	"github.com/nniescope/nniescope/shared/onnx/onnxpb"
	"github.com/nniescope/nniescope/shared/tensor"
)

// run2 compiles one two-input node over FLOAT inputs of the given shapes
// and runs it on a and b.
func run2(t *testing.T, op string, as, bs []int, a, b []float32) (*tensor.Tensor, error) {
	t.Helper()
	dims := func(s []int) []int64 {
		d := make([]int64, len(s))
		for i, v := range s {
			d[i] = int64(v)
		}
		return d
	}
	n := &onnxpb.NodeProto{OpType: proto.String(op), Name: proto.String("n"), Input: []string{"a", "b"}, Output: []string{"y"}}
	m := graph(t, []*onnxpb.NodeProto{n}, nil, []*onnxpb.ValueInfoProto{onnxtest.ValueInfo("a", dims(as)...), onnxtest.ValueInfo("b", dims(bs)...)}, []*onnxpb.ValueInfoProto{onnxtest.ValueInfo("y")})
	p, err := engine.Compile(m, engine.Options{Threads: 2})
	if err != nil {
		return nil, err
	}
	s := p.NewSession()
	defer s.Close()
	x, _ := tensor.FromFloat32(a, as...)
	y, _ := tensor.FromFloat32(b, bs...)
	out, err := s.Run(context.Background(), []*tensor.Tensor{x, y}, nil)
	if err != nil {
		return nil, err
	}
	return &tensor.Tensor{DType: out[0].DType, Shape: append([]int(nil), out[0].Shape...), F: append([]float32(nil), out[0].F...)}, nil
}

func seq(n int, scale float32) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(i%7-3) * scale
	}
	return v
}

// TestMatMul against a direct triple loop over numpy's rules: batched,
// broadcast batch dims, 1-D operands on either side.
func TestMatMul(t *testing.T) {
	for _, tc := range []struct {
		name      string
		as, bs    []int
		wantShape []int
	}{
		{"2-D", []int{3, 4}, []int{4, 5}, []int{3, 5}},
		{"attention [1,2,N,d]x[1,2,d,N]", []int{1, 2, 6, 4}, []int{1, 2, 4, 6}, []int{1, 2, 6, 6}},
		{"broadcast batch", []int{2, 1, 3, 4}, []int{3, 4, 2}, []int{2, 3, 3, 2}},
		{"1-D left", []int{4}, []int{2, 4, 3}, []int{2, 3}},
		{"1-D right", []int{2, 3, 4}, []int{4}, []int{2, 3}},
		{"1-D both", []int{4}, []int{4}, []int{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := seq(tensor.Volume(tc.as), 0.5), seq(tensor.Volume(tc.bs), 0.25)
			got, err := run2(t, "MatMul", tc.as, tc.bs, a, b)
			if err != nil {
				t.Fatal(err)
			}
			if !tensor.EqualShape(got.Shape, tc.wantShape) {
				t.Fatalf("shape %v, want %v", got.Shape, tc.wantShape)
			}
			want := refMatMul(tc.as, tc.bs, a, b)
			for i := range want {
				if math.Abs(float64(got.F[i]-want[i])) > 1e-5 {
					t.Fatalf("element %d: %v, want %v", i, got.F[i], want[i])
				}
			}
		})
	}
	for _, tc := range []struct {
		name   string
		as, bs []int
		want   string
	}{
		{"inner dims", []int{3, 4}, []int{5, 6}, "inner dims 4 and 5 differ"},
		{"batch dims", []int{2, 3, 4}, []int{3, 4, 5}, "batch dims"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := run2(t, "MatMul", tc.as, tc.bs, seq(tensor.Volume(tc.as), 1), seq(tensor.Volume(tc.bs), 1))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), `node "n" (MatMul)`) {
				t.Fatalf("error %v, want one naming the node and %q", err, tc.want)
			}
		})
	}
}

// refMatMul is numpy's matmul by the book: promote 1-D operands, broadcast
// the batch index, sum in float64.
func refMatMul(as, bs []int, a, b []float32) []float32 {
	if len(as) == 1 {
		as = []int{1, as[0]}
	}
	if len(bs) == 1 {
		bs = []int{bs[0], 1}
	}
	m, k, n := as[len(as)-2], as[len(as)-1], bs[len(bs)-1]
	ab, bb := as[:len(as)-2], bs[:len(bs)-2]
	r := max(len(ab), len(bb))
	pad := func(s []int) []int { return append(make([]int, r-len(s)), s...) }
	pa, pb := pad(ab), pad(bb)
	batch := make([]int, r)
	for i := range batch {
		batch[i] = max(pa[i], pb[i], 1)
	}
	nb := tensor.Volume(batch)
	var out []float32
	for bi := range nb {
		ia, ib, rem := 0, 0, bi
		sa, sb := 1, 1
		for d := r - 1; d >= 0; d-- {
			c := rem % batch[d]
			rem /= batch[d]
			if pa[d] > 1 {
				ia += c * sa
			}
			if pb[d] > 1 {
				ib += c * sb
			}
			sa *= max(pa[d], 1)
			sb *= max(pb[d], 1)
		}
		for i := range m {
			for j := range n {
				var s float64
				for kk := range k {
					s += float64(a[ia*m*k+i*k+kk]) * float64(b[ib*k*n+kk*n+j])
				}
				out = append(out, float32(s))
			}
		}
	}
	return out
}

// TestPow: YOLOv5's (2σ)² with a float exponent, an INT64 constant
// exponent (ONNX lets the types differ), fractional and negative
// exponents as powf gives them, and the refusals.
func TestPow(t *testing.T) {
	base := []float32{0, 0.5, 1.5, 3, -2}
	for _, e := range []float32{2, 3, 0.5, -1} {
		got, err := run2(t, "Pow", []int{5}, []int{1}, base, []float32{e})
		if err != nil {
			t.Fatal(err)
		}
		for i, x := range base {
			want := float32(math.Pow(float64(x), float64(e)))
			if got.F[i] != want && !(math.IsNaN(float64(got.F[i])) && math.IsNaN(float64(want))) {
				t.Fatalf("%v^%v = %v, want %v", x, e, got.F[i], want)
			}
		}
	}
	// An INT64 constant exponent.
	n := &onnxpb.NodeProto{OpType: proto.String("Pow"), Name: proto.String("p"), Input: []string{"x", "e"}, Output: []string{"y"}}
	m := graph(t, []*onnxpb.NodeProto{n}, []*onnxpb.TensorProto{ints("e", nil, 2)}, []*onnxpb.ValueInfoProto{onnxtest.ValueInfo("x", 5)}, []*onnxpb.ValueInfoProto{onnxtest.ValueInfo("y")})
	p, err := engine.Compile(m, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := p.NewSession()
	defer s.Close()
	x, _ := tensor.FromFloat32(base, 5)
	out, err := s.Run(context.Background(), []*tensor.Tensor{x}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range base {
		if out[0].F[i] != v*v {
			t.Fatalf("%v^int64(2) = %v", v, out[0].F[i])
		}
	}
	// An INT64 exponent computed at run time is refused, naming it.
	n2 := &onnxpb.NodeProto{OpType: proto.String("Pow"), Name: proto.String("p"), Input: []string{"x", "e"}, Output: []string{"y"}}
	m2 := graph(t, []*onnxpb.NodeProto{n2}, nil, []*onnxpb.ValueInfoProto{onnxtest.ValueInfo("x", 5), valueInfo("e", onnxpb.TensorProto_INT64, 1)}, []*onnxpb.ValueInfoProto{onnxtest.ValueInfo("y")})
	if _, err := engine.Compile(m2, engine.Options{}); err == nil || !strings.Contains(err.Error(), `exponent "e"`) {
		t.Fatalf("run-time INT64 exponent: %v", err)
	}
}
