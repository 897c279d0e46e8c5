package synth

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/nniescope/nniescope/shared/dataset"
)

func TestDeterministicAndLabelled(t *testing.T) {
	a, oa := Scene(1, 7, 160, 96)
	b, ob := Scene(1, 7, 160, 96)
	if !bytes.Equal(a.Pix, b.Pix) || len(oa) != len(ob) {
		t.Fatal("the same seed and index drew different scenes")
	}
	c, _ := Scene(1, 8, 160, 96)
	if bytes.Equal(a.Pix, c.Pix) {
		t.Fatal("scenes 7 and 8 are identical")
	}
	sizes := map[string]int{}
	classes := map[int]int{}
	for i := range 200 {
		_, objs := Scene(3, i, 320, 320)
		for _, o := range objs {
			b := o.Box
			if b[0] < 0 || b[1] < 0 || b[2] > 320 || b[3] > 320 || b[2] <= b[0] || b[3] <= b[1] {
				t.Fatalf("scene %d: box %v outside the picture", i, b)
			}
			side := max(b[2]-b[0], b[3]-b[1])
			switch {
			case side < 32:
				sizes["small"]++
			case side < 96:
				sizes["medium"]++
			default:
				sizes["large"]++
			}
			classes[o.Class]++
		}
	}
	if len(classes) != len(Classes) || sizes["small"] == 0 || sizes["medium"] == 0 || sizes["large"] == 0 {
		t.Fatalf("classes %v sizes %v: want every class and every size band", classes, sizes)
	}
}

func TestWriteDatasetLoads(t *testing.T) {
	dir := t.TempDir()
	if err := WriteDataset(dir, 5, 0, 6, 128, 96); err != nil {
		t.Fatal(err)
	}
	set, err := dataset.Load(dir, len(Classes))
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Images) != 6 || len(set.GT.Annotations) == 0 {
		t.Fatalf("%d images %d boxes", len(set.Images), len(set.GT.Annotations))
	}
	if filepath.Base(set.Images[0].Path) != "000000.png" {
		t.Fatalf("first image %s", set.Images[0].Path)
	}
}
