package dataset_test

import (
	"errors"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nniescope/nniescope/shared/dataset"
)

// TestLoadRefusesWhatCannotBeScored: a folder that is missing, a file, or
// images without any ground truth is an error naming the folder, never a
// set that scores AP -1.
func TestLoadRefusesWhatCannotBeScored(t *testing.T) {
	root := t.TempDir()
	withImages := func(name string) string {
		dir := filepath.Join(root, name)
		os.MkdirAll(filepath.Join(dir, "images"), 0o755)
		f, _ := os.Create(filepath.Join(dir, "images", "000001.png"))
		png.Encode(f, image.NewGray(image.Rect(0, 0, 8, 8)))
		f.Close()
		return dir
	}
	noLabels := withImages("nolabels")
	emptyLabels := withImages("emptylabels")
	os.MkdirAll(filepath.Join(emptyLabels, "labels"), 0o755)
	os.WriteFile(filepath.Join(emptyLabels, "labels", "000001.txt"), nil, 0o644)
	good := withImages("good")
	os.MkdirAll(filepath.Join(good, "labels"), 0o755)
	os.WriteFile(filepath.Join(good, "labels", "000001.txt"), []byte("0 0.5 0.5 0.25 0.25\n"), 0o644)
	file := filepath.Join(root, "file.txt")
	os.WriteFile(file, []byte("x"), 0o644)

	for _, tc := range []struct {
		name, dir string
		want      string
		noGT      bool
	}{
		{"missing", filepath.Join(root, "nope"), "nope does not exist", false},
		{"a file", file, "file.txt is a file", false},
		{"images without labels", noLabels, "no labels/ folder", true},
		{"empty label files", emptyLabels, "none of the 1 label files", true},
		{"labelled", good, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := dataset.Load(tc.dir, 4)
			if tc.want == "" {
				if err != nil || len(s.GT.Annotations) != 1 {
					t.Fatalf("labelled set: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one with %q", err, tc.want)
			}
			if errors.Is(err, dataset.ErrNoGroundTruth) != tc.noGT {
				t.Errorf("errors.Is(ErrNoGroundTruth) = %v, want %v", !tc.noGT, tc.noGT)
			}
		})
	}
}
