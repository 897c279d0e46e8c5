package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/nniescope/nniescope/shared/calib"
	"github.com/nniescope/nniescope/shared/quant"
	"github.com/nniescope/nniescope/shared/quant/nnie"
)

// runFq prints what a chip's data format does to given numbers: a user's
// first sanity check of a quantizer, and the surface of our goldens.
func runFq(_ context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "fq", "fq --chip svp|nnie --bits 8|16 [--scale S --offset O | --clip C] VALUES...")
	chip := fs.String("chip", "svp", "svp (uniform, scale and offset; the default, as for every command) or nnie (logarithmic, per layer)")
	bits := fs.Int("bits", 8, "8 or 16")
	clip := fs.Float64("clip", 0, "nnie: the layer's clip (default: GFPQ's clip for the values' largest magnitude)")
	scale := fs.Float64("scale", 0, "svp: the record's scale, 1/step (default: symmetric, the type's largest code over the values' largest magnitude)")
	offset := fs.Float64("offset", 0, "svp: the record's offset")
	format16 := fs.String("nnie16", string(nnie.GFPQ16), "nnie 16-bit reading: "+string(nnie.GFPQ16)+" or "+string(nnie.Log157)+" (docs/NNIE.md)")
	flags, vals := splitNumbers(args)
	if err := parse(fs, flags); err != nil {
		return err
	}
	values := make([]float32, len(vals))
	for i, v := range vals {
		f, err := strconv.ParseFloat(v, 32)
		if err != nil {
			return fmt.Errorf("value %q: want a number", v)
		}
		values[i] = float32(f)
	}
	if len(values) == 0 {
		fs.Usage()
		return errUsage
	}
	if *bits != 8 && *bits != 16 {
		return fmt.Errorf("--bits %d: want 8 or 16", *bits)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	switch *chip {
	case "nnie":
		if set["scale"] || set["offset"] {
			return errors.New("--scale and --offset are svp's: nnie takes --clip")
		}
		return fqNNIE(env, tw, values, *bits, *clip, set["clip"], *format16)
	case "svp":
		if set["clip"] || set["nnie16"] {
			return errors.New("--clip and --nnie16 are nnie's: svp takes --scale and --offset")
		}
		return fqSVP(env, tw, values, *bits, *scale, *offset, set["scale"])
	}
	return fmt.Errorf("--chip %q: want nnie or svp", *chip)
}

func fqNNIE(env Env, tw *tabwriter.Writer, values []float32, bits int, clip float64, given bool, format16 string) error {
	m := nnie.MaxAbs(values)
	from := "given"
	if !given {
		if m == 0 {
			return fmt.Errorf("%w (give --clip)", nnie.ErrNoData)
		}
		clip, from = nnie.Clip8(m), fmt.Sprintf("GFPQ's for the values' largest magnitude %s", num(m))
		if bits == 16 {
			clip = nnie.Clip16(m)
		}
	}
	if bits == 8 {
		q, err := nnie.NewLog8(clip)
		if err != nil {
			return fmt.Errorf("--clip: %w", err)
		}
		fmt.Fprintf(env.Stdout, "nnie 8-bit: logarithmic, 16 codes per octave, sign and magnitude; clip %s (%s)\n", num(float64(float32(clip))), from)
		fmt.Fprintln(tw, "value\tchip\tcode")
		for _, v := range values {
			c := q.Code(v)
			fmt.Fprintf(tw, "%s\t%s\t%#02x\n", num(float64(v)), num(float64(q.Value(c))), c)
		}
		return tw.Flush()
	}
	f, err := nnie.Parse16(format16)
	if err != nil {
		return fmt.Errorf("--nnie16: %w", err)
	}
	q, err := nnie.NewLog16(f, clip)
	if err != nil {
		return fmt.Errorf("--clip: %w", err)
	}
	fmt.Fprintf(env.Stdout, "nnie 16-bit, reading %s (not specified by a public source: docs/NNIE.md); clip %s (%s)\n", f, num(float64(float32(clip))), from)
	fmt.Fprintln(tw, "value\tchip")
	for _, v := range values {
		fmt.Fprintf(tw, "%s\t%s\n", num(float64(v)), num(float64(q.Quantize(v))))
	}
	return tw.Flush()
}

func fqSVP(env Env, tw *tabwriter.Writer, values []float32, bits int, scale, offset float64, given bool) error {
	dt := calib.S8
	if bits == 16 {
		dt = calib.S16
	}
	from := "given"
	if !given {
		m := nnie.MaxAbs(values)
		if m == 0 {
			return errors.New("every value is zero: no scale to take from them (give --scale)")
		}
		_, hi, _ := calib.Range(dt)
		scale, from = hi/m, fmt.Sprintf("symmetric for the values' largest magnitude %s", num(m))
	}
	if !(scale > 0) || math.IsInf(scale, 0) {
		return fmt.Errorf("--scale %v: want a positive, finite number (1/step)", scale)
	}
	codes, out, err := quant.Uniform(calib.Factor{DataType: dt, Scale: []float64{scale}, Offset: []float64{offset}}, values)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "svp %s: uniform, step %s; scale %s offset %s (%s)\n", dt, num(1/scale), num(scale), num(offset), from)
	fmt.Fprintln(tw, "value\tchip\tcode")
	for i, v := range values {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", num(float64(v)), num(float64(out[i])), num(float64(codes[i])))
	}
	return tw.Flush()
}

// num prints a number to ten decimals without trailing zeros: enough for
// the published reference vectors (2.9536523819), and 1 stays "1".
func num(v float64) string {
	s := strconv.FormatFloat(v, 'f', 10, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// splitNumbers separates the numbers of an fq command line from its
// flags, so that negative values need no "--" before them: an argument
// that reads as a number is a value unless it is a flag's value.
func splitNumbers(args []string) (flags, values []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return flags, append(values, args[i+1:]...)
		}
		if _, err := strconv.ParseFloat(a, 64); err == nil || !strings.HasPrefix(a, "-") {
			values = append(values, a)
			continue
		}
		flags = append(flags, a)
		if !strings.Contains(a, "=") && i+1 < len(args) && a != "-h" && a != "--help" {
			i++
			flags = append(flags, args[i])
		}
	}
	return flags, values
}
