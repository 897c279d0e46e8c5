package engine

import (
	"fmt"
	"math"
	"sync"

	"github.com/nniescope/nniescope/shared/engine/internal/gemm"
	"github.com/nniescope/nniescope/shared/engine/internal/pack"
	"github.com/nniescope/nniescope/shared/engine/internal/vmath"
	"github.com/nniescope/nniescope/shared/onnx"
	"github.com/nniescope/nniescope/shared/tensor"
)

// convGeom is the geometry of a 2-D convolution or pooling window.
type convGeom struct {
	c, h, w int // input channels, height, width (per image)
	kh, kw  int
	sh, sw  int
	dh, dw  int
	pt, pl  int // top and left padding
	oh, ow  int
	pads    [4]int
}

func windowGeom(n *onnx.Node, in []int, kh, kw int, dilations bool) (convGeom, error) {
	if len(in) != 4 {
		return convGeom{}, fmt.Errorf("input rank %d, want 4 (NCHW)", len(in))
	}
	g := convGeom{c: in[1], h: in[2], w: in[3], kh: kh, kw: kw, sh: 1, sw: 1, dh: 1, dw: 1}
	if s := n.Ints("strides", nil); len(s) == 2 {
		g.sh, g.sw = int(s[0]), int(s[1])
	}
	if d := n.Ints("dilations", nil); dilations && len(d) == 2 {
		g.dh, g.dw = int(d[0]), int(d[1])
	}
	if g.sh <= 0 || g.sw <= 0 || g.dh <= 0 || g.dw <= 0 {
		return g, fmt.Errorf("strides %d,%d and dilations %d,%d must be positive", g.sh, g.sw, g.dh, g.dw)
	}
	var pads [4]int // top, left, bottom, right
	if p := n.Ints("pads", nil); len(p) == 4 {
		for i := range 4 {
			pads[i] = int(p[i])
		}
	}
	ekh, ekw := (kh-1)*g.dh+1, (kw-1)*g.dw+1
	switch ap := n.String("auto_pad", "NOTSET"); ap {
	case "NOTSET", "VALID":
		if ap == "VALID" {
			pads = [4]int{}
		}
	case "SAME_UPPER", "SAME_LOWER":
		for i, dim := range []int{g.h, g.w} {
			s, ek := g.sh, ekh
			if i == 1 {
				s, ek = g.sw, ekw
			}
			out := (dim + s - 1) / s
			total := max(0, (out-1)*s+ek-dim)
			lo := total / 2
			if ap == "SAME_LOWER" {
				lo = total - lo
			}
			pads[i], pads[i+2] = lo, total-lo
		}
	default:
		return g, fmt.Errorf("auto_pad %q is not supported", ap)
	}
	g.pads = pads
	g.pt, g.pl = pads[0], pads[1]
	g.oh = (g.h+pads[0]+pads[2]-ekh)/g.sh + 1
	g.ow = (g.w+pads[1]+pads[3]-ekw)/g.sw + 1
	if n.Int("ceil_mode", 0) != 0 {
		g.oh = ceilOut(g.h, pads[0], pads[2], ekh, g.sh)
		g.ow = ceilOut(g.w, pads[1], pads[3], ekw, g.sw)
	}
	if g.oh <= 0 || g.ow <= 0 {
		return g, fmt.Errorf("window %dx%d does not fit input %dx%d", kh, kw, g.h, g.w)
	}
	return g, nil
}

// ceilOut is a pooled side's length with ceil_mode=1: the last partial
// window counts, but not one that would start past the input and its
// leading pad (it would cover only trailing padding). onnxruntime and
// PyTorch drop that window; the plain ceil formula keeps it.
func ceilOut(in, padLo, padHi, ek, s int) int {
	out := (in+padLo+padHi-ek+s-1)/s + 1
	if (out-1)*s >= in+padLo {
		out--
	}
	return out
}

// GEMMKernel names the matrix micro-kernel this CPU runs ("amd64-avx512",
// "amd64-avx2-fma", "go", ...): chosen at start-up from the CPU's
// features, which GODEBUG=cpu.avx512f=off narrows (benchmarks report it).
func GEMMKernel() string { return gemm.Impl() }

func bindConvKernel(n *onnx.Node, in []*value, bc bindCtx) ([]meta, *convKernel, error) {
	if in[1].konst == nil || in[1].konst.DType != tensor.Float32 {
		return nil, nil, fmt.Errorf("weight %q: %w", n.Inputs[1], errConstInput)
	}
	w := in[1].konst
	if len(w.Shape) != 4 {
		return nil, nil, fmt.Errorf("weight shape %v: only 2-D convolutions are supported", w.Shape)
	}
	groups := int(n.Int("group", 1))
	m, cg, kh, kw := w.Shape[0], w.Shape[1], w.Shape[2], w.Shape[3]
	g, err := windowGeom(n, in[0].shape, kh, kw, true)
	if err != nil {
		return nil, nil, err
	}
	if groups <= 0 || g.c != cg*groups || m%groups != 0 {
		return nil, nil, fmt.Errorf("input has %d channels, weight %v with group %d expects %d", g.c, w.Shape, groups, cg*groups)
	}
	var bias []float32
	if len(in) > 2 && in[2] != nil {
		if in[2].konst == nil || in[2].konst.Len() != m {
			return nil, nil, fmt.Errorf("bias %q must be a constant of %d values", n.Inputs[2], m)
		}
		bias = in[2].konst.F
	}
	batch := in[0].shape[0]
	mg := m / groups
	k := cg * kh * kw
	if bias == nil {
		bias = make([]float32, m) // the kernel adds its sums to a bias
	}
	c := &convKernel{g: g, groups: groups, m: m, mg: mg, k: k, packed: &packedWeights{src: w}, bias: bias, weight: w}
	c.taps = tapsOf(&g, g.c/groups)
	return []meta{{tensor.Float32, []int{batch, m, g.oh, g.ow}}}, c, nil
}

// pad3 reports whether a convolution reads its input through a
// zero-bordered copy: 3x3, stride 1 or 2, padded by one, narrower than
// 128 (convKernel.run says why).
func (g *convGeom) pad3() bool {
	return g.kh == 3 && g.kw == 3 && g.sh == g.sw && (g.sh == 1 || g.sh == 2) && g.w < 128 && g.dh == 1 && g.dw == 1 && g.pads == [4]int{1, 1, 1, 1}
}

// tapsOf is the implicit-GEMM rows of a 3x3 stride-1 convolution padded
// by one, on kernels that read B by taps (gemm.HasTaps): for channel ch
// and tap (ky, kx), the offset from a panel's top-left tap — in the
// zero-bordered copy when the convolution has one, in the input itself
// otherwise (then only panels clear of its border use them). nil for
// other convolutions: they pack every panel. A panel of 16 pixels in one
// output row then reads each row of B where it lies in the input (cache
// lines shared by the nine taps of a channel) instead of having them
// copied into a panel first.
func tapsOf(g *convGeom, channels int) *gemm.Taps {
	if !gemm.HasTaps() || g.kh != 3 || g.kw != 3 || g.sh != 1 || g.sw != 1 || g.dh != 1 || g.dw != 1 || g.pads != [4]int{1, 1, 1, 1} {
		return nil
	}
	row, plane := g.w, g.h*g.w
	if g.pad3() {
		row, plane = g.w+2, (g.h+2)*(g.w+2)
	}
	if channels*plane > math.MaxInt32 {
		return nil
	}
	off := make([]int32, 0, channels*9)
	for ch := range channels {
		for ky := range 3 {
			for kx := range 3 {
				off = append(off, int32(ch*plane+ky*row+kx))
			}
		}
	}
	t, err := gemm.NewTaps(off)
	if err != nil { // cannot happen: every offset is ≥ 0
		return nil
	}
	return t
}

// packedWeights are a conv's weights as GEMM panels, packed once, when the
// program is lowered (or first run): analysis never packs.
type packedWeights struct {
	once   sync.Once
	src    *tensor.Tensor // the float weights; nil once packed and released
	panels [][]float32    // per group, gemm.PackA panels
}

// panels packs the weights on first use.
func (c *convKernel) panels() [][]float32 {
	pw := c.packed
	pw.once.Do(func() {
		pw.panels = make([][]float32, c.groups)
		for gi := range c.groups {
			pw.panels[gi] = gemm.PackA(pw.src.F[gi*c.mg*c.k:], c.mg, c.k, c.k)
		}
	})
	return pw.panels
}

type convKernel struct {
	g        convGeom
	groups   int
	m, mg, k int
	packed   *packedWeights // shared with the fused copy
	bias     []float32
	weight   *tensor.Tensor // to notice a hook's replacement
	silu     bool           // apply x·sigmoid(x) to the output (fused)
	taps     *gemm.Taps     // implicit-GEMM rows (tapsOf); nil: pack every panel
}

// withSiLU returns the same convolution followed by SiLU.
func (c *convKernel) withSiLU() *convKernel {
	f := *c
	f.silu = true
	return &f
}

func (c *convKernel) run(x *exec, in, out []*tensor.Tensor) error {
	var packed [][]float32
	if in[1] != c.weight {
		// A hook replaced the weights for this run: pack them now.
		packed = make([][]float32, c.groups)
		for gi := range c.groups {
			packed[gi] = gemm.PackA(in[1].F[gi*c.mg*c.k:], c.mg, c.k, c.k)
		}
	} else {
		packed = c.panels()
	}
	g := c.g
	npix := g.oh * g.ow
	cgIn := g.c / c.groups
	panels := (npix + gemm.NR - 1) / gemm.NR
	batch := in[0].Shape[0]
	src, dst := in[0].F, out[0].F
	// Each tile is written once: the kernel adds its sums to the bias (no
	// pass filling the output first), and the SiLU of a fused step runs on
	// the tile in the kernel's registers (AVX-512) or while it is in cache
	// (no pass after).
	bias := c.bias
	panelSize := c.k * gemm.NR
	mr := gemm.MR()
	scratch := x.buf(x.threads * panelSize)
	// A 3x3 convolution of stride 1 or 2 padded by one reads its input
	// through a zero-bordered copy, so that every panel within one output
	// row takes a vector path (at the widths of YOLO's deep layers, 16 to
	// 32, most stride-1 panels touch an edge and would be gathered tap by
	// tap; stride-2 panels always were).
	// At widths of 128 and more, edge panels are a few (interior ones take
	// the vector paths from the input itself), and the copy would cost
	// more time, and memory (megabytes at the stem), than they do.
	pad3 := g.pad3()
	pplane := (g.h + 2) * (g.w + 2)
	var padded []float32
	if pad3 {
		// The stride-2 strip loads one float past its last tap.
		padded = x.padBuf(g.c*pplane + gemm.NR)
	}
	for b := range batch {
		if pad3 {
			padInput(x, padded, src[b*g.c*g.h*g.w:(b+1)*g.c*g.h*g.w], g.c, g.h, g.w)
		}
		for gi := range c.groups {
			img := src[(b*g.c+gi*cgIn)*g.h*g.w:]
			var pimg []float32
			if pad3 {
				pimg = padded[gi*cgIn*pplane:]
			}
			cOut := dst[(b*c.m+gi*c.mg)*npix:]
			gBias := bias[gi*c.mg:]
			pa := packed[gi]
			tiles := (c.mg + mr - 1) / mr
			// Few panels (the deep layers' small maps): split the output
			// channels instead, each worker packing every panel itself
			// (packing is a small share of a panel's work there), so the
			// threads stay evenly loaded.
			byTiles := panels < 4*x.threads && tiles >= x.threads
			n := panels
			if byTiles {
				n = tiles
			}
			// Panels are independent, so whichever thread is free takes
			// the next one; split by tiles, each call packs every panel,
			// so each thread takes one share.
			work := func(w, lo, hi int) {
				pb := scratch[w*panelSize : (w+1)*panelSize]
				t := panelTiles{c: c, pb: pb, img: img, pimg: pimg, g: &g, cgIn: cgIn, pad3: pad3, pa: pa, out: cOut, bias: gBias, npix: npix, mr: mr}
				if byTiles {
					for p := range panels {
						t.run(p, lo, hi)
					}
					return
				}
				for p := lo; p < hi; p++ {
					t.run(p, 0, tiles)
				}
			}
			if byTiles {
				x.parallelChunks(n, work)
			} else {
				x.parallelW(n, 1, work)
			}
		}
	}
	return nil
}

// panelTiles is one worker's view of a convolution group: it packs a
// panel and runs the kernel over a range of its row tiles.
type panelTiles struct {
	c         *convKernel
	pb, img   []float32
	pimg      []float32 // the zero-bordered input, when pad3
	g         *convGeom
	cgIn      int
	pad3      bool
	pa        []float32 // the group's packed weights
	out, bias []float32
	npix, mr  int
}

// run computes panel p's tiles [t0, t1) of MR output channels: full
// tiles of a panel that has taps (tapSource) read the input where it
// lies; the others pack the panel first, once.
func (t *panelTiles) run(p, t0, t1 int) {
	c, npix, mr := t.c, t.npix, t.mr
	col0 := p * gemm.NR
	cols := min(gemm.NR, npix-col0)
	src, sp, direct := t.tapSource(col0, cols)
	packed := false
	for tile := t0; tile < t1; tile++ {
		i0 := tile * mr
		ap := t.pa[tile*c.k*mr:]
		rows := min(mr, c.mg-i0)
		cp := t.out[i0*npix+col0:]
		if direct && rows == mr {
			if c.silu && gemm.KernelBiasSiLUTaps(ap, src, c.taps, sp, cp, npix, t.bias[i0:]) {
				continue
			}
			if !c.silu && gemm.KernelBiasTaps(ap, src, c.taps, sp, cp, npix, t.bias[i0:]) {
				continue
			}
		}
		if !packed {
			t.pack(col0, cols)
			packed = true
		}
		switch {
		case rows == mr && cols == gemm.NR && c.silu:
			if !gemm.KernelBiasSiLU(c.k, ap, t.pb, cp, npix, t.bias[i0:]) {
				vmath.SiLURows16(cp, rows, npix)
			}
		case rows == mr && cols == gemm.NR:
			gemm.KernelBias(c.k, ap, t.pb, cp, npix, t.bias[i0:])
		default:
			gemm.KernelEdgeBias(c.k, ap, t.pb, cp, npix, rows, cols, t.bias[i0:])
			if c.silu {
				for o := range rows {
					strip := cp[o*npix : o*npix+cols]
					vmath.SiLU(strip, strip)
				}
			}
		}
	}
}

// pack writes the panel of columns [col0, col0+cols) into pb.
func (t *panelTiles) pack(col0, cols int) {
	if t.pad3 {
		paddedPanel(t.pb, t.pimg, t.g, t.cgIn, col0, cols)
	} else {
		im2colPanel(t.pb, t.img, t.g, t.cgIn, col0, cols)
	}
}

// tapSource is where a panel's top-left tap lies, for a convolution with
// taps: a full panel in the zero-bordered copy — within one output row,
// or across two (widths that are no multiple of 16: 40 and 20 at 640),
// the second row's pixels then two floats further on than the first
// row's continuation, past its right and the next row's left border — or
// in the input itself when all the panel's taps fall inside it (stride 1,
// padding 1: output row oy reads input rows oy-1..oy+1, columns ox-1 to
// ox+16). ok is false for the others: they are packed.
func (t *panelTiles) tapSource(col0, cols int) (src []float32, sp gemm.Split, ok bool) {
	g := t.g
	if t.c.taps == nil || cols != gemm.NR {
		return nil, sp, false
	}
	oy, ox := col0/g.ow, col0%g.ow
	if t.pad3 {
		sp = gemm.Whole
		if ox+gemm.NR > g.ow {
			sp = gemm.Split{At: g.ow - ox, Gap: g.w + 2 - g.ow}
			if gemm.NR-sp.At > g.ow || oy+1 >= g.oh {
				return nil, sp, false // a third row, or past the last
			}
		}
		return t.pimg[oy*(g.w+2)+ox:], sp, true
	}
	if ox+gemm.NR > g.ow || oy < 1 || oy+1 >= g.h || ox < 1 || ox+gemm.NR+1 > g.w {
		return nil, sp, false
	}
	return t.img[(oy-1)*g.w+ox-1:], gemm.Whole, true
}

// paddedPanel is im2colPanel for a 3x3 convolution of stride 1 or 2
// padded by one, reading the zero-bordered copy of its input (padInput,
// with a strip's slack past its end): a full panel within one output row
// by the vector path; one across output rows (widths that are no multiple
// of 16: 40 and 20 at 640) or the ragged last by offsets, every tap inside
// the padded input.
func paddedPanel(pb, padded []float32, g *convGeom, channels, col0, cols int) {
	oy, ox := col0/g.ow, col0%g.ow
	pw := g.w + 2
	plane := (g.h + 2) * pw
	s := g.sh
	if cols == gemm.NR && ox+gemm.NR <= g.ow {
		if s == 2 {
			pack.Im2col3x3S2(pb, padded[2*oy*pw+2*ox:], channels, plane, pw)
		} else {
			pack.Im2col3x3(pb, padded[oy*pw+ox:], channels, plane, pw)
		}
		return
	}
	var at [gemm.NR]int // each pixel's top-left tap in the padded plane
	for j := range cols {
		p := col0 + j
		at[j] = s*(p/g.ow)*pw + s*(p%g.ow)
	}
	kk := 0
	for ch := range channels {
		base := padded[ch*plane : (ch+1)*plane]
		for ky := range 3 {
			for kx := range 3 {
				row := pb[kk*gemm.NR : kk*gemm.NR+gemm.NR]
				kk++
				off := ky*pw + kx
				for j := range cols {
					row[j] = base[at[j]+off]
				}
				clear(row[cols:])
			}
		}
	}
}

// padInput copies channels planes of h×w into dst with a zero border of
// one, planes (h+2)×(w+2).
func padInput(x *exec, dst, src []float32, channels, h, w int) {
	pw, pplane := w+2, (h+2)*(w+2)
	x.parallel(channels, 1, func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			d := dst[ch*pplane : (ch+1)*pplane]
			s := src[ch*h*w : (ch+1)*h*w]
			clear(d[:pw])
			for y := range h {
				row := d[(y+1)*pw : (y+2)*pw]
				row[0], row[pw-1] = 0, 0
				copy(row[1:pw-1], s[y*w:(y+1)*w])
			}
			clear(d[(h+1)*pw:])
		}
	})
}

// im2colPanel writes the K×NR panel of output pixels [col0, col0+cols)
// into pb, k = (channel, ky, kx), zero outside the image and past cols.
func im2colPanel(pb, img []float32, g *convGeom, channels, col0, cols int) {
	const nr = gemm.NR
	hw := g.h * g.w
	if g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.pt == 0 && g.pl == 0 && g.oh == g.h && g.ow == g.w {
		// Pointwise: the panel is a strip of each channel plane.
		if cols == nr {
			pack.Rows16(pb, img[col0:], channels, hw)
			return
		}
		for ch := range channels {
			row := pb[ch*nr : ch*nr+nr]
			n := copy(row[:cols], img[ch*hw+col0:ch*hw+col0+cols])
			clear(row[n:])
		}
		return
	}
	// Per pixel: the top-left input coordinate of its window and its
	// offset in the plane; the panel-wide ranges decide per (ky, kx)
	// whether every tap is inside the image, which skips bounds checks.
	var yb, xb, base [nr]int
	minY, maxY, minX, maxX := 1<<30, -1<<30, 1<<30, -1<<30
	for j := range cols {
		p := col0 + j
		yb[j] = (p/g.ow)*g.sh - g.pt
		xb[j] = (p%g.ow)*g.sw - g.pl
		base[j] = yb[j]*g.w + xb[j]
		minY, maxY = min(minY, yb[j]), max(maxY, yb[j])
		minX, maxX = min(minX, xb[j]), max(maxX, xb[j])
	}
	// Same output row and unit stride: each tap is one run of an input row.
	// (A panel that wraps to the next row can look contiguous in memory when
	// input and output widths match, but its taps must see the padding.)
	contiguous := cols == nr && g.sw == 1 && yb[0] == yb[nr-1]
	if contiguous && g.kh == 3 && g.kw == 3 && g.dh == 1 && g.dw == 1 &&
		yb[0] >= 0 && yb[0]+2 < g.h && xb[0] >= 0 && xb[0]+2+nr <= g.w {
		// The common 3x3 case, every tap inside the image.
		pack.Im2col3x3(pb, img[yb[0]*g.w+xb[0]:], channels, hw, g.w)
		return
	}
	if cols == nr && g.sh == 2 && g.sw == 2 && yb[0] == yb[nr-1] && g.kh == 3 && g.kw == 3 && g.dh == 1 && g.dw == 1 &&
		yb[0] >= 0 && yb[0]+2 < g.h && xb[0] >= 0 && xb[0]+2+2*nr <= g.w {
		// 3x3 stride 2, every tap (and the strip's one extra load) in
		// its input row.
		pack.Im2col3x3S2(pb, img[yb[0]*g.w+xb[0]:], channels, hw, g.w)
		return
	}
	kk := 0
	for ch := range channels {
		plane := img[ch*hw : (ch+1)*hw]
		for ky := range g.kh {
			dy := ky * g.dh
			rowsIn := minY+dy >= 0 && maxY+dy < g.h
			for kx := range g.kw {
				dx := kx * g.dw
				row := pb[kk*nr : kk*nr+nr]
				kk++
				off := dy*g.w + dx
				if contiguous {
					// One output row, unit stride: the taps are one run of
					// the input row, clipped at the image's left and right.
					iy := yb[0] + dy
					if iy < 0 || iy >= g.h {
						clear(row)
						continue
					}
					x0 := xb[0] + dx
					lo, hi := max(0, -x0), min(nr, g.w-x0)
					if lo == 0 && hi == nr {
						// An array assignment compiles to vector moves.
						*(*[nr]float32)(row) = *(*[nr]float32)(plane[base[0]+off : base[0]+off+nr])
						continue
					}
					clear(row)
					if lo < hi {
						copy(row[lo:hi], plane[base[0]+off+lo:base[0]+off+hi])
					}
					continue
				}
				if rowsIn && minX+dx >= 0 && maxX+dx < g.w {
					for j := range cols {
						row[j] = plane[base[j]+off]
					}
					clear(row[cols:])
					continue
				}
				for j := range nr {
					v := float32(0)
					if j < cols {
						iy, ix := yb[j]+dy, xb[j]+dx
						if iy >= 0 && iy < g.h && ix >= 0 && ix < g.w {
							v = plane[iy*g.w+ix]
						}
					}
					row[j] = v
				}
			}
		}
	}
}

func bindMaxPool(n *onnx.Node, in []*value, _ bindCtx) ([]meta, kernel, error) {
	ks := n.Ints("kernel_shape", nil)
	if len(ks) != 2 {
		return nil, nil, fmt.Errorf("kernel_shape %v: only 2-D pooling is supported", ks)
	}
	if len(n.Outputs) > 1 && n.Outputs[1] != "" {
		return nil, nil, fmt.Errorf("the Indices output is not supported")
	}
	g, err := windowGeom(n, in[0].shape, int(ks[0]), int(ks[1]), true)
	if err != nil {
		return nil, nil, err
	}
	batch := in[0].shape[0]
	planes := batch * g.c
	// Separable: the max over the window's columns for every input row,
	// then over its rows: kh+kw comparisons per output instead of kh·kw.
	return []meta{{tensor.Float32, []int{batch, g.c, g.oh, g.ow}}}, func(x *exec, in, out []*tensor.Tensor) error {
		src, dst := in[0].F, out[0].F
		per := g.h * g.ow
		scratch := x.buf(x.threads * per)
		x.parallelW(planes, 1, func(w, lo, hi int) {
			hm := scratch[w*per : (w+1)*per]
			for pl := lo; pl < hi; pl++ {
				s := src[pl*g.h*g.w : (pl+1)*g.h*g.w]
				d := dst[pl*g.oh*g.ow : (pl+1)*g.oh*g.ow]
				for iy := range g.h {
					row := s[iy*g.w : (iy+1)*g.w]
					hrow := hm[iy*g.ow : (iy+1)*g.ow]
					for ox := range hrow {
						m := float32(-3.4028235e38)
						for kx := range g.kw {
							if ix := ox*g.sw - g.pl + kx*g.dw; ix >= 0 && ix < g.w {
								m = max(m, row[ix])
							}
						}
						hrow[ox] = m
					}
				}
				for oy := range g.oh {
					drow := d[oy*g.ow : (oy+1)*g.ow]
					for ox := range drow {
						drow[ox] = -3.4028235e38
					}
					for ky := range g.kh {
						iy := oy*g.sh - g.pt + ky*g.dh
						if iy < 0 || iy >= g.h {
							continue
						}
						hrow := hm[iy*g.ow : (iy+1)*g.ow]
						for ox, v := range hrow {
							drow[ox] = max(drow[ox], v)
						}
					}
				}
			}
		})
		return nil
	}, nil
}

// bindResize scales H and W by constant scales or sizes: nearest (what
// YOLO exports use) or linear (bilinear, as onnxruntime computes it: the
// source coordinate clamped into the image, weights in float32).
func bindResize(n *onnx.Node, in []*value, bc bindCtx) ([]meta, kernel, error) {
	mode := n.String("mode", "nearest")
	if mode != "nearest" && mode != "linear" {
		return nil, nil, fmt.Errorf("mode %q is not supported (nearest and linear are)", mode)
	}
	r := len(in[0].shape)
	if r != 4 {
		return nil, nil, fmt.Errorf("input rank %d, want 4", r)
	}
	var scales, sizes []float32
	// opset 10: (X, scales); opset 11+: (X, roi, scales, sizes).
	si, zi := 2, 3
	if bc.opset < 11 {
		si, zi = 1, -1
	}
	if si < len(in) && in[si] != nil && in[si].konst != nil && in[si].konst.Len() > 0 {
		if in[si].konst.DType != tensor.Float32 {
			return nil, nil, fmt.Errorf("scales must be float")
		}
		scales = in[si].konst.F
	}
	if zi > 0 && zi < len(in) && in[zi] != nil {
		v, err := constInts(in[zi], "sizes")
		if err != nil {
			return nil, nil, err
		}
		for _, s := range v {
			sizes = append(sizes, float32(s))
		}
	}
	shape := append([]int(nil), in[0].shape...)
	switch {
	case len(sizes) == r:
		for i := range r {
			shape[i] = int(sizes[i])
		}
	case len(scales) == r:
		for i := range r {
			shape[i] = int(float32(in[0].shape[i]) * scales[i])
		}
	default:
		return nil, nil, fmt.Errorf("needs constant scales or sizes of %d values", r)
	}
	if shape[0] != in[0].shape[0] || shape[1] != in[0].shape[1] {
		return nil, nil, fmt.Errorf("resizing batch or channels (%v -> %v) is not supported", in[0].shape, shape)
	}
	ctm := n.String("coordinate_transformation_mode", "half_pixel")
	nm := n.String("nearest_mode", "round_prefer_floor")
	h, w, oh, ow := in[0].shape[2], in[0].shape[3], shape[2], shape[3]
	coord := func(o, inDim, outDim int) (float64, error) {
		scale := float64(outDim) / float64(inDim)
		if len(scales) == r && len(sizes) != r {
			scale = float64(scales[2])
			if inDim == w && outDim == ow {
				scale = float64(scales[3])
			}
		}
		var xf float64
		switch ctm {
		case "asymmetric":
			xf = float64(o) / scale
		case "half_pixel", "pytorch_half_pixel":
			xf = (float64(o)+0.5)/scale - 0.5
			if ctm == "pytorch_half_pixel" && outDim <= 1 {
				xf = 0
			}
		case "align_corners":
			// The resized length is in*scale, unrounded, when scales are
			// given (ONNX's reference: 4 × 0.6 is 2.4, not 2).
			if n := float64(inDim) * scale; n > 1 {
				xf = float64(o) * float64(inDim-1) / (n - 1)
			}
		case "tf_half_pixel_for_nn":
			xf = (float64(o) + 0.5) / scale
		default:
			return 0, fmt.Errorf("coordinate_transformation_mode %q is not supported", ctm)
		}
		return xf, nil
	}
	mapIdx := func(o, inDim, outDim int) (int, error) {
		xf, err := coord(o, inDim, outDim)
		if err != nil {
			return 0, err
		}
		var i int
		switch nm {
		case "floor":
			i = int(floorF(xf))
		case "ceil":
			i = int(-floorF(-xf))
		case "round_prefer_ceil":
			i = int(floorF(xf + 0.5))
		case "round_prefer_floor":
			i = int(-floorF(-(xf - 0.5)))
		default:
			return 0, fmt.Errorf("nearest_mode %q is not supported", nm)
		}
		return max(0, min(i, inDim-1)), nil
	}
	if mode == "linear" {
		return bindLinear(shape, h, w, oh, ow, coord)
	}
	ys := make([]int, oh)
	xs := make([]int, ow)
	for i := range ys {
		v, err := mapIdx(i, h, oh)
		if err != nil {
			return nil, nil, err
		}
		ys[i] = v
	}
	for i := range xs {
		v, err := mapIdx(i, w, ow)
		if err != nil {
			return nil, nil, err
		}
		xs[i] = v
	}
	return planeKernel(shape, h*w, oh*ow, func(s, d []float32) {
		for oy, iy := range ys {
			row := s[iy*w : (iy+1)*w]
			drow := d[oy*ow : (oy+1)*ow]
			for ox, ix := range xs {
				drow[ox] = row[ix]
			}
		}
	})
}

// planeKernel runs plane over each (batch, channel) plane of the input
// (in floats per plane) and the output (out per plane), planes in parallel.
func planeKernel(shape []int, in, out int, plane func(s, d []float32)) ([]meta, kernel, error) {
	planes := shape[0] * shape[1]
	return []meta{{tensor.Float32, shape}}, func(x *exec, ins, outs []*tensor.Tensor) error {
		src, dst := ins[0].F, outs[0].F
		x.parallel(planes, 1, func(lo, hi int) {
			for p := lo; p < hi; p++ {
				plane(src[p*in:(p+1)*in], dst[p*out:(p+1)*out])
			}
		})
		return nil
	}, nil
}

// bindLinear is bilinear resampling: per output row and column the two
// source indices and the weight of the second.
func bindLinear(shape []int, h, w, oh, ow int, coord func(o, inDim, outDim int) (float64, error)) ([]meta, kernel, error) {
	axis := func(inDim, outDim int) ([]int, []int, []float32, error) {
		i0, i1, f := make([]int, outDim), make([]int, outDim), make([]float32, outDim)
		for o := range outDim {
			xf, err := coord(o, inDim, outDim)
			if err != nil {
				return nil, nil, nil, err
			}
			x := float32(max(0, min(xf, float64(inDim-1))))
			lo := int(x)
			i0[o], i1[o], f[o] = lo, min(lo+1, inDim-1), x-float32(lo)
		}
		return i0, i1, f, nil
	}
	y0, y1, fy, err := axis(h, oh)
	if err != nil {
		return nil, nil, err
	}
	x0, x1, fx, err := axis(w, ow)
	if err != nil {
		return nil, nil, err
	}
	return planeKernel(shape, h*w, oh*ow, func(s, d []float32) {
		for oy := range oh {
			r0, r1, dy := s[y0[oy]*w:], s[y1[oy]*w:], fy[oy]
			drow := d[oy*ow : (oy+1)*ow]
			for ox := range drow {
				a, b, dx := x0[ox], x1[ox], fx[ox]
				drow[ox] = r0[a]*(1-dx)*(1-dy) + r0[b]*dx*(1-dy) + r1[a]*(1-dx)*dy + r1[b]*dx*dy
			}
		}
	})
}

func floorF(v float64) float64 {
	i := float64(int64(v))
	if i > v {
		i--
	}
	return i
}
