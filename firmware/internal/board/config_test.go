package board

import (
	"io"
	"os"
	"slices"
	"testing"

	"github.com/nniescope/nniescope/firmware/internal/sim"
)

func TestParseConfig(t *testing.T) {
	for _, tc := range []struct {
		name  string
		gogc  string // GOGC in the environment ("" unset)
		args  []string
		check func(Config) bool
	}{
		{"defaults", "", nil, func(c Config) bool {
			return c.Engine == "sim" && c.Listen == "127.0.0.1:8080" && c.SynthW == 640 && c.SynthH == 360 && c.GCPercent == 10 && c.RecordMaxBytes == 1024<<20
		}},
		{"variants and sizes", "", []string{"--variant", "float", "--variant", "int8=a.txt", "--synthetic-size", "320x240", "--record-max-mb", "0"}, func(c Config) bool {
			return slices.Equal(c.Variants, []sim.VariantSpec{{Name: "float"}, {Name: "int8", Calib: "a.txt"}}) && c.SynthW == 320 && c.SynthH == 240 && c.RecordMaxBytes == 0
		}},
		{"svp input", "", []string{"--engine", "svp", "--input", "640x384"}, func(c Config) bool { return c.InputW == 640 && c.InputH == 384 }},
		{"GOGC wins over the default", "50", nil, func(c Config) bool { return c.GCPercent == 0 }},
		{"the flag wins over GOGC", "50", []string{"--gc-percent", "30"}, func(c Config) bool { return c.GCPercent == 30 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("GOGC", tc.gogc) // restored after the test
			if tc.gogc == "" {
				os.Unsetenv("GOGC")
			}
			c, err := parseConfig(tc.args, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(c) {
				t.Fatalf("%v: %+v", tc.args, c)
			}
		})
	}
}
