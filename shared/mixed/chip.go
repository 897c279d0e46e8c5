package mixed

import (
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
}

// SVPChip is the SVP ACL generation: ATC's 8- and 16-bit calibration
// files, a mixed configuration being the 16-bit records spliced into the
// 8-bit file (what ATC's --gfpq_param_file takes).
func SVPChip(m *onnx.Model, f8, f16 *calib.File, o quant.Options) Chip {
	return &svpChip{m: m, f8: f8, f16: f16, o: o}
}

type svpChip struct {
	m       *onnx.Model
	f8, f16 *calib.File
	o       quant.Options
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
	f := c.f8
	if len(layers) > 0 {
		var err error
		if f, err = c.f8.Splice(c.f16, layers...); err != nil {
			return nil, nil, err
		}
	}
	return c.sim(f)
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

// NNIEChip is the NNIE generation: one NNIE calibration (the clips do not
// depend on the precision), a mixed configuration being the 8-bit file
// with layers marked high precision (nnie_mapper's compile_mode 2). f16,
// when not nil, is the all-16-bit reference; otherwise f8 read at 16-bit.
func NNIEChip(m *onnx.Model, f8, f16 *nnie.File, threads int) (Chip, error) {
	if f8.Bits != 8 {
		return nil, fmt.Errorf("mixed: the NNIE search starts from an 8-bit calibration, %s is %d-bit", f8.Model, f8.Bits)
	}
	if f16 == nil {
		f16 = f8.AtBits(16)
	}
	return &nnieChip{m: m, f8: f8, f16: f16, threads: threads}, nil
}

type nnieChip struct {
	m       *onnx.Model
	f8, f16 *nnie.File
	threads int
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
