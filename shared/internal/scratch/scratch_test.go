package scratch

import (
	"os"
	"runtime"
	"testing"
)

// A scratch file reads back what was written, is not in its folder while
// open (where the system allows that), and is gone after Close.
func TestCreate(t *testing.T) {
	dir := t.TempDir()
	f, err := Create(dir, "x-*.bin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("records")); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 7)
	if _, err := f.ReadAt(b, 0); err != nil || string(b) != "records" {
		t.Fatalf("read back %q, %v", b, err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 && runtime.GOOS != "windows" {
		t.Errorf("visible while open: %v", left)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("left after Close: %v", left)
	}
	if _, err := Create(dir+"/missing", "x-*"); err == nil {
		t.Error("a missing folder was taken")
	}
}
