//go:build nnie && nnietestdouble

package nnie

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nniescope/nniescope/shared/yolo"
)

// TestBindingAgainstTestDouble runs the binding — the code a real board
// links — against the C test double of the NNIE API: load, the layout the
// model states, a forward whose query times out once, the S32 × 4096
// outputs with padded rows.
func TestBindingAgainstTestDouble(t *testing.T) {
	if _, err := Load([]byte("not a wk")); err == nil || !strings.Contains(err.Error(), "HI_MPI_SVP_NNIE_LoadModel") || !strings.Contains(err.Error(), "arch_version") {
		t.Fatalf("loading junk: %v", err)
	}
	for wk, want := range map[string]string{"FAKEWK-2IN": "2 inputs", "FAKEWK-2SEG": "2 segments: multi-segment models"} {
		if _, err := Load([]byte(wk)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error mentioning %q", wk, err, want)
		}
	}
	m, err := Load([]byte("FAKEWK v1"))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.Input.Name != "data" || m.Input.W != 8 || m.Input.H != 4 || m.Input.C != 3 || m.Input.Stride != 16 || !m.Input.U8 || m.Input.Size != 16*4*3 {
		t.Fatalf("input %+v", m.Input)
	}
	if len(m.Outputs) != 2 || m.Outputs[0].Name != "out_a" || m.Outputs[0].Stride != 32 || m.Outputs[1].C != 2 || m.Outputs[1].Stride != 16 {
		t.Fatalf("outputs %+v", m.Outputs)
	}
	in := make([]byte, m.Input.Size)
	for r := range 12 { // 3 planes × 4 rows of 8 pixels; the padding stays 0
		for c := range 8 {
			in[r*16+c] = 1
		}
	}
	if _, err := m.Run(in[:10], time.Second); err == nil || !strings.Contains(err.Error(), "takes 192") {
		t.Fatalf("short input: %v", err)
	}
	for run := range 2 { // the buffers are reused
		outs, err := m.Run(in, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if outs[0].Type != yolo.RawS32x4096 || len(outs[0].Shape) != 4 || outs[0].Shape[3] != 5 || outs[0].RowStride != 32 {
			t.Fatalf("run %d: output 0 %+v", run, outs[0])
		}
		a, err := outs[0].Float()
		if err != nil {
			t.Fatal(err)
		}
		// out_a[y][x] = sum(input) + 10y + x with sum = 96.
		if a.F[0] != 96 || a.F[5+2] != 96+10+2 {
			t.Fatalf("run %d: out_a %v", run, a.F)
		}
		b, err := outs[1].Float()
		if err != nil {
			t.Fatal(err)
		}
		if b.F[0] != -0.5 || b.F[5] != -3 {
			t.Fatalf("run %d: out_b %v", run, b.F)
		}
	}
}

// Close gives back every MMZ buffer, the task buffer's registration and
// the model, and so does every Load that fails half-way: an allocation
// that fails at any point of Load leaves nothing behind.
func TestBindingGivesEverythingBack(t *testing.T) {
	if n := DoubleLive(); n != 0 {
		t.Fatalf("%d objects live before any load", n)
	}
	m, err := Load([]byte("FAKEWK v1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Run(make([]byte, m.Input.Size), time.Second); err != nil {
		t.Fatal(err)
	}
	m.Close()
	if n := DoubleLive(); n != 0 {
		t.Fatalf("%d objects live after Close", n)
	}
	// MMZ allocations in Load: the model, task, temporary, input, 2 outputs.
	for k := 1; k <= 6; k++ {
		DoubleFailAlloc(k)
		m, err := Load([]byte("FAKEWK v1"))
		DoubleFailAlloc(0)
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
