package mixed

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nniescope/nniescope/internal/demoframes"
	"github.com/nniescope/nniescope/shared/quant"
	"github.com/nniescope/nniescope/shared/quant/nnie"
)

// NewChip takes two calibrations of one generation (the NNIE 16-bit one
// optional), refuses mixed or missing ones saying which, and saves a
// configuration as the file the chip's compiler takes.
func TestNewChip(t *testing.T) {
	if testing.Short() {
		t.Skip("calibrates the demo model")
	}
	m := demoframes.Model(t)
	files := demoframes.CalibrationImages(t, 2)
	ctx := context.Background()
	atc := map[int]*quant.Calibration{}
	for _, bits := range []int{8, 16} {
		f, err := quant.Calibrate(ctx, m, files, quant.CalibOptions{Bits: bits, Threads: 1}, nil)
		if err != nil {
			t.Fatal(err)
		}
		atc[bits] = &quant.Calibration{Path: f.Name, SVP: f}
	}
	nf, err := nnie.Calibrate(ctx, m, files, nnie.CalibOptions{Bits: 8, Threads: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	nnie8 := &quant.Calibration{Path: "nnie8.json", NNIE: nf}

	for _, tc := range []struct {
		name     string
		c8, c16  *quant.Calibration
		want     string
		cost     CostModel
		save     string
		chipSeen quant.Chip
	}{
		{name: "ATC 8- and 16-bit", c8: atc[8], c16: atc[16], cost: SVP, save: "mixed.txt", chipSeen: quant.SVP},
		{name: "NNIE 8-bit alone", c8: nnie8, cost: NNIE, save: "mixed.json", chipSeen: quant.NNIE},
		{name: "ATC without its 16-bit file", c8: atc[8], want: "also needs ATC's 16-bit one"},
		{name: "ATC 8-bit with an NNIE file", c8: atc[8], c16: nnie8, want: "give two of one generation"},
		{name: "NNIE 8-bit with an ATC file", c8: nnie8, c16: atc[16], want: "give two of one generation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			chip, err := NewChip(m, tc.c8, tc.c16, quant.Options{Threads: 1})
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("error %v, want one saying %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if chip.Cost() != tc.cost || chip.Coverage()[0] == "" || chip.Coverage()[1] == "" {
				t.Fatalf("cost %+v, coverage %q", chip.Cost(), chip.Coverage())
			}
			layers, _, err := chip.Proxy()
			if err != nil || len(layers) == 0 {
				t.Fatalf("proxy layers %v: %v", layers, err)
			}
			out := filepath.Join(t.TempDir(), tc.save)
			if err := chip.Save(layers[:1], out); err != nil {
				t.Fatal(err)
			}
			back, err := quant.Open(out)
			if err != nil {
				t.Fatal(err)
			}
			if back.Chip() != tc.chipSeen {
				t.Fatalf("the saved configuration reads back as %s", back.Chip())
			}
			if _, _, err := chip.Mixed(layers[:1]); err != nil {
				t.Fatal(err)
			}
		})
	}
}
