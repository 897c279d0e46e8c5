package recording

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/nniescope/nniescope/shared/letterbox"
	"github.com/nniescope/nniescope/shared/wire"
)

func sample() *wire.Result {
	return &wire.Result{Variant: "int8", Geometry: letterbox.Geometry{SrcW: 640, SrcH: 426, DstW: 512, DstH: 288, Scale: 0.676, PadLeft: 39}}
}

func TestRecording(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rec.nsw")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	var msgs [][]byte
	for i := range 5 {
		r := sample()
		r.Seq = uint64(i)
		msgs = append(msgs, wire.AppendResult(nil, r))
		if err := w.Write(msgs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	check := func(path string, n int, recovered bool) {
		t.Helper()
		r, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if r.Len() != n || r.Recovered != recovered {
			t.Fatalf("%d messages (recovered %v), want %d (%v)", r.Len(), r.Recovered, n, recovered)
		}
		for i := range n {
			m, err := r.Message(i)
			if err != nil || string(m) != string(msgs[i]) {
				t.Fatalf("message %d: %v", i, err)
			}
		}
	}
	check(path, 5, false)
	// A recorder killed mid-write: no index, the last message cut off.
	full, _ := os.ReadFile(path)
	cut := filepath.Join(dir, "cut.nsw")
	os.WriteFile(cut, full[:4*(4+len(msgs[0]))+(4+len(msgs[0]))/2], 0o644)
	check(cut, 4, true)
	// Garbage is a clear error.
	junk := filepath.Join(dir, "junk.nsw")
	os.WriteFile(junk, []byte("this is not a recording at all"), 0o644)
	if _, err := Open(junk); err == nil {
		t.Fatal("junk accepted")
	}
}
