package quant_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nniescope/nniescope/internal/demoframes"
	"github.com/nniescope/nniescope/shared/quant"
	"github.com/nniescope/nniescope/shared/quant/nnie"
)

// calibrations writes an ATC-format 8-bit file and an NNIE 8-bit file for
// the demo model, calibrated on two synthetic scenes.
func calibrations(t *testing.T) (svp8, nnie8 string) {
	t.Helper()
	m := demoframes.Model(t)
	dir := t.TempDir()
	files := demoframes.CalibrationImages(t, 2)
	f, err := quant.Calibrate(context.Background(), m, files, quant.CalibOptions{Bits: 8, Threads: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	svp8 = filepath.Join(dir, "int8.txt")
	if err := f.Save(svp8); err != nil {
		t.Fatal(err)
	}
	nf, err := nnie.Calibrate(context.Background(), m, files, nnie.CalibOptions{Bits: 8, Threads: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	nnie8 = filepath.Join(dir, "nnie8.json")
	if err := nf.Save(nnie8); err != nil {
		t.Fatal(err)
	}
	return svp8, nnie8
}

// One constructor turns a calibration file of either generation into a
// simulator with the same interface: told apart by content, simulated,
// and describing itself (chip, placement, points, coverage).
func TestCalibrationOfEitherChipSimulates(t *testing.T) {
	if testing.Short() {
		t.Skip("calibrates the demo model")
	}
	m := demoframes.Model(t)
	svp8, nnie8 := calibrations(t)
	for _, tc := range []struct {
		name      string
		path      string
		o         quant.Options
		chip      quant.Chip
		placement string
		points    bool
	}{
		{"ATC file, default placement", svp8, quant.Options{Threads: 1}, quant.SVP, string(quant.DefaultPlacement), true},
		{"ATC file, literal placement", svp8, quant.Options{Threads: 1, Placement: quant.Literal}, quant.SVP, "literal", true},
		{"NNIE file", nnie8, quant.Options{Threads: 1, Placement: quant.Literal}, quant.NNIE, "nnie", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := quant.Open(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			if c.Chip() != tc.chip || c.Path != tc.path || (c.SVP != nil) == (c.NNIE != nil) {
				t.Fatalf("opened as %s (%s; svp %v, nnie %v), want %s", c.Chip(), c.Path, c.SVP != nil, c.NNIE != nil, tc.chip)
			}
			isNNIE, err := quant.IsNNIEFile(tc.path)
			if err != nil || isNNIE != (tc.chip == quant.NNIE) {
				t.Fatalf("IsNNIEFile = %v, %v", isNNIE, err)
			}
			sim, err := c.Simulate(m, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			sum := sim.Summary()
			if sum.Chip != tc.chip || sum.Placement != tc.placement || (sum.Points > 0) != tc.points || sum.Coverage == "" {
				t.Fatalf("summary %+v", sum)
			}
			if sim.Program() == nil || len(sim.Layers()) == 0 || len(sim.Changed()) == 0 {
				t.Fatalf("a simulation that changes nothing: %d layers", len(sim.Layers()))
			}
			if h := sim.OnlyHooks(sim.Layers()[0]); h == nil || h.BeforeNode == nil {
				t.Fatal("no hooks for one layer alone")
			}
		})
	}
}

// A file that is neither generation's, or is missing, is an error naming
// it.
func TestOpenErrorsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "model.onnx")
	if err := os.WriteFile(model, []byte("\x08\x07\x12\x04onnx"), 0o644); err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(dir, "broken.json")
	if err := os.WriteFile(broken, []byte(`{"format": "nniescope-nnie-calibration", "version": 1, "bits": 3}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		// An ONNX named as a calibration file was ":1:1: unexpected character '\b'".
		{model, "not a calibration file: binary content (an ONNX model?)"},
		{broken, "broken.json"},
		{filepath.Join(dir, "missing.txt"), "missing.txt"},
	} {
		if _, err := quant.Open(tc.path); err == nil || !strings.Contains(err.Error(), filepath.Base(tc.path)) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%s): %v, want an error naming the file and saying %q", filepath.Base(tc.path), err, tc.want)
		}
	}
}
