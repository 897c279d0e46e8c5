package engine

import (
	"testing"

	"github.com/nniescope/nniescope/shared/engine/internal/gemm"
)

// TestIm2colMatchesNaive compares every panel of im2colPanel with the
// definition, over geometries that exercise each fast path: pointwise,
// unit-stride rows clipped by padding, panels wrapping across output rows,
// strides, dilations and a ragged last panel.
func TestIm2colMatchesNaive(t *testing.T) {
	tests := []struct {
		name                 string
		c, h, w, k, s, p, dl int
	}{
		{"pointwise", 3, 5, 7, 1, 1, 0, 1},
		{"3x3 s1 p1 wide rows", 2, 4, 32, 3, 1, 1, 1},
		{"3x3 s1 p1 rows wrap panels", 2, 5, 40, 3, 1, 1, 1},
		{"3x3 s1 p1 narrow", 2, 9, 10, 3, 1, 1, 1},
		{"3x3 s2 p1", 3, 11, 20, 3, 2, 1, 1},
		{"3x3 s2 p1 wide rows, interior strips", 2, 7, 160, 3, 2, 1, 1},
		{"3x3 s2 p1 odd width", 2, 6, 99, 3, 2, 1, 1},
		{"5x5 s1 p2 dilated", 1, 12, 24, 5, 1, 2, 2},
		{"2x2 s2 p0", 2, 8, 8, 2, 2, 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := convGeom{c: tc.c, h: tc.h, w: tc.w, kh: tc.k, kw: tc.k, sh: tc.s, sw: tc.s, dh: tc.dl, dw: tc.dl, pt: tc.p, pl: tc.p}
			ek := (tc.k-1)*tc.dl + 1
			g.oh = (tc.h+2*tc.p-ek)/tc.s + 1
			g.ow = (tc.w+2*tc.p-ek)/tc.s + 1
			img := make([]float32, tc.c*tc.h*tc.w)
			for i := range img {
				img[i] = float32(i + 1)
			}
			k := tc.c * tc.k * tc.k
			npix := g.oh * g.ow
			pb := make([]float32, k*gemm.NR)
			for col0 := 0; col0 < npix; col0 += gemm.NR {
				cols := min(gemm.NR, npix-col0)
				for i := range pb {
					pb[i] = -1 // every slot must be written
				}
				im2colPanel(pb, img, &g, tc.c, col0, cols)
				kk := 0
				for ch := range tc.c {
					for ky := range tc.k {
						for kx := range tc.k {
							for j := range gemm.NR {
								want := float32(0)
								if j < cols {
									oy, ox := (col0+j)/g.ow, (col0+j)%g.ow
									iy, ix := oy*tc.s-tc.p+ky*tc.dl, ox*tc.s-tc.p+kx*tc.dl
									if iy >= 0 && iy < tc.h && ix >= 0 && ix < tc.w {
										want = img[(ch*tc.h+iy)*tc.w+ix]
									}
								}
								if got := pb[kk*gemm.NR+j]; got != want {
									t.Fatalf("panel at %d, tap (c%d,%d,%d) col %d: %v, want %v", col0, ch, ky, kx, j, got, want)
								}
							}
							kk++
						}
					}
				}
			}
		})
	}
}

// The panels of a 3x3 convolution of stride 1 or 2 padded by one, read
// from the zero-bordered copy of the input, are im2colPanel's exactly:
// every panel, over widths where panels fit rows, wrap across two rows or
// more, and the ragged last, odd and even sizes.
func TestPaddedPanelsMatchIm2col(t *testing.T) {
	for _, tc := range []struct{ c, h, w, s int }{{2, 4, 16, 1}, {3, 5, 32, 1}, {2, 5, 40, 1}, {1, 9, 24, 1}, {4, 3, 48, 1},
		{2, 6, 32, 2}, {3, 7, 33, 2}, {2, 5, 80, 2}, {1, 4, 64, 2}, {3, 9, 96, 2},
		{2, 5, 10, 1}, {2, 7, 20, 2}, {1, 3, 5, 1}} { // panels across two and more rows
		oh, ow := (tc.h+2-3)/tc.s+1, (tc.w+2-3)/tc.s+1
		g := convGeom{c: tc.c, h: tc.h, w: tc.w, kh: 3, kw: 3, sh: tc.s, sw: tc.s, dh: 1, dw: 1, pt: 1, pl: 1, oh: oh, ow: ow, pads: [4]int{1, 1, 1, 1}}
		img := make([]float32, tc.c*tc.h*tc.w)
		for i := range img {
			img[i] = float32(i + 1)
		}
		padded := make([]float32, tc.c*(tc.h+2)*(tc.w+2)+gemm.NR)
		padInput(&exec{threads: 1}, padded, img, tc.c, tc.h, tc.w)
		k := tc.c * 9
		want, got := make([]float32, k*gemm.NR), make([]float32, k*gemm.NR)
		for col0 := 0; col0 < oh*ow; col0 += gemm.NR {
			cols := min(gemm.NR, oh*ow-col0)
			paddedPanel(got, padded, &g, tc.c, col0, cols)
			im2colPanel(want, img, &g, tc.c, col0, cols)
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("%+v panel at %d: value %d = %v, im2col %v", tc, col0, i, got[i], want[i])
				}
			}
		}
	}
}
