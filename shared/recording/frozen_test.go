package recording

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nniescope/nniescope/shared/wire"
)

// TestFrozenRecording: a recording laid out as docs/WIRE.md describes
// (length-prefixed messages, then the index), written once by
// shared/wire/testdata/frozen/make.py and never regenerated, opens through
// its index and yields its two messages; the recorder writes the same
// bytes for the same messages.
func TestFrozenRecording(t *testing.T) {
	path := filepath.Join("testdata", "two-messages.nsw")
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Recovered || r.Len() != 2 {
		t.Fatalf("recovered %v, %d messages: want the index read, 2 messages", r.Recovered, r.Len())
	}
	var msgs [][]byte
	for i := range r.Len() {
		m, err := r.Message(i)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, append([]byte(nil), m...))
	}
	if im, err := wire.DecodeImage(msgs[0]); err != nil || im.MIME != "image/jpeg" || im.Source != "a.jpg" {
		t.Fatalf("message 0: %+v, %v", im, err)
	}
	if res, err := wire.DecodeResult(msgs[1]); err != nil || res.Variant != "int8" || len(res.Boxes) != 1 {
		t.Fatalf("message 1: %+v, %v", res, err)
	}
	out := filepath.Join(t.TempDir(), "again.nsw")
	w, err := Create(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if err := w.Write(m); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(path)
	got, _ := os.ReadFile(out)
	if !bytes.Equal(got, want) {
		t.Fatalf("the recorder wrote other bytes:\n% x\nwant\n% x", got, want)
	}
}

// FuzzOpen: whatever bytes a recording file holds, Open and Message return
// messages or an error, never panic, and never hand out more bytes than
// the file has.
func FuzzOpen(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("testdata", "two-messages.nsw")); err == nil {
		f.Add(b)
		f.Add(b[:len(b)-20]) // the index cut: scanned
		f.Add(b[:100])       // a message cut
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(t.TempDir(), "f.nsw")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := Open(path)
		if err != nil {
			return
		}
		defer r.Close()
		total := 0
		for i := range r.Len() {
			m, err := r.Message(i)
			if err != nil {
				continue
			}
			total += len(m)
		}
		if total > len(b) {
			t.Fatalf("%d message bytes from a %d-byte file", total, len(b))
		}
	})
}

// An index whose entries do not walk the messages one after another —
// many entries at one message (a 182 KB file replayed one result 20,000
// times, out of memory), entries out of order, a message running past the
// index — is an error naming the file and the entry, not a replay.
func TestIndexMustWalkTheMessages(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("testdata", "two-messages.nsw"))
	if err != nil {
		t.Fatal(err)
	}
	// The index: NSWI, u32 count, count u64 offsets, u64 index offset, NSWE.
	idx := int(binary.LittleEndian.Uint64(good[len(good)-12:]))
	second := binary.LittleEndian.Uint64(good[idx+16:])
	rewrite := func(entries ...uint64) []byte {
		b := append([]byte(nil), good[:idx]...)
		b = append(b, "NSWI"...)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(entries)))
		for _, e := range entries {
			b = binary.LittleEndian.AppendUint64(b, e)
		}
		b = binary.LittleEndian.AppendUint64(b, uint64(idx))
		return append(b, "NSWE"...)
	}
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"one message many times", rewrite(0, 0, 0, 0, 0, 0, 0, 0), "entry 1 points at byte 0"},
		{"out of order", rewrite(second, 0), "entry 0 points at byte " + fmt.Sprint(second)},
		{"a message left out", rewrite(0), "1 messages end at byte"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad.nsw")
			if err := os.WriteFile(path, tc.b, 0o644); err != nil {
				t.Fatal(err)
			}
			r, err := Open(path)
			if err == nil {
				n := r.Len()
				r.Close()
				t.Fatalf("opened with %d messages", n)
			}
			if !strings.Contains(err.Error(), "bad.nsw") || !strings.Contains(err.Error(), "corrupt index") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one naming the file and saying %q", err, tc.want)
			}
		})
	}
}
