package coco

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// randomCase is a small ground truth (crowds, several categories, box
// sizes across the area ranges) with shuffled detections, scores tied
// often (ties are where the evaluation order shows).
func randomCase(r *rand.Rand) (*Dataset, []Result) {
	gt := &Dataset{}
	nimg, ncat := 1+r.IntN(12), 1+r.IntN(4)
	for i := range nimg {
		gt.Images = append(gt.Images, Image{ID: int64(100 - i*3), Width: 200, Height: 200})
	}
	for c := range ncat {
		gt.Categories = append(gt.Categories, Category{ID: int64(c + 1)})
	}
	id := int64(1)
	var dts []Result
	for _, im := range gt.Images {
		for range r.IntN(6) {
			w, h := 5+r.Float64()*120, 5+r.Float64()*120
			gt.Annotations = append(gt.Annotations, Annotation{ID: id, ImageID: im.ID, CategoryID: int64(1 + r.IntN(ncat)), BBox: [4]float64{r.Float64() * 80, r.Float64() * 80, w, h}, Area: w * h, IsCrowd: min(1, r.IntN(10)/9)})
			id++
		}
		for range r.IntN(130) { // past the 100 a category keeps per image
			w, h := 5+r.Float64()*120, 5+r.Float64()*120
			s := float64(r.IntN(20)) / 20
			if r.IntN(2) == 0 {
				s = r.Float64()
			}
			dts = append(dts, Result{ImageID: im.ID, CategoryID: int64(1 + r.IntN(ncat+1)), Score: s, BBox: [4]float64{r.Float64() * 80, r.Float64() * 80, w, h}})
		}
	}
	r.Shuffle(len(dts), func(i, j int) { dts[i], dts[j] = dts[j], dts[i] })
	return gt, dts
}

// Images added one at a time, in any order, give what evaluating the
// whole result list gives (ties in score are broken by image id, not by
// the order images arrive).
func TestAccumulatorOrderDoesNotMatter(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 9))
	for c := range 200 {
		gt, dts := randomCase(r)
		want, err := EvaluateDetail(gt, dts)
		if err != nil {
			t.Fatal(err)
		}
		byImg := map[int64][]Result{}
		for _, d := range dts {
			byImg[d.ImageID] = append(byImg[d.ImageID], d)
		}
		imgs := append([]Image(nil), gt.Images...)
		r.Shuffle(len(imgs), func(i, j int) { imgs[i], imgs[j] = imgs[j], imgs[i] })
		acc, err := NewAccumulator(gt)
		if err != nil {
			t.Fatal(err)
		}
		// Spilled after every image, every few records, or never: the
		// merged runs accumulate to the same numbers.
		spill := []int{1, 3, 64, DefaultSpill}[c%4]
		acc.SetSpill(t.TempDir(), spill)
		for i, im := range imgs {
			if i%4 == 3 && len(byImg[im.ID]) == 0 {
				continue // an image never added counts as one without detections
			}
			if err := acc.Add(im.ID, byImg[im.ID]); err != nil {
				t.Fatal(err)
			}
		}
		if acc.Held() >= spill {
			t.Fatalf("case %d: %d records held, spilling at %d", c, acc.Held(), spill)
		}
		got, err := acc.Detail()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("case %d (spill at %d): image by image\n%+v\nwhole list\n%+v", c, spill, got, want)
		}
		if err := acc.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAccumulatorErrors(t *testing.T) {
	gt := &Dataset{Images: []Image{{ID: 1}}, Categories: []Category{{ID: 1}}}
	acc, err := NewAccumulator(gt)
	if err != nil {
		t.Fatal(err)
	}
	if err := acc.Add(2, nil); err == nil || !strings.Contains(err.Error(), "image_id 2 is not in the ground truth") {
		t.Errorf("unknown image: %v", err)
	}
	if err := acc.Add(1, []Result{{ImageID: 3}}); err == nil || !strings.Contains(err.Error(), "is for image_id 3") {
		t.Errorf("a detection of another image: %v", err)
	}
	acc, _ = NewAccumulator(gt)
	if err := acc.Add(1, nil); err != nil {
		t.Fatal(err)
	}
	if err := acc.Add(1, nil); err == nil || !strings.Contains(err.Error(), "added twice") {
		t.Errorf("an image added twice: %v", err)
	}
}

// A record reads back from its 24 bytes, and its four area flags do not
// overlap.
func TestRecords(t *testing.T) {
	var r detRecord
	want := [4]uint32{0xfffff, 0x12345, 0x00001, 0x80000}
	for ar, f := range want {
		r.setFlags(ar, f)
	}
	for ar, f := range want {
		if got := r.flags(ar); got != f {
			t.Fatalf("area %d flags %#x, want %#x", ar, got, f)
		}
	}
	for _, score := range []float64{0, math.Copysign(0, -1), 0.25, 1, math.SmallestNonzeroFloat64} {
		r.score, r.at = score, 1<<31|5
		var b [recordSize]byte
		r.put(b[:])
		var back detRecord
		back.get(b[:])
		if back != r || math.Signbit(back.score) != math.Signbit(score) {
			t.Fatalf("%+v reads back as %+v", r, back)
		}
	}
}

// A large evaluation holds at most the spill bound of records in memory
// (before spilling it held every detection's), leaves no file behind in
// the folder, and scores what the whole list scores.
func TestAccumulatorSpills(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	gt := &Dataset{Categories: []Category{{ID: 1}, {ID: 2}, {ID: 3}}}
	var dts []Result
	for i := range 400 {
		id := int64(i + 1)
		gt.Images = append(gt.Images, Image{ID: id})
		for range 3 {
			w, h := 10+r.Float64()*100, 10+r.Float64()*100
			gt.Annotations = append(gt.Annotations, Annotation{ID: int64(len(gt.Annotations) + 1), ImageID: id, CategoryID: int64(1 + r.IntN(3)), BBox: [4]float64{r.Float64() * 50, r.Float64() * 50, w, h}, Area: w * h})
		}
		for range 60 {
			w, h := 10+r.Float64()*100, 10+r.Float64()*100
			dts = append(dts, Result{ImageID: id, CategoryID: int64(1 + r.IntN(3)), Score: float64(r.IntN(50)) / 50, BBox: [4]float64{r.Float64() * 50, r.Float64() * 50, w, h}})
		}
	}
	want, err := EvaluateDetail(gt, dts)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	acc, err := NewAccumulator(gt)
	if err != nil {
		t.Fatal(err)
	}
	acc.SetSpill(dir, 1000)
	held := 0
	for lo := 0; lo < len(dts); lo += 60 {
		if err := acc.Add(dts[lo].ImageID, dts[lo:lo+60]); err != nil {
			t.Fatal(err)
		}
		held = max(held, acc.Held())
	}
	if held >= 1000 {
		t.Errorf("held up to %d records, spilling at 1000", held)
	}
	if acc.spill == nil || len(acc.spill.runs[0]) < 20 {
		t.Fatalf("24,000 records spilled at 1,000 should make 20 runs or more per category")
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 && runtime.GOOS != "windows" {
		t.Errorf("the spill file is visible in its folder while open: %v", left)
	}
	got, err := acc.Detail()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("spilled\n%+v\nin memory\n%+v", got, want)
	}
	if err := acc.Close(); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("files left after Close: %v", left)
	}
	// Closed, its spilled records are gone: it says so rather than score
	// what is left.
	if _, err := acc.Detail(); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Detail after Close: %v", err)
	}
	if err := acc.Add(2, nil); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Add after Close: %v", err)
	}

	// A folder that cannot take the file is the Add's error, naming it.
	acc, _ = NewAccumulator(gt)
	acc.SetSpill(filepath.Join(dir, "missing"), 10)
	if err := acc.Add(1, dts[:60]); err == nil || !strings.Contains(err.Error(), "spilling detection records") || !strings.Contains(err.Error(), "missing") {
		t.Errorf("unwritable spill folder: %v", err)
	}
}
