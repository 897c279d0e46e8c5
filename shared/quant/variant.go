package quant

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/nniescope/nniescope/shared/calib"
	"github.com/nniescope/nniescope/shared/engine"
	"github.com/nniescope/nniescope/shared/onnx"
	"github.com/nniescope/nniescope/shared/quant/nnie"
)

// Chip is an NPU generation, as the calibration files tell them apart.
type Chip string

const (
	// SVP is the SVP ACL generation (Hi3519DV500 class): ATC's
	// calibration_param.txt, uniform 8/16-bit.
	SVP Chip = "svp"
	// NNIE is the NNIE generation (Hi3516DV300 class): nniescope's NNIE
	// calibration, logarithmic 8-bit.
	NNIE Chip = "nnie"
)

// Calibration is a calibration file of either chip generation, told apart
// by its content: ATC's calibration_param.txt (SVP ACL, shared/calib) or
// nniescope's NNIE calibration (shared/quant/nnie). Exactly one of SVP
// and NNIE is set. It is the one way a file becomes a simulation
// (Simulate): every command and the board's sim engine go through it.
type Calibration struct {
	Path string
	SVP  *calib.File
	NNIE *nnie.File
}

// Open reads a calibration file of either generation.
func Open(path string) (*Calibration, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Decode(b, path)
}

// Decode reads a calibration file's bytes; name is used in errors.
func Decode(b []byte, name string) (*Calibration, error) {
	if nnie.IsFile(b) {
		nf, err := nnie.Decode(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return &Calibration{Path: name, NNIE: nf}, nil
	}
	if looksBinary(b) {
		what := "binary content"
		if len(b) > 0 && b[0] == 0x08 { // an ONNX ModelProto starts with ir_version (field 1, varint)
			what = "binary content (an ONNX model?)"
		}
		return nil, fmt.Errorf("%s: not a calibration file: %s; want ATC's calibration_param.txt or an NNIE calibration (calib --chip nnie)", name, what)
	}
	f, err := calib.Parse(string(b), name)
	if err != nil {
		return nil, err
	}
	return &Calibration{Path: name, SVP: f}, nil
}

// looksBinary says whether the start of b is not text: a control byte
// other than white space, or invalid UTF-8, in its first kilobyte. Both
// calibration formats are text.
func looksBinary(b []byte) bool {
	head := b[:min(len(b), 1024)]
	if bytes.ContainsFunc(head, func(r rune) bool { return r < 0x20 && !strings.ContainsRune("\t\n\v\f\r", r) }) {
		return true
	}
	// A multi-byte rune cut at 1024 is still text.
	for len(head) > 0 {
		r, n := utf8.DecodeRune(head)
		if r == utf8.RuneError && n == 1 && len(head) >= utf8.UTFMax {
			return true
		}
		head = head[n:]
	}
	return false
}

// IsNNIEFile says whether path holds an NNIE calibration, from its content
// alone (nothing is parsed: a check before the real load).
func IsNNIEFile(path string) (bool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return false, err
	}
	return nnie.IsFile(b), nil
}

// Chip is the generation the file is for.
func (c *Calibration) Chip() Chip {
	if c.NNIE != nil {
		return NNIE
	}
	return SVP
}

// Bits is the file's precision: 8 or 16 when its quantized data records
// are (nearly all, four to one or more) of that width, 0 when it mixes
// them more evenly or quantizes nothing. An ATC 16-bit file keeps a few
// 8-bit records (the image input), and an 8-bit file with a few layers
// spliced in from the 16-bit one is still an 8-bit file. What a command
// checks a file's role against: the 8-bit file of a search is no 16-bit
// one.
func (c *Calibration) Bits() int {
	if c.NNIE != nil {
		for _, l := range c.NNIE.Layers {
			if l.Bits != 0 && l.Bits != c.NNIE.Bits {
				return 0
			}
		}
		return c.NNIE.Bits
	}
	var n8, n16 int
	for _, l := range c.SVP.Layers() {
		for _, in := range l.Inputs {
			switch in.DataType {
			case calib.S8, calib.U8:
				n8++
			case calib.S16, calib.U16:
				n16++
			}
		}
	}
	switch {
	case n8 > 0 && n8 >= 4*n16:
		return 8
	case n16 > 0 && n16 >= 4*n8:
		return 16
	}
	return 0
}

// Simulator is one calibration simulated on one model, for either chip:
// what eval, layers, search, demo and the board's sim engine run.
type Simulator interface {
	Simulation
	// Layers names the nodes the simulation changes, in model order.
	Layers() []string
	// OnlyHooks are hooks for the float program of the same model that
	// apply one layer's quantization alone (the search's proxy).
	OnlyHooks(layer string) *engine.Hooks
	// Summary is what the simulation says about itself in reports.
	Summary() Summary
}

// Summary is what a simulation says about itself in reports and on
// stderr.
type Summary struct {
	Chip Chip
	// Placement is the SVP placement simulated, or "nnie".
	Placement string
	// Points counts the activation quantization points placed (SVP).
	Points int
	// Coverage is the line every table that used the file prints.
	Coverage string
	// Warnings are the file's gaps the simulation runs with, as sentences
	// (records that name no node, layers left float).
	Warnings []string
}

// Simulate compiles m with the quantization the file describes. For an
// SVP file, o.Placement, o.StopAt and o.AllowMissing apply (a file that
// lacks records for conv/matmul layers is ErrMissingRecords unless
// AllowMissing); an NNIE file carries its own reading (layer set, 16-bit
// format).
func (c *Calibration) Simulate(m *onnx.Model, o Options) (Simulator, error) {
	switch {
	case c.NNIE != nil:
		s, err := nnie.NewSim(m, c.NNIE, o.Threads, o.StopAt)
		if err != nil {
			return nil, err
		}
		return &nnieSimulator{Sim: s, coverage: c.NNIE.Coverage()}, nil
	case c.SVP != nil:
		s, _, err := New(m, c.SVP, o)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	return nil, errors.New("quant: an empty calibration")
}

// svpSummary is what an ATC file simulated under pl says about itself.
func svpSummary(file string, pl Placement, rep *Report) Summary {
	return Summary{Chip: SVP, Placement: string(pl), Points: rep.Points, Coverage: rep.Coverage(), Warnings: rep.Warnings(file)}
}

// Warnings words the gaps of a file that maps onto the model: records
// that name no node, conv/matmul layers and other layers left float.
func (r *Report) Warnings(file string) []string {
	var w []string
	if len(r.Unmatched) > 0 {
		w = append(w, fmt.Sprintf("%s: %d record(s) name no node of the model, e.g. %q", file, len(r.Unmatched), r.Unmatched[0]))
	}
	if len(r.Uncovered) > 0 {
		w = append(w, fmt.Sprintf("%s: %d of %d conv/matmul layers have no record and are simulated as float (--allow-missing-records): %s",
			file, len(r.Uncovered), r.Cubes, firstNames(r.Uncovered, 5)))
	}
	if n := len(r.Missing) - len(r.Uncovered); n > 0 {
		w = append(w, fmt.Sprintf("%s: %d other layer(s) have no record; their activations stay float: %s", file, n, firstNames(without(r.Missing, r.Uncovered), 5)))
	}
	return w
}

// Summary is what the SVP simulation says about itself (Simulator).
func (s *Sim) Summary() Summary { return s.summary }

// nnieSimulator is an NNIE simulation as a Simulator.
type nnieSimulator struct {
	*nnie.Sim
	coverage string
}

func (s *nnieSimulator) Summary() Summary {
	return Summary{Chip: NNIE, Placement: string(NNIE), Coverage: s.coverage}
}

// firstNames lists up to n names, quoted, and how many more there are.
func firstNames(names []string, n int) string {
	q := make([]string, 0, n)
	for i, s := range names {
		if i == n {
			return strings.Join(q, ", ") + fmt.Sprintf(" and %d more", len(names)-n)
		}
		q = append(q, fmt.Sprintf("%q", s))
	}
	return strings.Join(q, ", ")
}

// without is a minus b, in a's order.
func without(a, b []string) []string {
	drop := make(map[string]bool, len(b))
	for _, s := range b {
		drop[s] = true
	}
	var out []string
	for _, s := range a {
		if !drop[s] {
			out = append(out, s)
		}
	}
	return out
}
