package coco

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAnnotationIDsPycocotoolsMisreads: id 0 and duplicate ids, which
// pycocotools scores differently from what the file means (0.2525 where the
// detections are perfect), are refused naming the annotation, both when
// a file is loaded and when Evaluate is handed such a dataset.
func TestAnnotationIDsPycocotoolsMisreads(t *testing.T) {
	ann := func(id, img int64) Annotation {
		return Annotation{ID: id, ImageID: img, CategoryID: 1, BBox: [4]float64{10, 10, 50, 50}, Area: 2500}
	}
	for _, tc := range []struct {
		name string
		anns []Annotation
		want string
	}{
		{"id 0", []Annotation{ann(1, 1), ann(0, 2)}, "annotation 1 (image 2): id 0"},
		{"duplicate id", []Annotation{ann(5, 1), ann(5, 2)}, "annotations 0 and 1 (images 1 and 2) share id 5"},
		{"unique non-zero ids", []Annotation{ann(1, 1), ann(2, 2)}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := &Dataset{Images: []Image{{ID: 1, Width: 100, Height: 100}, {ID: 2, Width: 100, Height: 100}}, Categories: []Category{{ID: 1}}, Annotations: tc.anns}
			dts := []Result{{ImageID: 1, CategoryID: 1, BBox: [4]float64{10, 10, 50, 50}, Score: 0.9}, {ImageID: 2, CategoryID: 1, BBox: [4]float64{10, 10, 50, 50}, Score: 0.8}}
			stats, err := Evaluate(d, dts)
			path := filepath.Join(t.TempDir(), "gt.json")
			b, _ := json.Marshal(d)
			os.WriteFile(path, b, 0o644)
			_, loadErr := LoadDataset(path)
			if tc.want == "" {
				if err != nil || loadErr != nil || stats[0] != 1 {
					t.Fatalf("valid ids: AP %v, %v, %v", stats[0], err, loadErr)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Evaluate: %v, want an error with %q", err, tc.want)
			}
			if loadErr == nil || !strings.Contains(loadErr.Error(), tc.want) || !strings.Contains(loadErr.Error(), "gt.json") {
				t.Errorf("LoadDataset: %v, want an error naming gt.json and %q", loadErr, tc.want)
			}
		})
	}
}
