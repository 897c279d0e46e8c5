//go:build svp && svptestdouble

package svp

import (
	"strings"
	"testing"
	"unsafe"
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

// A YUV420SP-input model runs on a frame in place: the input buffer is
// pointed at the frame for the run (the double sums the frame's planes at
// the frame's stride) and back after it, so a run from the model's own
// buffer still works; a frame smaller than the input is refused.
func TestBindingRunsAFrameInPlace(t *testing.T) {
	rt, err := Open(0)
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	m, err := rt.Load([]byte("FAKEOMYUV v1"))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	const stride = 32 // wider than the input's default 16
	frame := deviceMemory(stride * 8 * 3 / 2)
	defer freeDeviceMemory(frame)
	px := unsafe.Slice((*byte)(frame), stride*8*3/2)
	for i := range px {
		px[i] = 255 // padding the model must not read
	}
	for r := range 8 {
		for c := range 16 {
			px[r*stride+c] = 2
		}
	}
	for r := range 4 {
		for c := range 16 {
			px[(8+r)*stride+c] = 3
		}
	}
	before := DoubleExternalInputs()
	outs, err := m.RunInPlace(frame, stride*8*3/2, stride)
	if err != nil {
		t.Fatal(err)
	}
	f, err := outs[0].Float()
	if err != nil {
		t.Fatal(err)
	}
	if f.F[0] != 2*16*8 || f.F[1] != 3*16*4 {
		t.Fatalf("sums %v %v: want 256 (luma) and 192 (chroma) read at the frame's stride", f.F[0], f.F[1])
	}
	if DoubleExternalInputs() != before+1 {
		t.Fatal("the model did not read the frame in place")
	}
	size, _ := m.InputLayout(0)
	if _, err := m.Run([][]byte{make([]byte, size)}); err != nil {
		t.Fatalf("a run from the model's own buffer after one in place: %v", err)
	}
	if DoubleExternalInputs() != before+1 {
		t.Fatal("the input buffer was not pointed back at the model's own")
	}
	if _, err := m.RunInPlace(frame, 10, stride); err == nil || !strings.Contains(err.Error(), "a frame of 10 bytes") {
		t.Fatalf("a short frame: %v", err)
	}
}
