package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nniescope/nniescope/internal/testassets"
	"github.com/nniescope/nniescope/shared/quant"
)

// TestLayersRanksByBoxDamage: `layers` ranks by the decoded-box damage of
// each layer alone (the search's proxy) by default, with SQNR beside it;
// on yolov8n 512x288 the stride Mul, which the search keeps in 16-bit, is
// in the top 3 (it was 95th of 237 by SQNR). --rank sqnr keeps the old
// order. On the demo model always; on yolov8n with the assets.
func TestLayersRanksByBoxDamage(t *testing.T) {
	if testing.Short() {
		t.Skip("calibrates and runs the model")
	}
	t.Run("demo", func(t *testing.T) {
		fx := newTruthFixture(t)
		rep := layersReport(t, fx.model, fx.c8, fx.data)
		if rep.Ranking != "damage" || rep.Layers[0].Damage == nil {
			t.Fatalf("ranking %q, first layer %+v: want the box damage", rep.Ranking, rep.Layers[0])
		}
		for i := 1; i < len(rep.Layers); i++ {
			a, b := rep.Layers[i-1].Damage, rep.Layers[i].Damage
			if b != nil && (a == nil || *a < *b) {
				t.Fatalf("layers %d and %d out of damage order: %v then %v", i-1, i, a, b)
			}
		}
		sq := layersReport(t, fx.model, fx.c8, fx.data, "--rank", "sqnr")
		for i := 1; i < len(sq.Layers); i++ {
			if sq.Ranking != "sqnr" || sq.Layers[i-1].Isolated.SQNRdB > sq.Layers[i].Isolated.SQNRdB {
				t.Fatalf("--rank sqnr: %q, layer %d out of SQNR order", sq.Ranking, i)
			}
		}
	})
	t.Run("yolov8n", func(t *testing.T) {
		model := testassets.Path(t, "models", "yolov8n-512x288.onnx")
		calibDir := testassets.Path(t, "coco", "calib")
		val := testassets.Path(t, "coco", "val")
		// 16 calibration images are enough to rank the layers.
		imgs := filepath.Join(t.TempDir(), "calib")
		if err := os.MkdirAll(imgs, 0o755); err != nil {
			t.Fatal(err)
		}
		entries, err := os.ReadDir(filepath.Join(calibDir, "images"))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries[:16] {
			if err := os.Symlink(filepath.Join(calibDir, "images", e.Name()), filepath.Join(imgs, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
		c8 := filepath.Join(t.TempDir(), "int8.txt")
		if code, _, stderr := run(t, "calib", "--model", model, "--images", imgs, "--bits", "8", "-o", c8); code != 0 {
			t.Fatal(stderr)
		}
		rep := layersReport(t, model, c8, val, "--max-images", "4")
		var top []string
		for _, l := range rep.Layers[:3] {
			top = append(top, l.Name)
		}
		if !strings.Contains(strings.Join(top, " "), "/model.22/Mul_2") {
			t.Fatalf("top 3 by box damage %v: want the stride Mul /model.22/Mul_2 among them", top)
		}
		t.Logf("top 3: %v", top)
	})
}

// layersReport runs `layers --json` and reads it.
func layersReport(t *testing.T, model, calib, images string, extra ...string) quant.LayersResult {
	t.Helper()
	out := filepath.Join(t.TempDir(), "layers.json")
	args := append([]string{"layers", "--model", model, "--calib", calib, "--images", images, "--max-images", "2", "--json", out}, extra...)
	if code, _, stderr := run(t, args...); code != 0 {
		t.Fatalf("layers %v: %s", extra, stderr)
	}
	var r quant.LayersResult
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}
