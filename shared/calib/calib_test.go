package calib

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/nniescope/nniescope/internal/testassets"
)

func TestRealATCFileRoundTrip(t *testing.T) {
	path := testassets.Path(t, "atc", "calibration_param.txt")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse(string(b), path)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Layers()) != 167 {
		t.Fatalf("%d layers, want 167", len(f.Layers()))
	}
	if got := f.Format(); got != string(b) {
		i := 0
		for i < len(got) && i < len(b) && got[i] == b[i] {
			i++
		}
		t.Fatalf("read → write is not byte-identical; first difference at byte %d: %q vs %q", i, snippet(got, i), snippet(string(b), i))
	}
	// Our writer formats numbers as ATC does: every number in the real
	// file prints back to its own token.
	var check func(fs []*Field)
	n := 0
	check = func(fs []*Field) {
		for _, c := range fs {
			if c.Name == "scale" || c.Name == "offset" {
				v, _ := strconv.ParseFloat(c.Value, 64)
				if got := FormatFloat(v); got != c.Value {
					t.Errorf("line %d: FormatFloat(%s) = %s", c.Line, c.Value, got)
				}
				n++
			}
			check(c.Children)
		}
	}
	check(f.fields)
	if n < 1000 {
		t.Fatalf("checked only %d numbers", n)
	}
	mul := f.Layer("/model.22/Mul_2")
	if mul == nil || mul.CalcDataType != F16 || len(mul.Inputs) != 1 || mul.Inputs[0].DataType != S8 || mul.Inputs[0].Scale[0] != 3.19865203 || mul.Inputs[0].Offset[0] != -128 {
		t.Fatalf("Mul_2 record %+v", mul)
	}
	conv := f.Layer("/model.0/conv/Conv")
	if conv.Weight == nil || len(conv.Weight.Scale) != 16 || conv.Weight.DataType != S8 {
		t.Fatalf("conv weight %+v", conv.Weight)
	}
	concat := f.Layer("/model.22/Concat_5")
	if len(concat.Inputs) != 3 || len(concat.Outputs) != 1 {
		t.Fatalf("Concat_5 has %d inputs and %d outputs, want 3 and 1", len(concat.Inputs), len(concat.Outputs))
	}
}

func snippet(s string, i int) string {
	return s[max(0, i-20):min(len(s), i+20)]
}

func TestParseErrors(t *testing.T) {
	good := "version: 65536\nlayer {\n  name: \"/a\"\n  calc_data_type: S8\n  quant_param {\n    input {\n      data_type: S8\n      scale: 2.5\n      offset: -3\n    }\n  }\n}\n"
	if _, err := Parse(good, "ok.txt"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, src, want string
	}{
		{"truncated", good[:len(good)-20], "bad.txt:"},
		{"truncated says so", good[:60], "truncated"},
		{"misspelled field", strings.Replace(good, "scale:", "scael:", 1), `did you mean "scale"`},
		{"zero scale", strings.Replace(good, "2.5", "0", 1), "scale 0 must be a positive"},
		{"NaN scale", strings.Replace(good, "2.5", "nan", 1), "scale nan must be a positive"},
		{"bad data type", strings.Replace(good, "data_type: S8", "data_type: S9", 1), `data_type "S9"`},
		{"unquoted name", strings.Replace(good, `"/a"`, "/a", 1), "unexpected character"},
		{"stray brace", good + "}\n", "no open block"},
		{"empty", "", "no layer records"},
		{"duplicate layer", good + strings.TrimPrefix(good, "version: 65536\n"), "also defined at line 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.src, "bad.txt")
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "bad.txt") {
				t.Fatalf("error %q: want it to name the file and say %q", err, tc.want)
			}
		})
	}
	var se *SyntaxError
	_, err := Parse(strings.Replace(good, "2.5", "0", 1), "bad.txt")
	if !errors.As(err, &se) || se.Line != 8 || se.Col != 7 {
		t.Fatalf("error %v: want line 8 column 7", err)
	}
}

func TestKeepsUnknownFields(t *testing.T) {
	src := "version: 65536\nfuture_header {\n  knob: 3\n}\nlayer {\n  name: \"/a\"\n  calc_data_type: F16\n  quant_param {\n    input {\n      data_type: F16\n      scale: 1\n      offset: 0\n      params: \"\\001\"\n    }\n    output {\n      data_type: F16\n    }\n  }\n  weight_mode: NORMAL\n  new_flag: true\n}\n"
	f, err := Parse(src, "x.txt")
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Format(); got != src {
		t.Fatalf("lost data:\n%s", got)
	}
}

func TestSplice(t *testing.T) {
	mk := func(dt string, s string) string {
		return "version: 65536\nlayer {\n  name: \"/a\"\n  calc_data_type: " + dt + "\n  quant_param {\n    input {\n      data_type: " + dt + "\n      scale: " + s + "\n      offset: 0\n    }\n  }\n}\nlayer {\n  name: \"/b\"\n  calc_data_type: " + dt + "\n  quant_param {\n    input {\n      data_type: " + dt + "\n      scale: " + s + "\n      offset: 0\n    }\n  }\n}\n"
	}
	f8, _ := Parse(mk(S8, "2"), "int8.txt")
	f16, _ := Parse(mk(S16, "512"), "int16.txt")
	mixed, err := f8.Splice(f16, "/b")
	if err != nil {
		t.Fatal(err)
	}
	if mixed.Layer("/a").CalcDataType != S8 || mixed.Layer("/b").CalcDataType != S16 || mixed.Layer("/b").Inputs[0].Scale[0] != 512 {
		t.Fatalf("splice result:\n%s", mixed.Format())
	}
	if f8.Layer("/b").CalcDataType != S8 {
		t.Fatal("splice changed its base")
	}
	again, err := Parse(mixed.Format(), "mixed.txt")
	if err != nil || again.Layer("/b").CalcDataType != S16 {
		t.Fatalf("spliced file does not parse back: %v", err)
	}
	if _, err := f8.Splice(f16, "/nope"); err == nil || !strings.Contains(err.Error(), `"/nope"`) {
		t.Fatalf("unknown layer: %v", err)
	}
}

func TestFormatFloat(t *testing.T) {
	for in, want := range map[float64]string{256.003296: "256.003296", 9.59633: "9.59633", -128: "-128", 0.391258121: "0.391258121", 3.19865203: "3.19865203"} {
		if got := FormatFloat(in); got != want {
			t.Errorf("FormatFloat(%v) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("version: 65536\nlayer {\n  name: \"/a\"\n  quant_param {\n    input {\n      data_type: S8\n      scale: 2.5\n      offset: -3\n    }\n  }\n}\n")
	f.Add("layer { name: 'x' calc_data_type: F16 }")
	f.Fuzz(func(t *testing.T, src string) {
		fl, err := Parse(src, "fuzz.txt")
		if err != nil {
			return
		}
		// What parses must format and parse back to the same records.
		again, err := Parse(fl.Format(), "again.txt")
		if err != nil {
			t.Fatalf("formatted output does not parse: %v\n%s", err, fl.Format())
		}
		if len(again.Layers()) != len(fl.Layers()) {
			t.Fatalf("%d layers after a round trip, had %d", len(again.Layers()), len(fl.Layers()))
		}
	})
}

// TestNewRefusesRecordsThatDoNotReadBack: New reports a record it cannot
// decode, naming it, instead of keeping a nil layer (Layer then panicked).
func TestNewRefusesRecordsThatDoNotReadBack(t *testing.T) {
	for _, tc := range []struct {
		name   string
		layers []Layer
		want   string
	}{
		{"unknown data type", []Layer{{Name: "a", CalcDataType: "X8"}}, "X8"},
		{"zero scale", []Layer{{Name: "b", CalcDataType: S8, Inputs: []Factor{{DataType: S8, Scale: []float64{0}, Offset: []float64{0}}}}}, "scale 0"},
		{"name twice", []Layer{{Name: "c", CalcDataType: S8}, {Name: "c", CalcDataType: S8}}, `layer "c" is also defined`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := New(tc.layers)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: %v (file %v), want an error with %q", err, f, tc.want)
			}
		})
	}
	f, err := New([]Layer{{Name: "ok", CalcDataType: S8}})
	if err != nil || f.Layer("ok") == nil || len(f.Layers()) != 1 {
		t.Fatalf("a valid record: %v", err)
	}
}

// TestDeepNestingRefused: 20,000 nested unknown blocks (which a splice
// wrote back as 800 MB of indentation) are an error naming the line.
func TestDeepNestingRefused(t *testing.T) {
	src := "layer {\n  name: \"a\"\n  calc_data_type: S8\n" + strings.Repeat("x {\n", 20000) + strings.Repeat("}\n", 20001)
	_, err := Parse(src, "deep.txt")
	if err == nil || !strings.Contains(err.Error(), "deep.txt:") || !strings.Contains(err.Error(), "nested more than 32 deep") {
		t.Fatalf("error %v", err)
	}
	ok := "layer {\n  name: \"a\"\n  calc_data_type: S8\n" + strings.Repeat("x {\n", 20) + strings.Repeat("}\n", 21)
	if _, err := Parse(ok, "ok.txt"); err != nil {
		t.Fatalf("20 levels: %v", err)
	}
}
