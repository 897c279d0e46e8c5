//go:build svp && svptestdouble

package svp

import (
	"strings"
	"testing"
)

// TestBindingAgainstTestDouble runs the binding — the code a real board
// links — against the C test double of the SVP ACL API.
func TestBindingAgainstTestDouble(t *testing.T) {
	rt, err := Open(0)
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	if _, err := rt.Load([]byte("not an om")); err == nil || !strings.Contains(err.Error(), "svp_acl_mdl_load_from_mem") {
		t.Fatalf("loading junk: %v", err)
	}
	m, err := rt.Load([]byte("FAKEOM v1"))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if len(m.Outputs) != 2 || m.Outputs[0].Name != "out_f32" || m.Outputs[1].Stride != 16 {
		t.Fatalf("outputs %+v", m.Outputs)
	}
	size, stride := m.InputLayout(0)
	in := make([]byte, size)
	for r := 0; r < 12; r++ { // 3 planes × 4 rows of 8 pixels, rows padded to stride
		for c := 0; c < 8; c++ {
			in[r*stride+c] = 1
		}
	}
	if _, err := m.Run([][]byte{in[:10]}); err == nil {
		t.Fatal("short input accepted")
	}
	outs, err := m.Run([][]byte{in})
	if err != nil {
		t.Fatal(err)
	}
	f, err := outs[0].Float()
	if err != nil {
		t.Fatal(err)
	}
	// out0[r][c] = sum(input) + 10r + c with sum = 96.
	if f.F[0] != 96 || f.F[5] != 96+10+2 {
		t.Fatalf("F32 output %v", f.F)
	}
	s8, err := outs[1].Float()
	if err != nil {
		t.Fatal(err)
	}
	if s8.F[0] != -4 || s8.F[9] != 5 {
		t.Fatalf("S8 output %v", s8.F)
	}
}
