package mixed

import (
	"math"
	"testing"

	"github.com/nniescope/nniescope/internal/testassets"
	"github.com/nniescope/nniescope/shared/engine"
	"github.com/nniescope/nniescope/shared/onnx"
)

func costsOf(t *testing.T, file string) []LayerCost {
	t.Helper()
	m, err := onnx.Load(testassets.Path(t, "models", file))
	if err != nil {
		t.Fatal(err)
	}
	p, err := engine.Compile(m, engine.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	return Costs(p)
}

// TestSVPCostModelMatchesPublished: the constants reproduce the published
// board times of yolov8n 512x288 (3.4 ms 8-bit, 5.7 ms 16-bit), and the
// stride Mul in 16-bit costs next to nothing (the published mix ran at
// 8-bit speed).
func TestSVPCostModelMatchesPublished(t *testing.T) {
	cs := costsOf(t, "yolov8n-512x288.onnx")
	s16, sb := solveSVP(cs, SVP.SecPerOp8, 3.4, 5.7)
	t.Logf("solved: %.4g s/op16 (%.3g TOPS), %.4g s/byte (%.3g GB/s)", s16, 1/s16/1e12, sb, 1/sb/1e9)
	if math.Abs(s16-SVP.SecPerOp16)/s16 > 1e-3 || math.Abs(sb-SVP.SecPerByte)/sb > 1e-3 {
		t.Fatalf("SVP constants are stale: solved %g, %g; have %g, %g", s16, sb, SVP.SecPerOp16, SVP.SecPerByte)
	}
	all8 := SVP.LatencyMS(cs, nil)
	all16 := SVP.LatencyMS(cs, func(string) bool { return true })
	mix := SVP.LatencyMS(cs, func(n string) bool { return n == "/model.22/Mul_2" })
	if math.Abs(all8-3.4) > 0.01 || math.Abs(all16-5.7) > 0.01 {
		t.Fatalf("8-bit %.3f ms, 16-bit %.3f ms; published 3.4 and 5.7", all8, all16)
	}
	if mix-all8 > 0.01 || mix <= all8 {
		t.Fatalf("stride Mul in 16-bit adds %.4f ms; published: unchanged speed", mix-all8)
	}
	// A 640x640 model costs more, in proportion to its work.
	if t640 := SVP.LatencyMS(costsOf(t, "yolov8n-640.onnx"), nil); t640 < 2.5*all8 || t640 > 3*all8 {
		t.Fatalf("640x640 8-bit %.2f ms vs 512x288 %.2f ms: want about 2.8x (pixel ratio)", t640, all8)
	}
}
