package mixed

import (
	"os"
	"strings"
	"testing"

	"github.com/nniescope/nniescope/internal/testassets"
	"github.com/nniescope/nniescope/shared/engine"
	"github.com/nniescope/nniescope/shared/onnx"
)

// TestReadRealPerf: ATC's own atc_perf.csv (yolov8n-face, Hi3519DV500)
// reads whole, and mapped onto yolov8n the shared backbone matches while
// the face head's extra branch is reported, not dropped.
func TestReadRealPerf(t *testing.T) {
	recs := readPerfFile(t, testassets.Path(t, "atc", "atc_perf.csv"))
	if len(recs) != 154 { // 156 rows less Total and the Preprocess input
		t.Fatalf("%d records", len(recs))
	}
	if r := recs[0]; r.Name != "/model.0/conv/Conv" || r.Type != "Convolution" || r.Weights != 432 || r.Operation != 88473600 || r.CoreOps != 235929600 || r.Line != 4 {
		t.Fatalf("first record %+v", r)
	}
	m, err := onnx.Load(testassets.Path(t, "models", "yolov8n-512x288.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := engine.Analyze(m, engine.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	pc := CostsFromPerf(p, recs)
	face := 0
	for _, r := range pc.Unmatched {
		if strings.Contains(r.Name, "cv4") {
			face++
		}
	}
	t.Logf("%s; %d face-head records among the unmatched", pc.Source("atc_perf.csv"), face)
	if pc.Matched < 100 || face == 0 || pc.Matched+len(pc.Unmatched) != len(recs) {
		t.Fatalf("%d matched, %d unmatched (%d of the face head)", pc.Matched, len(pc.Unmatched), face)
	}
	for _, c := range pc.Costs {
		if c.Name == "/model.1/conv/Conv" && (c.Weights != 4608 || c.Ops != 235929600) {
			t.Fatalf("%+v", c)
		}
	}
}

func readPerfFile(t *testing.T, path string) []PerfRecord {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := ReadPerf(f)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func TestReadPerfMistakes(t *testing.T) {
	const head = "Net Id, Layer Id,Profile Layer Id,Layer Name,Layer Type,DLD DDR Read(byte),DSTR DDR Write(byte),WLD DDR Read(byte),Original Ops(Times),Core Ops(Times)\n"
	for _, tc := range []struct {
		name, csv, want string
	}{
		{"a column missing", "Layer Name,Layer Type\n", `no column "DLD DDR Read(byte)"`},
		{"not a number", head + "N,L1,0,/c,Convolution,1,2,x,4,5\n", `line 2: WLD DDR Read(byte) "x": want a count ≥ 0`},
		{"negative", head + "N,L1,0,/c,Convolution,-1,2,3,4,5\n", `line 2: DLD DDR Read(byte) "-1"`},
		{"short row", head + "N,L1,0,/c,Convolution,1\n", `line 2: no "DSTR DDR Write(byte)" field`},
		{"only the total", head + "N,Total,--,--,--,1,2,3,4,5\n", "no layer rows"},
		{"empty", "", "header"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ReadPerf(strings.NewReader(tc.csv)); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func FuzzReadPerf(f *testing.F) {
	f.Add([]byte("Layer Name,Layer Type,DLD DDR Read(byte),DSTR DDR Write(byte),WLD DDR Read(byte),Original Ops(Times),Core Ops(Times)\n/c,Convolution,1,2,3,4,5\n"))
	f.Add([]byte("Layer Name,Layer Type,DLD DDR Read(byte),DSTR DDR Write(byte),WLD DDR Read(byte),Original Ops(Times),Core Ops(Times)\n\"/a,b\",Nop,0,0,0,0,1e3\n--,--,1,1,1,1,1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, err := ReadPerf(strings.NewReader(string(b)))
		if err != nil {
			return
		}
		for _, r := range recs {
			for _, v := range []float64{r.Read, r.Write, r.Weights, r.CoreOps, r.Operation} {
				if !(v >= 0 && v <= 1e18) {
					t.Fatalf("%+v", r)
				}
			}
		}
	})
}
