package testassets

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// helperEnv makes TestHelperNeedsAsset do its job; without it, it returns
// at once (it exists to be run by TestMissingAssetSkipsOrFails).
const helperEnv = "NNIESCOPE_TESTASSETS_HELPER"

func TestHelperNeedsAsset(t *testing.T) {
	if os.Getenv(helperEnv) == "" {
		return
	}
	Path(t, "models", "yolov8n-512x288.onnx")
	t.Log("reached the end")
}

// TestMissingAssetSkipsOrFails runs a test that needs an asset in a child
// process, against an assets folder with and without the asset, with and
// without the switch: it must pass when the asset is there, skip naming
// the asset when it is not, and fail naming it when the switch is set.
func TestMissingAssetSkipsOrFails(t *testing.T) {
	empty := t.TempDir()
	partial := t.TempDir()
	os.WriteFile(filepath.Join(partial, "MANIFEST.md"), []byte("# test\n"), 0o644)
	complete := t.TempDir()
	os.WriteFile(filepath.Join(complete, "MANIFEST.md"), []byte("# test\n"), 0o644)
	os.MkdirAll(filepath.Join(complete, "models"), 0o755)
	os.WriteFile(filepath.Join(complete, "models", "yolov8n-512x288.onnx"), []byte("x"), 0o644)
	for _, tc := range []struct {
		name     string
		dir      string
		full     bool
		wantFail bool
		want     []string
	}{
		{"no folder, skip", empty, false, false, []string{"--- SKIP", MissingAsset + " " + filepath.Join("models", "yolov8n-512x288.onnx") + " (no assets folder"}},
		{"no folder, full fails", empty, true, true, []string{"--- FAIL", MissingAsset + " " + filepath.Join("models", "yolov8n-512x288.onnx") + " (no assets folder", FullEnv}},
		{"no file, skip", partial, false, false, []string{"--- SKIP", MissingAsset + " " + filepath.Join("models", "yolov8n-512x288.onnx")}},
		{"no file, full fails", partial, true, true, []string{"--- FAIL", MissingAsset + " " + filepath.Join("models", "yolov8n-512x288.onnx")}},
		{"present", complete, false, false, []string{"--- PASS", "reached the end"}},
		{"present, full", complete, true, false, []string{"--- PASS", "reached the end"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperNeedsAsset$", "-test.v", "-test.count=1")
			full := "0"
			if tc.full {
				full = "1"
			}
			cmd.Env = append(os.Environ(), helperEnv+"=1", DirEnv+"="+tc.dir, FullEnv+"="+full)
			out, err := cmd.CombinedOutput()
			if failed := err != nil; failed != tc.wantFail {
				t.Fatalf("child failed=%v (%v), want %v:\n%s", failed, err, tc.wantFail, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("child output lacks %q:\n%s", w, out)
				}
			}
			if !tc.wantFail && !strings.Contains(tc.want[0], "PASS") && strings.Contains(string(out), "reached the end") {
				t.Errorf("a skipped test went on past the missing asset:\n%s", out)
			}
		})
	}
}

// TestMissingToolSkipsOrFails: the same rule for a program the tests need.
func TestMissingToolSkipsOrFails(t *testing.T) {
	for _, full := range []string{"0", "1"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperNeedsTool$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), helperEnv+"=1", FullEnv+"="+full)
		out, err := cmd.CombinedOutput()
		want := "--- SKIP"
		if full == "1" {
			want = "--- FAIL"
		}
		if (err != nil) != (full == "1") || !strings.Contains(string(out), want) || !strings.Contains(string(out), MissingTool+" nniescope-no-such-tool") {
			t.Errorf("%s=%s: err %v, want %s naming the tool:\n%s", FullEnv, full, err, want, out)
		}
	}
}

func TestHelperNeedsTool(t *testing.T) {
	if os.Getenv(helperEnv) == "" {
		return
	}
	Tool(t, "nniescope-no-such-tool", "nniescope-no-such-package")
	t.Log("reached the end")
}
