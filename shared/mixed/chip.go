package mixed

import (
	"errors"
	"fmt"

	"github.com/nniescope/nniescope/shared/calib"
	"github.com/nniescope/nniescope/shared/engine"
	"github.com/nniescope/nniescope/shared/onnx"
	"github.com/nniescope/nniescope/shared/quant"
	"github.com/nniescope/nniescope/shared/quant/nnie"
)

// Chip is what the search varies, for one chip generation: the model
// simulated with some layers in 16-bit and the rest in 8-bit.
type Chip interface {
	// Mixed simulates the model with layers in 16-bit, the rest 8-bit.
	Mixed(layers []string) (*engine.Program, *engine.Hooks, error)
	// All16 simulates the model fully in 16-bit: the default reference.
	All16() (*engine.Program, *engine.Hooks, error)
	// Proxy lists the layers the search may raise to 16-bit and gives,
	// for each, hooks that apply that layer's 8-bit quantization alone on
	// the float program (the sensitivity proxy).
	Proxy() ([]string, func(layer string) *engine.Hooks, error)
	// Save writes the configuration with layers in 16-bit as the file the
	// chip's compiler takes: ATC's --gfpq_param_file, or the NNIE
	// calibration with those layers marked high precision.
	Save(layers []string, path string) error
	// Cost is the chip generation's latency model.
	Cost() CostModel
	// Coverage says how the 8- and the 16-bit file cover the model.
	Coverage() [2]string
	// Warnings are the files' gaps the search runs with (records naming
	// no node, layers left float), as sentences.
	Warnings() []string
}

// NewChip is the search's chip for a pair of calibration files of one
// generation. SVP ACL needs both: a mixed configuration is the 16-bit
// records spliced into the 8-bit file (what ATC's --gfpq_param_file
// takes). NNIE needs an 8-bit calibration; c16, when not nil, is the
// all-16-bit reference, otherwise the 8-bit file's clips read at 16 bits.
// o applies to SVP ACL files (placement, missing records).
func NewChip(m *onnx.Model, c8, c16 *quant.Calibration, o quant.Options) (Chip, error) {
	if c8 == nil {
		return nil, errors.New("mixed: no 8-bit calibration")
	}
	if c16 != nil && c16.Chip() != c8.Chip() {
		return nil, fmt.Errorf("mixed: %s is a calibration for %s and %s one for %s: give two of one generation", c8.Path, c8.Chip(), c16.Path, c16.Chip())
	}
	if c8.NNIE != nil {
		var n16 *nnie.File
		if c16 != nil {
			n16 = c16.NNIE
		}
		return nnieChipOf(m, c8.NNIE, n16, o.Threads)
	}
	if c16 == nil {
		return nil, fmt.Errorf("mixed: %s is ATC's calibration: the search also needs ATC's 16-bit one, whose records it splices in", c8.Path)
	}
	c := &svpChip{m: m, f8: c8.SVP, f16: c16.SVP, o: o}
	for i, f := range []*calib.File{c.f8, c.f16} {
		rep, err := quant.Map(m, f)
		if err == nil {
			err = rep.Check(f.Name, o.AllowMissing)
		}
		if err != nil {
			return nil, err
		}
		c.coverage[i] = rep.Coverage()
		c.warnings = append(c.warnings, rep.Warnings(f.Name)...)
	}
	return c, nil
}

type svpChip struct {
	m        *onnx.Model
	f8, f16  *calib.File
	o        quant.Options
	coverage [2]string
	warnings []string
}

func (c *svpChip) sim(f *calib.File) (*engine.Program, *engine.Hooks, error) {
	s, _, err := quant.New(c.m, f, c.o)
	if err != nil {
		return nil, nil, err
	}
	return s.Program(), s.Hooks(), nil
}

func (c *svpChip) All16() (*engine.Program, *engine.Hooks, error) { return c.sim(c.f16) }

func (c *svpChip) Mixed(layers []string) (*engine.Program, *engine.Hooks, error) {
	f, err := c.spliced(layers)
	if err != nil {
		return nil, nil, err
	}
	return c.sim(f)
}

// spliced is the 8-bit file with layers' 16-bit records.
func (c *svpChip) spliced(layers []string) (*calib.File, error) {
	if len(layers) == 0 {
		return c.f8, nil
	}
	return c.f8.Splice(c.f16, layers...)
}

func (c *svpChip) Proxy() ([]string, func(string) *engine.Hooks, error) {
	sim8, _, err := quant.New(c.m, c.f8, c.o)
	if err != nil {
		return nil, nil, err
	}
	var layers []string
	for _, l := range sim8.Layers() {
		if c.f16.Layer(l) != nil { // only layers the 16-bit file can supply
			layers = append(layers, l)
		}
	}
	return layers, sim8.OnlyHooks, nil
}

func (c *svpChip) Save(layers []string, path string) error {
	f, err := c.spliced(layers)
	if err != nil {
		return err
	}
	return f.Save(path)
}

func (c *svpChip) Cost() CostModel     { return SVP }
func (c *svpChip) Coverage() [2]string { return c.coverage }
func (c *svpChip) Warnings() []string  { return c.warnings }

// nnieChipOf is the NNIE generation: one NNIE calibration (the clips do
// not depend on the precision), a mixed configuration being the 8-bit
// file with layers marked high precision (nnie_mapper's compile_mode 2).
func nnieChipOf(m *onnx.Model, f8, f16 *nnie.File, threads int) (Chip, error) {
	if f8.Bits != 8 {
		return nil, fmt.Errorf("mixed: the NNIE search starts from an 8-bit calibration, %s is %d-bit", f8.Model, f8.Bits)
	}
	c := &nnieChip{m: m, f8: f8, f16: f16, threads: threads, coverage: [2]string{f8.Coverage(), "(the 8-bit clips read at 16-bit)"}}
	if f16 == nil {
		c.f16 = f8.AtBits(16)
	} else {
		c.coverage[1] = f16.Coverage()
	}
	return c, nil
}

type nnieChip struct {
	m        *onnx.Model
	f8, f16  *nnie.File
	threads  int
	coverage [2]string
}

func (c *nnieChip) sim(f *nnie.File) (*engine.Program, *engine.Hooks, error) {
	s, err := nnie.NewSim(c.m, f, c.threads, nil)
	if err != nil {
		return nil, nil, err
	}
	return s.Program(), s.Hooks(), nil
}

func (c *nnieChip) All16() (*engine.Program, *engine.Hooks, error) { return c.sim(c.f16) }

func (c *nnieChip) Mixed(layers []string) (*engine.Program, *engine.Hooks, error) {
	f, err := c.f8.WithHighPrecision(layers...)
	if err != nil {
		return nil, nil, err
	}
	return c.sim(f)
}

func (c *nnieChip) Proxy() ([]string, func(string) *engine.Hooks, error) {
	s, err := nnie.NewSim(c.m, c.f8, c.threads, nil)
	if err != nil {
		return nil, nil, err
	}
	return s.Layers(), s.OnlyHooks, nil
}

func (c *nnieChip) Save(layers []string, path string) error {
	f, err := c.f8.WithHighPrecision(layers...)
	if err != nil {
		return err
	}
	return f.Save(path)
}

func (c *nnieChip) Cost() CostModel     { return NNIE }
func (c *nnieChip) Coverage() [2]string { return c.coverage }
func (c *nnieChip) Warnings() []string  { return nil }
