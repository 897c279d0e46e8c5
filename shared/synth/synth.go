// Package synth draws deterministic synthetic detection scenes with ground
// truth: shapes of four classes, of sizes spanning the three YOLOv8 strides,
// in varied colours and rotations, partly occluding each other, on textured
// backgrounds with noise and sometimes blur. The same (seed, index) always
// gives the same picture, so scenes serve as training data, a held-out
// test set and a frame source with ground truth.
package synth

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/nniescope/nniescope/shared/dataset"
	"github.com/nniescope/nniescope/shared/metrics/coco"
)

// Classes are the object classes, index = class id.
var Classes = []string{"disc", "square", "triangle", "cross"}

// Object is one labelled shape; Box is x1, y1, x2, y2 in pixels.
type Object struct {
	Class int
	Box   [4]float64
}

type shape struct {
	class   int
	cx, cy  float64
	r       float64 // half size
	rot     float64
	col     color.RGBA
	box     [4]float64
	covered int // pixels later shapes drew over
	area    int
}

// Scene draws scene i of a seed at w×h.
func Scene(seed uint64, i int, w, h int) (*image.RGBA, []Object) {
	rng := rand.New(rand.NewPCG(seed, uint64(i)*0x9e3779b97f4a7c15+1))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	// Background: two random colours mixed by a few sinusoids.
	c0, c1 := randColor(rng), randColor(rng)
	fx, fy, ph := rng.Float64()*0.08+0.01, rng.Float64()*0.08+0.01, rng.Float64()*6
	for y := range h {
		for x := range w {
			t := 0.5 + 0.25*math.Sin(float64(x)*fx+ph) + 0.25*math.Sin(float64(y)*fy+2*ph+float64(x)*fx/3)
			img.SetRGBA(x, y, mix(c0, c1, t))
		}
	}
	n := 1 + rng.IntN(8)
	shapes := make([]*shape, 0, n)
	owner := make([]int16, w*h)
	for i := range owner {
		owner[i] = -1
	}
	minSide := float64(min(w, h))
	for k := range n {
		// Log-uniform size from 10 px to half the picture: every stride
		// gets objects.
		size := math.Exp(math.Log(10) + rng.Float64()*(math.Log(minSide/2)-math.Log(10)))
		s := &shape{class: rng.IntN(len(Classes)), r: size / 2, rot: rng.Float64() * math.Pi, col: randColor(rng)}
		s.cx = s.r + rng.Float64()*(float64(w)-2*s.r)
		s.cy = s.r + rng.Float64()*(float64(h)-2*s.r)
		x1, y1 := max(0, int(s.cx-s.r*1.5)), max(0, int(s.cy-s.r*1.5))
		x2, y2 := min(w, int(s.cx+s.r*1.5)+1), min(h, int(s.cy+s.r*1.5)+1)
		bx1, by1, bx2, by2 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
		for y := y1; y < y2; y++ {
			for x := x1; x < x2; x++ {
				if !s.inside(float64(x)+0.5, float64(y)+0.5) {
					continue
				}
				if o := owner[y*w+x]; o >= 0 {
					shapes[o].covered++
				}
				owner[y*w+x] = int16(k)
				img.SetRGBA(x, y, s.col)
				s.area++
				bx1, by1 = min(bx1, float64(x)), min(by1, float64(y))
				bx2, by2 = max(bx2, float64(x+1)), max(by2, float64(y+1))
			}
		}
		s.box = [4]float64{bx1, by1, bx2, by2}
		shapes = append(shapes, s)
	}
	if rng.IntN(3) == 0 {
		boxBlur(img)
	}
	sigma := rng.Float64() * 12
	for p := 0; p < len(img.Pix); p += 4 {
		for c := range 3 {
			v := float64(img.Pix[p+c]) + rng.NormFloat64()*sigma
			img.Pix[p+c] = uint8(max(0, min(255, v)))
		}
	}
	var objs []Object
	for _, s := range shapes {
		// A shape mostly hidden by later ones is no longer labelled.
		if s.area == 0 || float64(s.covered) > 0.6*float64(s.area) {
			continue
		}
		objs = append(objs, Object{Class: s.class, Box: s.box})
	}
	return img, objs
}

func (s *shape) inside(x, y float64) bool {
	dx, dy := x-s.cx, y-s.cy
	c, sn := math.Cos(s.rot), math.Sin(s.rot)
	u, v := dx*c+dy*sn, -dx*sn+dy*c // rotated frame
	r := s.r
	switch s.class {
	case 0: // disc
		return dx*dx+dy*dy <= r*r
	case 1: // square
		return math.Abs(u) <= r*0.8 && math.Abs(v) <= r*0.8
	case 2: // triangle
		return v >= -r*0.6 && v <= r*0.9 && math.Abs(u) <= (r*0.9-v)*0.7
	default: // cross
		return (math.Abs(u) <= r && math.Abs(v) <= r*0.28) || (math.Abs(v) <= r && math.Abs(u) <= r*0.28)
	}
}

func randColor(rng *rand.Rand) color.RGBA {
	return color.RGBA{uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256)), 255}
}

func mix(a, b color.RGBA, t float64) color.RGBA {
	m := func(x, y uint8) uint8 { return uint8(float64(x)*(1-t) + float64(y)*t) }
	return color.RGBA{m(a.R, b.R), m(a.G, b.G), m(a.B, b.B), 255}
}

func boxBlur(img *image.RGBA) {
	src := append([]uint8(nil), img.Pix...)
	w, h := img.Rect.Dx(), img.Rect.Dy()
	for y := 1; y < h-1; y++ {
		for x := 1; x < w-1; x++ {
			for c := range 3 {
				var s int
				for dy := -1; dy <= 1; dy++ {
					for dx := -1; dx <= 1; dx++ {
						s += int(src[((y+dy)*w+x+dx)*4+c])
					}
				}
				img.Pix[(y*w+x)*4+c] = uint8(s / 9)
			}
		}
	}
}

// WriteDataset writes scenes first..first+n-1 of a seed as DIR/images/*.png
// and DIR/labels/*.txt (YOLO format), the layout `nniescope eval` reads,
// and the class names as DIR/classes.txt (one per line: what --names and
// the trainer read).
func WriteDataset(dir string, seed uint64, first, n, w, h int) error {
	for _, sub := range []string{"images", "labels"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return fmt.Errorf("synth: %w", err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "classes.txt"), []byte(strings.Join(Classes, "\n")+"\n"), 0o644); err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	for i := first; i < first+n; i++ {
		img, objs := Scene(seed, i, w, h)
		name := fmt.Sprintf("%06d", i)
		f, err := os.Create(filepath.Join(dir, "images", name+".png"))
		if err != nil {
			return fmt.Errorf("synth: %w", err)
		}
		if err := png.Encode(f, img); err != nil {
			f.Close()
			return fmt.Errorf("synth: %w", err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("synth: %w", err)
		}
		var lbl []byte
		for _, o := range objs {
			b := o.Box
			lbl = fmt.Appendf(lbl, "%d %.6f %.6f %.6f %.6f\n", o.Class, (b[0]+b[2])/2/float64(w), (b[1]+b[3])/2/float64(h), (b[2]-b[0])/float64(w), (b[3]-b[1])/float64(h))
		}
		if err := os.WriteFile(filepath.Join(dir, "labels", name+".txt"), lbl, 0o644); err != nil {
			return fmt.Errorf("synth: %w", err)
		}
	}
	return nil
}

// GroundTruth returns the labels of scenes first..first+n-1 as an
// evaluation set whose image paths are "synthetic:<index>" (the names the
// board's synthetic source gives its frames).
func GroundTruth(seed uint64, first, n, w, h int) *dataset.Set {
	s := &dataset.Set{GT: &coco.Dataset{}}
	for c := range Classes {
		s.GT.Categories = append(s.GT.Categories, coco.Category{ID: int64(c), Name: Classes[c]})
	}
	ann := int64(1)
	for i := first; i < first+n; i++ {
		_, objs := Scene(seed, i, w, h)
		id := int64(i + 1)
		s.Images = append(s.Images, dataset.Image{ID: id, Path: FrameName(i)})
		s.GT.Images = append(s.GT.Images, coco.Image{ID: id, Width: w, Height: h})
		for _, o := range objs {
			b := o.Box
			s.GT.Annotations = append(s.GT.Annotations, coco.Annotation{ID: ann, ImageID: id, CategoryID: int64(o.Class),
				BBox: [4]float64{b[0], b[1], b[2] - b[0], b[3] - b[1]}, Area: (b[2] - b[0]) * (b[3] - b[1])})
			ann++
		}
	}
	return s
}

// FrameName names scene i as a frame.
func FrameName(i int) string { return "synthetic:" + strconv.Itoa(i) }
