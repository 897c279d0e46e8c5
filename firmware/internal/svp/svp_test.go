//go:build svp && svptestdouble

package svp

import (
	"fmt"
	"os"
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

// A real .om reports its user inputs plus the task and work buffers; the
// binding allocates those two as the vendor's sample does and feeds the
// user inputs only. A model of two user inputs runs with two and refuses a
// frame in place.
func TestBindingCreatesTheTaskAndWorkBuffers(t *testing.T) {
	rt, err := Open(0)
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	for _, tc := range []struct {
		name string
		om   string
		user int
	}{
		{"one input", "FAKEOM v1", 1},
		{"a YUV420SP input", "FAKEOMYUV v1", 1},
		{"two inputs", "FAKEOM2IN v1", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := rt.Load([]byte(tc.om))
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			if m.Inputs() != tc.user {
				t.Fatalf("Inputs() = %d, want %d (the model reports %d with its task and work buffers)", m.Inputs(), tc.user, tc.user+2)
			}
			ins := make([][]byte, tc.user)
			for i := range ins {
				size, _ := m.InputLayout(i)
				ins[i] = make([]byte, size)
			}
			if _, err := m.Run(ins); err != nil {
				t.Fatalf("a run with %d inputs: %v", tc.user, err)
			}
			if _, err := m.Run(append(ins, ins[0])); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("the model takes %d", tc.user)) {
				t.Fatalf("one input too many: %v", err)
			}
			if tc.user > 1 {
				frame := deviceMemory(4096)
				defer freeDeviceMemory(frame)
				if _, err := m.RunInPlace(frame, 4096, 16); err == nil || !strings.Contains(err.Error(), "takes 2 inputs") {
					t.Fatalf("a frame in place for a 2-input model: %v", err)
				}
			}
		})
	}
}

// Close gives back every data buffer, dataset, descriptor and allocation,
// and so does every Load that fails half-way: an allocation that fails at
// any point of Load leaves nothing behind.
func TestBindingGivesEverythingBack(t *testing.T) {
	rt, err := Open(0)
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	if n := DoubleLive(); n != 0 {
		t.Fatalf("%d objects live before any load", n)
	}
	m, err := rt.Load([]byte("FAKEOM v1"))
	if err != nil {
		t.Fatal(err)
	}
	if DoubleLive() == 0 {
		t.Fatal("a loaded model holds nothing: the double does not count")
	}
	m.Close()
	m.Close() // twice is harmless
	if n := DoubleLive(); n != 0 {
		t.Fatalf("%d objects live after Close", n)
	}
	// Allocations in Load: the model, 3 inputs (user, task, work), 2 outputs.
	for k := 1; k <= 6; k++ {
		DoubleFailMalloc(k)
		m, err := rt.Load([]byte("FAKEOM v1"))
		DoubleFailMalloc(0)
		if err == nil {
			m.Close()
			t.Fatalf("allocation %d failed but Load succeeded", k)
		}
		if n := DoubleLive(); n != 0 {
			t.Errorf("allocation %d failed (%v): %d objects left live", k, err, n)
		}
	}
}

// The double and the binding are compiled against the SDK's own headers
// when the cross-compiled run says so (NNIESCOPE_SDK_HEADERS=1,
// TestVendorBindingsAgainstTheSDKs) and against testdouble/'s fallback
// headers otherwise: a run meant to check the SDK cannot silently check
// the fallback.
func TestBindingCompiledAgainstTheExpectedHeaders(t *testing.T) {
	wantSDK := os.Getenv("NNIESCOPE_SDK_HEADERS") == "1"
	if got := !DoubleFallbackHeaders(); got != wantSDK {
		t.Fatalf("compiled against the SDK's headers: %v, want %v", got, wantSDK)
	}
}
