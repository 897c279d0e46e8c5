package quant

import (
	"context"
	"fmt"
	"math"

	"github.com/nniescope/nniescope/shared/calib"
	"github.com/nniescope/nniescope/shared/engine"
	"github.com/nniescope/nniescope/shared/onnx"
	"github.com/nniescope/nniescope/shared/preprocess"
	"github.com/nniescope/nniescope/shared/tensor"
)

// Range estimation methods.
const (
	MinMax     = "minmax"
	Percentile = "percentile"
)

// CalibOptions configure Calibrate.
type CalibOptions struct {
	Bits       int     // 8 (compile_mode 0) or 16 (compile_mode 1)
	Method     string  // MinMax (default) or Percentile
	Percentile float64 // kept share of each tail for Percentile, default 99.99
	// QuantizeFinalConcat quantizes the Concat that writes the model output
	// (boxes in pixels next to scores in 0..1) with one shared range, which
	// the vendor advises against: it exists to show the failure.
	QuantizeFinalConcat bool
	Threads             int
	StopAt              []string
}

// rangeStat accumulates the range of one tensor over the images.
type rangeStat struct {
	lo, hi float32
	hist   []uint64 // second pass, Percentile only
}

const histBins = 2048

// Calibrate runs the float model over the image files and writes records for every
// op the way ATC names and types them: CUBE ops and data movement in the
// integer type of the mode, other ops F16, per-channel S8 weights in both
// modes (16-bit mode keeps weights S8, as ATC's compile_mode 1 does).
func Calibrate(ctx context.Context, m *onnx.Model, images []string, o CalibOptions, progress func(done, total int)) (*calib.File, error) {
	if o.Bits != 8 && o.Bits != 16 {
		return nil, fmt.Errorf("quant: calibrate: bits %d, want 8 or 16", o.Bits)
	}
	if o.Method == "" {
		o.Method = MinMax
	}
	if o.Method != MinMax && o.Method != Percentile {
		return nil, fmt.Errorf("quant: calibrate: method %q, want %s or %s", o.Method, MinMax, Percentile)
	}
	if o.Percentile == 0 {
		o.Percentile = 99.99
	}
	if len(images) == 0 {
		return nil, fmt.Errorf("quant: calibrate: no images")
	}
	prog, err := engine.Compile(m, engine.Options{Threads: o.Threads, StopAt: o.StopAt})
	if err != nil {
		return nil, err
	}
	sess := prog.NewSession()
	defer sess.Close()
	in := prog.Inputs()
	if len(in) != 1 || len(in[0].Shape) != 4 {
		return nil, fmt.Errorf("quant: calibrate: want one [1,3,H,W] input, have %v", in)
	}
	x := tensor.New(in[0].Shape...)
	stats := map[string]*rangeStat{}
	observe := func(name string, t *tensor.Tensor, pass int) {
		s := stats[name]
		if pass == 0 {
			if s == nil {
				s = &rangeStat{lo: float32(math.Inf(1)), hi: float32(math.Inf(-1))}
				stats[name] = s
			}
			for _, v := range t.F {
				s.lo, s.hi = min(s.lo, v), max(s.hi, v)
			}
			return
		}
		if s.hist == nil {
			s.hist = make([]uint64, histBins)
		}
		w := float64(s.hi - s.lo)
		if w <= 0 {
			return
		}
		for _, v := range t.F {
			b := int(float64(v-s.lo) / w * (histBins - 1))
			s.hist[max(0, min(histBins-1, b))]++
		}
	}
	passes := 1
	if o.Method == Percentile {
		passes = 2
	}
	for pass := range passes {
		hooks := &engine.Hooks{AfterNode: func(n *onnx.Node, out []*tensor.Tensor) {
			for i, t := range out {
				observe(n.Outputs[i], t, pass)
			}
		}}
		for i, path := range images {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("quant: calibrate: stopped after %d of %d images: %w", pass*len(images)+i, passes*len(images), err)
			}
			if _, err := preprocess.File(path, in[0].Shape[3], in[0].Shape[2], x.F); err != nil {
				return nil, err
			}
			observe(in[0].Name, x, pass)
			if _, err := sess.Run(ctx, []*tensor.Tensor{x}, hooks); err != nil {
				if ctx.Err() != nil {
					return nil, fmt.Errorf("quant: calibrate: stopped after %d of %d images: %w", pass*len(images)+i, passes*len(images), ctx.Err())
				}
				return nil, fmt.Errorf("quant: calibrate: %s: %w", path, err)
			}
			if progress != nil {
				progress(pass*len(images)+i+1, passes*len(images))
			}
		}
	}
	rangeOf := func(name string) (float64, float64) {
		s := stats[name]
		if s == nil {
			return 0, 0
		}
		lo, hi := float64(s.lo), float64(s.hi)
		if o.Method == Percentile && s.hist != nil {
			lo, hi = percentileRange(s, o.Percentile)
		}
		return lo, hi
	}
	intType := calib.S8
	if o.Bits == 16 {
		intType = calib.S16
	}
	final := analyse(prog).output
	var layers []calib.Layer
	layers = append(layers, calib.Layer{Name: in[0].Name, CalcDataType: intType,
		Inputs: []calib.Factor{{DataType: calib.U8, Scale: []float64{255}, Offset: []float64{0}}}})
	for _, n := range prog.Nodes() {
		l := calib.Layer{Name: n.Name, CalcDataType: calcType(n.OpType, intType)}
		var ins []string
		for _, name := range n.Inputs {
			if _, isConst := prog.Constant(name); !isConst && name != "" {
				ins = append(ins, name)
			}
		}
		if len(ins) == 0 {
			continue
		}
		if final[n] {
			l.CalcDataType = calib.F16
			if o.QuantizeFinalConcat {
				lo, hi := math.Inf(1), math.Inf(-1)
				for _, name := range ins {
					a, b := rangeOf(name)
					lo, hi = math.Min(lo, a), math.Max(hi, b)
				}
				for range ins {
					l.Inputs = append(l.Inputs, asymmetric(intType, lo, hi))
				}
			} else {
				for range ins {
					l.Inputs = append(l.Inputs, calib.Factor{DataType: calib.F16, Scale: []float64{1}, Offset: []float64{0}})
				}
			}
			layers = append(layers, l)
			continue
		}
		for _, name := range ins {
			lo, hi := rangeOf(name)
			l.Inputs = append(l.Inputs, asymmetric(intType, lo, hi))
		}
		if isCube(n.OpType) && len(n.Inputs) > 1 {
			w, ok := prog.Constant(n.Inputs[1])
			if ok {
				_, scales := quantizeWeights(w, calib.S8, nil)
				l.Weight = &calib.Factor{DataType: calib.S8, Scale: scales}
			}
		}
		layers = append(layers, l)
	}
	return calib.New(layers)
}

// dataMovement ops move values without computing on them.
func dataMovement(op string) bool {
	switch op {
	case "Concat", "Slice", "Split", "Reshape", "Transpose", "Flatten", "Squeeze", "Unsqueeze", "Identity":
		return true
	}
	return false
}

// outputChain is the data movement that assembles the graph outputs from
// values vector ops computed (in float16): YOLOv8's final Concat of the
// decoded boxes and the class scores, YOLOv5's per-level Concat of
// coordinates, sizes and scores with its Reshapes and the Concat over the
// levels. ATC keeps that in float16 (the real file's final Concat is F16):
// one 8-bit scale for pixel coordinates and scores in 0..1 would round
// every score to zero. Movement of cube outputs (raw heads) stays integer.
func outputChain(prog *engine.Program, g *graphInfo) map[*onnx.Node]bool {
	chain := map[*onnx.Node]bool{}
	var walk func(name string) bool // reports whether name is float16-computed
	memo := map[string]bool{}
	walk = func(name string) bool {
		if v, ok := memo[name]; ok {
			return v
		}
		memo[name] = false
		n := g.producer[name]
		if n == nil {
			return false
		}
		if !dataMovement(n.OpType) {
			v := calcType(n.OpType, calib.S8) == calib.F16
			memo[name] = v
			return v
		}
		fromF16 := false
		for _, in := range n.Inputs {
			if _, isConst := prog.Constant(in); !isConst && in != "" && walk(in) {
				fromF16 = true
			}
		}
		if fromF16 {
			chain[n] = true
		}
		memo[name] = fromF16
		return fromF16
	}
	for _, out := range prog.Outputs() {
		walk(out.Name)
	}
	return chain
}

// calcType types a record as ATC does: CUBE ops and pure data movement run
// in the integer type; other vector ops compute in float16.
func calcType(op, intType string) string {
	switch op {
	case "Conv", "Gemm", "MatMul", "Concat", "Slice", "Split", "Reshape", "Transpose", "MaxPool", "Resize", "Flatten", "Squeeze", "Unsqueeze", "Identity":
		return intType
	}
	return calib.F16
}

// asymmetric maps [lo, hi] (widened to include 0, so zero is exact) onto
// the full integer range: scale = (qmax − qmin)/(hi − lo), offset chosen
// so lo lands on qmin.
func asymmetric(dt string, lo, hi float64) calib.Factor {
	qmin, qmax, _ := calib.Range(dt)
	lo, hi = math.Min(lo, 0), math.Max(hi, 0)
	if hi-lo < 1e-12 {
		hi = lo + 1e-6
	}
	scale := (qmax - qmin) / (hi - lo)
	off := math.Round(qmin - lo*scale)
	off = math.Max(qmin, math.Min(qmax, off))
	return calib.Factor{DataType: dt, Scale: []float64{float64(float32(scale))}, Offset: []float64{off}}
}

// percentileRange clips each tail of the histogram at (100−p)% of the
// values.
func percentileRange(s *rangeStat, p float64) (float64, float64) {
	var total uint64
	for _, c := range s.hist {
		total += c
	}
	if total == 0 {
		return float64(s.lo), float64(s.hi)
	}
	cut := uint64(float64(total) * (100 - p) / 100)
	w := float64(s.hi-s.lo) / (histBins - 1)
	var acc uint64
	lo, hi := float64(s.lo), float64(s.hi)
	for b, c := range s.hist {
		acc += c
		if acc > cut {
			lo = float64(s.lo) + float64(b)*w
			break
		}
	}
	acc = 0
	for b := histBins - 1; b >= 0; b-- {
		acc += s.hist[b]
		if acc > cut {
			hi = float64(s.lo) + float64(b+1)*w
			break
		}
	}
	return math.Max(lo, float64(s.lo)), math.Min(hi, float64(s.hi))
}
