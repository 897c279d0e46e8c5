package coco

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/nniescope/nniescope/internal/testassets"
)

// TestReferenceCases reproduces the stats that other projects published
// for pycocotools on the cases in ../shared/assets/cocoeval, to the
// precision each states.
func TestReferenceCases(t *testing.T) {
	for _, name := range []string{"torchmetrics_inputs_v1", "hotcoco_edge_cases"} {
		t.Run(name, func(t *testing.T) {
			dir := testassets.Path(t, "cocoeval", name)
			gt, err := LoadDataset(filepath.Join(dir, "gt.json"))
			if err != nil {
				t.Fatal(err)
			}
			dt, err := LoadResults(filepath.Join(dir, "dt.json"))
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(filepath.Join(dir, "expected.json"))
			if err != nil {
				t.Fatal(err)
			}
			var want struct {
				Stats    []float64 `json:"stats"`
				Decimals int       `json:"stats_decimals"`
			}
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatal(err)
			}
			got, err := Evaluate(gt, dt)
			if err != nil {
				t.Fatal(err)
			}
			tol := 0.5*math.Pow(10, -float64(want.Decimals)) + 1e-9
			for i, w := range want.Stats {
				if math.Abs(got[i]-w) > tol {
					t.Errorf("%s = %.6f, want %.*f", StatNames[i], got[i], want.Decimals, w)
				}
			}
		})
	}
}

// Hand-computed cases.
func TestHandCases(t *testing.T) {
	img := []Image{{ID: 1, Width: 100, Height: 100}, {ID: 2, Width: 100, Height: 100}}
	cats := []Category{{ID: 1}, {ID: 2}}
	box := func(id, imgID, cat int64, x, y, w, h float64, crowd int) Annotation {
		return Annotation{ID: id, ImageID: imgID, CategoryID: cat, BBox: [4]float64{x, y, w, h}, Area: w * h, IsCrowd: crowd}
	}
	tests := []struct {
		name string
		gt   []Annotation
		dt   []Result
		want map[int]float64 // stat index -> value
	}{
		{
			name: "perfect detection",
			gt:   []Annotation{box(1, 1, 1, 10, 10, 50, 50, 0)},
			dt:   []Result{{ImageID: 1, CategoryID: 1, BBox: [4]float64{10, 10, 50, 50}, Score: 0.9}},
			want: map[int]float64{0: 1, 1: 1, 8: 1, 3: -1, 4: 1},
		},
		{
			name: "no detections at all",
			gt:   []Annotation{box(1, 1, 1, 10, 10, 50, 50, 0)},
			want: map[int]float64{0: 0, 8: 0},
		},
		{
			name: "a false positive ranked first halves nothing below recall 1 but lowers precision",
			gt:   []Annotation{box(1, 1, 1, 10, 10, 50, 50, 0)},
			dt: []Result{
				{ImageID: 1, CategoryID: 1, BBox: [4]float64{70, 70, 20, 20}, Score: 0.95},
				{ImageID: 1, CategoryID: 1, BBox: [4]float64{10, 10, 50, 50}, Score: 0.9},
			},
			// precision 0.5 at every recall threshold, all 10 IoUs.
			want: map[int]float64{0: 0.5, 6: 0, 7: 1},
		},
		{
			// pycocotools concatenates images in id order and sorts
			// stably: of two equal scores the lower image id's comes
			// first, whatever order the results list has. Here that is
			// the false positive: precision 0.5 up to recall 0.5 (the
			// other order would give 1).
			name: "equal scores rank by image id",
			gt:   []Annotation{box(1, 1, 1, 10, 10, 50, 50, 0), box(2, 2, 1, 10, 10, 50, 50, 0)},
			dt: []Result{
				{ImageID: 2, CategoryID: 1, BBox: [4]float64{10, 10, 50, 50}, Score: 0.5},
				{ImageID: 1, CategoryID: 1, BBox: [4]float64{70, 70, 20, 20}, Score: 0.5},
			},
			want: map[int]float64{0: 51 * 0.5 / 101, 1: 51 * 0.5 / 101, 8: 0.5},
		},
		{
			name: "a detection on a crowd region is neither tp nor fp",
			gt:   []Annotation{box(1, 1, 1, 10, 10, 50, 50, 0), box(2, 2, 1, 0, 0, 100, 100, 1)},
			dt: []Result{
				{ImageID: 2, CategoryID: 1, BBox: [4]float64{20, 20, 10, 10}, Score: 0.99},
				{ImageID: 1, CategoryID: 1, BBox: [4]float64{10, 10, 50, 50}, Score: 0.5},
			},
			want: map[int]float64{0: 1},
		},
		{
			name: "a class with ground truth but no detections counts as AP 0",
			gt:   []Annotation{box(1, 1, 1, 10, 10, 50, 50, 0), box(2, 1, 2, 60, 60, 20, 20, 0)},
			dt:   []Result{{ImageID: 1, CategoryID: 1, BBox: [4]float64{10, 10, 50, 50}, Score: 0.9}},
			want: map[int]float64{0: 0.5, 8: 0.5},
		},
		{
			name: "an image with neither ground truth nor detections changes nothing",
			gt:   []Annotation{box(1, 1, 1, 10, 10, 50, 50, 0)},
			dt:   []Result{{ImageID: 1, CategoryID: 1, BBox: [4]float64{10, 10, 50, 50}, Score: 0.9}},
			want: map[int]float64{0: 1, 8: 1},
		},
		{
			name: "class with detections but no ground truth is excluded",
			gt:   []Annotation{box(1, 1, 1, 10, 10, 50, 50, 0)},
			dt: []Result{
				{ImageID: 1, CategoryID: 1, BBox: [4]float64{10, 10, 50, 50}, Score: 0.9},
				{ImageID: 1, CategoryID: 2, BBox: [4]float64{10, 10, 50, 50}, Score: 0.9},
			},
			want: map[int]float64{0: 1},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Evaluate(&Dataset{Images: img, Annotations: tc.gt, Categories: cats}, tc.dt)
			if err != nil {
				t.Fatal(err)
			}
			for i, w := range tc.want {
				if math.Abs(got[i]-w) > 1e-9 {
					t.Errorf("%s = %v, want %v", StatNames[i], got[i], w)
				}
			}
		})
	}
	if _, err := Evaluate(&Dataset{Images: img, Categories: cats}, []Result{{ImageID: 9, CategoryID: 1}}); err == nil {
		t.Fatal("detection on an unknown image accepted")
	}
}

// TestMaxDets: with 101 correct detections on 101 objects in one image,
// AR@1 is 1/101, AR@10 10/101, AR@100 100/101.
func TestMaxDets(t *testing.T) {
	d := &Dataset{Images: []Image{{ID: 1}}, Categories: []Category{{ID: 1}}}
	var dts []Result
	for i := range 101 {
		x := float64(i * 20)
		d.Annotations = append(d.Annotations, Annotation{ID: int64(i + 1), ImageID: 1, CategoryID: 1, BBox: [4]float64{x, 0, 10, 10}, Area: 100})
		dts = append(dts, Result{ImageID: 1, CategoryID: 1, BBox: [4]float64{x, 0, 10, 10}, Score: 1 - float64(i)/1000})
	}
	got, err := Evaluate(d, dts)
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range map[int]float64{6: 1.0 / 101, 7: 10.0 / 101, 8: 100.0 / 101} {
		if math.Abs(got[i]-w) > 1e-12 {
			t.Errorf("%s = %v, want %v", StatNames[i], got[i], w)
		}
	}
}

// TestDetail: on the reference cases, each category's AP equals the AP of
// the evaluation restricted to that category (pycocotools with
// params.catIds = [c]), the mean over categories with ground truth is the
// overall AP, and the mean of the PR curve is AP50.
func TestDetail(t *testing.T) {
	for _, name := range []string{"torchmetrics_inputs_v1", "hotcoco_edge_cases"} {
		t.Run(name, func(t *testing.T) {
			dir := testassets.Path(t, "cocoeval", name)
			gt, err := LoadDataset(filepath.Join(dir, "gt.json"))
			if err != nil {
				t.Fatal(err)
			}
			dt, err := LoadResults(filepath.Join(dir, "dt.json"))
			if err != nil {
				t.Fatal(err)
			}
			d, err := EvaluateDetail(gt, dt)
			if err != nil {
				t.Fatal(err)
			}
			var sum, pr float64
			n := 0
			for k, c := range d.Categories {
				one := *gt
				one.Categories = []Category{{ID: c}}
				s, err := Evaluate(&one, dt)
				if err != nil {
					t.Fatal(err)
				}
				if math.Abs(s[0]-d.ClassAP[k]) > 1e-12 || math.Abs(s[1]-d.ClassAP50[k]) > 1e-12 {
					t.Errorf("category %d: AP %v / %v, restricted evaluation %v / %v", c, d.ClassAP[k], d.ClassAP50[k], s[0], s[1])
				}
				if d.ClassAP[k] > -1 {
					sum += d.ClassAP[k]
					n++
				}
			}
			if n == 0 || math.Abs(sum/float64(n)-d.Stats[0]) > 1e-12 {
				t.Errorf("mean class AP %v over %d categories, AP %v", sum/float64(n), n, d.Stats[0])
			}
			for _, p := range d.PR50 {
				pr += p
			}
			if len(d.PR50) != 101 || math.Abs(pr/101-d.Stats[1]) > 1e-12 {
				t.Errorf("mean of the PR curve %v, AP50 %v", pr/101, d.Stats[1])
			}
			t.Logf("%d categories, AP %.4f, AP50 %.4f", len(d.Categories), d.Stats[0], d.Stats[1])
		})
	}
}
