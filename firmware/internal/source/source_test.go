package source

import (
	"context"
	"image"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nniescope/nniescope/shared/synth"
)

func TestSources(t *testing.T) {
	ctx := context.Background()
	val := filepath.Join(t.TempDir(), "val")
	if err := synth.WriteDataset(val, 1, 0, 2, 64, 48); err != nil {
		t.Fatal(err)
	}
	d, err := NewDir(val, false)
	if err != nil {
		t.Fatal(err)
	}
	f, err := d.Next(ctx)
	if err != nil || f.Seq != 1 || f.Image.Bounds().Dx() == 0 {
		t.Fatalf("dir: %+v %v", f, err)
	}
	// NV12: two 4x2 grey frames, read in a loop.
	path := filepath.Join(t.TempDir(), "cam.yuv")
	frame := []byte{126, 126, 126, 126, 126, 126, 126, 126, 128, 128, 128, 128}
	os.WriteFile(path, append(frame, frame...), 0o644)
	n, err := NewNV12(path, 4, 2)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		f, err := n.Next(ctx)
		if err != nil {
			t.Fatalf("nv12 frame %d: %v", i, err)
		}
		if r, _, _, _ := f.Image.At(1, 1).RGBA(); r>>8 < 125 || r>>8 > 131 {
			t.Fatalf("nv12 grey decoded to %d", r>>8)
		}
	}
	if _, err := NewNV12(path, 5, 2); err == nil {
		t.Fatal("odd width accepted")
	}
	u := NewUpload()
	u.Put(image.NewGray(image.Rect(0, 0, 1, 1)))
	u.Put(image.NewGray(image.Rect(0, 0, 2, 2))) // replaces the first
	f, err = u.Next(ctx)
	if err != nil || f.Image.Bounds().Dx() != 2 {
		t.Fatalf("upload: %v %v", f.Image.Bounds(), err)
	}
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := u.Next(cctx); err == nil {
		t.Fatal("empty upload source returned a frame")
	}
	s := &Synthetic{W: 64, H: 36, Seed: 1, N: 2}
	a, _ := s.Next(ctx)
	b, _ := s.Next(ctx)
	c, _ := s.Next(ctx)
	if a.Seq != 1 || b.Seq != 2 || a.Image.Bounds().Dx() != 64 || a.Name != "synthetic:0" || c.Name != "synthetic:0" {
		t.Fatalf("synthetic %v %v %v", a, b, c)
	}
}
