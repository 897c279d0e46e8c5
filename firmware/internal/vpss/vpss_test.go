//go:build vpss && vpsstestdouble

package vpss

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/nniescope/nniescope/shared/preprocess"
)

// TestSourceAgainstTestDouble runs the camera source against the C test
// double of the SDK the build tags select (NNIE-era by default, vpss_ss
// for the SVP ACL era): a 16x8 NV21 frame with a 32-byte stride converts
// to the right picture (the padding unseen, V read first), and a timeout,
// a stride smaller than the width and a format that is not YUV420SP are
// each this frame's clear error; every frame and mapping is given back,
// on every path.
func TestSourceAgainstTestDouble(t *testing.T) {
	ctx := context.Background()
	s, err := Open(0, 1, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		f, err := s.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if f.Seq != uint64(i+1) || f.Name != "vpss:0:1" || f.Image.Bounds().Dx() != 16 || f.Image.Bounds().Dy() != 8 {
			t.Fatalf("frame %d: seq %d %s %v", i, f.Seq, f.Name, f.Image.Bounds())
		}
		// Luma rises 10 per column (50 at x 0): the right edge is brighter
		// than the left and not the padding's 255.
		r0, g0, _, _ := f.Image.At(1, 3).RGBA()
		r1, g1, _, _ := f.Image.At(14, 3).RGBA()
		if !(g1 > g0) || g1>>8 >= 250 {
			t.Fatalf("luma: green %d at x 1, %d at x 14", g0>>8, g1>>8)
		}
		// Left half V 200 (red), right half U 200 (blue): read V first.
		_, _, b0, _ := f.Image.At(1, 3).RGBA()
		_, _, b1, _ := f.Image.At(14, 3).RGBA()
		if !(r0 > b0) || !(b1 > r1) {
			t.Fatalf("chroma order: left r %d b %d, right r %d b %d: V and U swapped?", r0>>8, b0>>8, r1>>8, b1>>8)
		}
		// The frame is read where VPSS wrote it, held (and both planes
		// mapped) until the consumer releases it, then given back.
		sp, ok := f.Image.(*preprocess.SemiPlanar)
		if !ok || f.Release == nil {
			t.Fatalf("frame %d is a %T (release %v): the camera's frame was copied, not read in place", i, f.Image, f.Release != nil)
		}
		if sp.StrideY != 32 || len(sp.Y) != 32*8 {
			t.Fatalf("frame %d: luma plane %d bytes, stride %d: not the mapped 32-byte-stride plane", i, len(sp.Y), sp.StrideY)
		}
		if n := outstanding(); n != 2001 {
			t.Fatalf("frame %d in use: %d outstanding, want the frame and its two mappings (2001)", i, n)
		}
		f.Release()
		f.Release() // once only
		if n := outstanding(); n != 0 {
			t.Fatalf("after frame %d: %d outstanding (frames + 1000 × mappings)", i, n)
		}
	}
	for grp, want := range map[int]string{1: "no frame in time: no frame in 50ms", 2: "smaller than its width 16", 3: "not YUV420SP"} {
		s, _ := Open(grp, 0, 50*time.Millisecond)
		_, err := s.Next(ctx)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "vpss:") {
			t.Errorf("group %d: %v, want an error naming the channel and %q", grp, err, want)
		}
		if n := outstanding(); n != 0 {
			t.Errorf("group %d: %d outstanding after the error: the frame was not released", grp, n)
		}
	}
	// A frame in one block (chroma right after luma) is mapped once and
	// offered to the NPU as it lies; split planes are not.
	s4, _ := Open(4, 0, 50*time.Millisecond)
	f, err := s4.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sp := f.Image.(*preprocess.SemiPlanar)
	if f.Device == nil || f.Device.Size != 32*12 || f.Device.Stride != 32 || f.Device.Addr != unsafe.Pointer(&sp.Y[0]) || &sp.UV[0] != &sp.Y[:32*12][32*8] {
		t.Fatalf("one-block frame: device %+v", f.Device)
	}
	if n := outstanding(); n != 1001 {
		t.Fatalf("one-block frame in use: %d outstanding, want the frame and one mapping (1001)", n)
	}
	if r, _, _, _ := f.Image.At(1, 3).RGBA(); r == 0 {
		t.Fatal("one-block frame reads as black")
	}
	f.Release()
	if n := outstanding(); n != 0 {
		t.Fatalf("after the one-block frame: %d outstanding", n)
	}
	if f0, err := s.Next(ctx); err != nil || f0.Device != nil {
		t.Fatalf("split planes offered as one device frame: %+v %v", f0.Device, err)
	} else {
		f0.Release()
	}
	if _, err := Open(0, 99, time.Second); err == nil {
		t.Error("channel 99 accepted")
	}
}

// The shim and its double are compiled against the SDK's own headers when
// the cross-compiled run says so (NNIESCOPE_SDK_HEADERS=1,
// TestVendorBindingsAgainstTheSDKs) and against testdouble/'s fallback
// headers otherwise.
func TestSourceCompiledAgainstTheExpectedHeaders(t *testing.T) {
	wantSDK := os.Getenv("NNIESCOPE_SDK_HEADERS") == "1"
	if got := !doubleFallbackHeaders(); got != wantSDK {
		t.Fatalf("compiled against the SDK's headers: %v, want %v", got, wantSDK)
	}
}
