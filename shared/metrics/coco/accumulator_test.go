package coco

import (
	"math/rand/v2"
	"reflect"
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
		for i, im := range imgs {
			if i%4 == 3 && len(byImg[im.ID]) == 0 {
				continue // an image never added counts as one without detections
			}
			if err := acc.Add(im.ID, byImg[im.ID]); err != nil {
				t.Fatal(err)
			}
		}
		if got := acc.Detail(); !reflect.DeepEqual(got, want) {
			t.Fatalf("case %d: image by image\n%+v\nwhole list\n%+v", c, got, want)
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

// Records kept in blocks read back in order across block boundaries, and
// a record's four area flags do not overlap.
func TestRecords(t *testing.T) {
	var rs records
	for i := range 3*recordBlock + 5 {
		rs.add(detRecord{score: float64(i), at: uint32(i)})
	}
	if rs.n != 3*recordBlock+5 || len(rs.blocks) != 4 {
		t.Fatalf("%d records in %d blocks", rs.n, len(rs.blocks))
	}
	for i := range rs.n {
		if r := rs.at(i); r.score != float64(i) || r.at != uint32(i) {
			t.Fatalf("record %d reads back as %+v", i, *r)
		}
	}
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
}
