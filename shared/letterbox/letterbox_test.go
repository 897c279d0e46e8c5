package letterbox

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestFit(t *testing.T) {
	tests := []struct {
		name                        string
		sw, sh, dw, dh              int
		newW, newH, padLeft, padTop int
	}{
		{"wide into 512x288", 640, 426, 512, 288, 433, 288, 39, 0},
		{"exact fit", 512, 288, 512, 288, 512, 288, 0, 0},
		{"tall", 100, 400, 640, 640, 160, 640, 240, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := Fit(tc.sw, tc.sh, tc.dw, tc.dh)
			if err != nil {
				t.Fatal(err)
			}
			if nw, nh := l.Inner(); nw != tc.newW || nh != tc.newH || l.PadLeft != tc.padLeft || l.PadTop != tc.padTop {
				t.Fatalf("got %+v", l)
			}
			x, y := l.ToSource(float64(l.PadLeft)+l.Scale*10, float64(l.PadTop)+l.Scale*20)
			if math.Abs(x-10) > 1e-9 || math.Abs(y-20) > 1e-9 {
				t.Fatalf("ToSource round trip gave %v,%v want 10,20", x, y)
			}
		})
	}
	if _, err := Fit(0, 1, 2, 2); err == nil {
		t.Fatal("zero size accepted")
	}
}

func TestDecode(t *testing.T) {
	nan := float32(math.NaN())
	for _, tc := range []struct {
		name            string
		dstW, dstH      uint32
		scale           float64
		padLeft, padTop float32
		srcW, srcH      uint32
		want            string // "" accepted
	}{
		{"letterboxed", 512, 288, 0.676056338028169, 39, 0, 640, 426, ""},
		{"no mapping back", 512, 288, 0, 0, 0, 0, 0, ""},
		{"half-pixel pad", 512, 288, 1, 1.5, 0, 512, 288, "padding 1.5,0"},
		{"pad outside the input", 512, 288, 1, 0, 289, 512, 288, "padding 0,289"},
		{"negative pad", 512, 288, 1, -1, 0, 512, 288, "padding -1,0"},
		{"NaN pad", 512, 288, 1, 0, nan, 512, 288, "padding 0,NaN"},
		{"NaN scale", 512, 288, math.NaN(), 0, 0, 512, 288, "scale NaN"},
		{"infinite scale", 512, 288, math.Inf(1), 0, 0, 512, 288, "scale +Inf"},
		{"negative scale", 512, 288, -1, 0, 0, 512, 288, "scale -1"},
		{"huge source", 512, 288, 1, 0, 0, 1 << 20, 288, "source 1048576x288"},
		{"huge input", 512, 1 << 31, 1, 0, 0, 512, 288, "input 512x2147483648"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := Decode(tc.dstW, tc.dstH, tc.scale, tc.padLeft, tc.padTop, tc.srcW, tc.srcH)
			switch {
			case tc.want == "" && err != nil:
				t.Fatal(err)
			case tc.want == "" && (g.DstW != int(tc.dstW) || g.PadLeft != int(tc.padLeft) || g.SrcH != int(tc.srcH)):
				t.Fatalf("decoded %+v", g)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want one naming %q", err, tc.want)
			}
		})
	}
}

func TestMapBack(t *testing.T) {
	g, _ := Fit(640, 426, 512, 288)
	for _, tc := range []struct {
		name    string
		g       Geometry
		in, out [4]float32
	}{
		{"inside", g, [4]float32{39 + 67.6056338028169, 33.80281690140845, 39 + 135.2112676056338, 67.6056338028169}, [4]float32{100, 50, 200, 100}},
		{"clipped to the picture", g, [4]float32{0, -5, 512, 300}, [4]float32{0, 0, 640, 426}},
		{"scale 0 leaves input pixels", Geometry{DstW: 512, DstH: 288}, [4]float32{1, 2, 3, 4}, [4]float32{1, 2, 3, 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.in
			tc.g.MapBack(&b)
			for k := range b {
				if math.Abs(float64(b[k]-tc.out[k])) > 1e-3 {
					t.Fatalf("%v mapped to %v, want %v", tc.in, b, tc.out)
				}
			}
		})
	}
}

func ExampleFit() {
	g, _ := Fit(640, 426, 512, 288) // a COCO picture into a 512x288 input
	w, h := g.Inner()
	x, y := g.ToSource(256, 144) // the input's centre
	fmt.Printf("scale %.4f, inner %dx%d, pad left %d top %d, centre at %.1f,%.1f\n", g.Scale, w, h, g.PadLeft, g.PadTop, x, y)
	// Output: scale 0.6761, inner 433x288, pad left 39 top 0, centre at 321.0,213.0
}
