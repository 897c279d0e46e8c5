package pack

import (
	"slices"
	"testing"
)

func TestAssemblyMatchesGo(t *testing.T) {
	const c, h, w = 5, 4, 40
	src := make([]float32, c*h*w)
	for i := range src {
		src[i] = float32(i)
	}
	for _, off := range []int{0, 1, 7, w + 3} {
		want := make([]float32, c*9*Strip)
		got := make([]float32, c*9*Strip)
		im2col3x3Go(want, src[off:], c, h*w, w)
		Im2col3x3(got, src[off:], c, h*w, w)
		if !slices.Equal(got, want) {
			t.Fatalf("im2col3x3 at offset %d differs", off)
		}
		// Spot-check the definition: channel 1, ky 2, kx 1, pixel 3.
		if v := want[((1*3+2)*3+1)*Strip+3]; v != src[off+1*h*w+2*w+1+3] {
			t.Fatalf("im2col3x3Go wrong: %v", v)
		}
		s2w, s2g := make([]float32, c*9*Strip), make([]float32, c*9*Strip)
		im2col3x3s2Go(s2w, src[off:], c, h*w, w)
		Im2col3x3S2(s2g, src[off:], c, h*w, w)
		if !slices.Equal(s2g, s2w) {
			t.Fatalf("im2col3x3s2 at offset %d differs", off)
		}
		// The definition: channel 2, ky 1, kx 2, pixel 5 reads x 2·5+2.
		if v := s2w[((2*3+1)*3+2)*Strip+5]; v != src[off+2*h*w+1*w+2+2*5] {
			t.Fatalf("im2col3x3s2Go wrong: %v", v)
		}
		r1, r2 := make([]float32, c*Strip), make([]float32, c*Strip)
		rows16Go(r1, src[off:], c, h*w)
		Rows16(r2, src[off:], c, h*w)
		if !slices.Equal(r1, r2) || r1[Strip+2] != src[off+h*w+2] {
			t.Fatalf("rows16 at offset %d differs", off)
		}
	}
}
