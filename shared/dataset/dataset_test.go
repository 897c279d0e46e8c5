package dataset

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/nniescope/nniescope/internal/testassets"
	"github.com/nniescope/nniescope/shared/metrics/coco"
)

func TestYOLOLayout(t *testing.T) {
	s, err := Load(testassets.Path(t, "coco", "val"), 80)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Images) != 65 || len(s.GT.Annotations) != 466 || s.Category(5) != 5 {
		t.Fatalf("%d images %d boxes", len(s.Images), len(s.GT.Annotations))
	}
	sub := s.Subset(10)
	if len(sub.Images) != 10 || len(sub.GT.Images) != 10 {
		t.Fatalf("subset: %d images, %d gt images", len(sub.Images), len(sub.GT.Images))
	}
	for _, a := range sub.GT.Annotations {
		if a.ImageID != sub.Images[0].ID && !contains(sub, a.ImageID) {
			t.Fatalf("subset keeps an annotation of image %d", a.ImageID)
		}
	}
}

func contains(s *Set, id int64) bool {
	for _, im := range s.Images {
		if im.ID == id {
			return true
		}
	}
	return false
}

func TestCOCOLayout(t *testing.T) {
	dir := t.TempDir()
	src := testassets.Path(t, "coco", "val", "images", "000000000139.jpg")
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "images"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "images", "a.jpg"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	gt := coco.Dataset{
		Images:      []coco.Image{{ID: 7, FileName: "a.jpg", Width: 640, Height: 426}},
		Categories:  []coco.Category{{ID: 90}, {ID: 1}, {ID: 3}},
		Annotations: []coco.Annotation{{ID: 1, ImageID: 7, CategoryID: 3, BBox: [4]float64{1, 2, 3, 4}, Area: 12}},
	}
	js, _ := json.Marshal(gt)
	if err := os.WriteFile(filepath.Join(dir, "annotations.json"), js, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Load(dir, 80)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Images) != 1 || s.Images[0].ID != 7 || s.Category(0) != 1 || s.Category(1) != 3 || s.Category(2) != 90 || s.Category(3) != -1 {
		t.Fatalf("set %+v, classes→categories %v", s.Images, s.ClassToCategory)
	}
	if err := os.Remove(filepath.Join(dir, "images", "a.jpg")); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir, 80); err == nil {
		t.Fatal("missing image file accepted")
	}
}

func TestErrors(t *testing.T) {
	if _, err := Load(t.TempDir(), 80); err == nil {
		t.Fatal("a directory without images/ accepted")
	}
}
