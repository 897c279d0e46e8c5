// Package recording stores the stream (shared/wire messages) in a file
// with an index, and reads it back, recovering a recording that was not
// closed. Kept apart from package wire so the WASM module, which decodes
// messages, does not link the file system.
package recording

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/nniescope/nniescope/shared/internal/errfmt"
)

// A recording is the stream's messages in a file, each preceded by its
// length (u32), followed on a clean close by an index so a player can seek:
// "NSWI", u32 count, count × u64 offsets, u64 index offset, "NSWE".
var (
	indexMagic   = [4]byte{'N', 'S', 'W', 'I'}
	trailerMagic = [4]byte{'N', 'S', 'W', 'E'}
	wireMagic    = [4]byte{'N', 'S', 'W', '1'} // every wire message starts so
)

// MaxMessage bounds one message (a 640x640 frame's raw heads are ~1 MB).
const MaxMessage = 64 << 20

// Recorder writes a recording.
type Recorder struct {
	f       *os.File
	w       *bufio.Writer
	off     int64
	offsets []int64
}

// Create starts a recording at path.
func Create(path string) (*Recorder, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, errfmt.Errorf("recording: %w", err)
	}
	return &Recorder{f: f, w: bufio.NewWriterSize(f, 1<<20)}, nil
}

// Write appends one message.
func (r *Recorder) Write(msg []byte) error {
	if len(msg) > MaxMessage {
		return errfmt.Errorf("recording: message of %d bytes exceeds %d", len(msg), MaxMessage)
	}
	var n [4]byte
	binary.LittleEndian.PutUint32(n[:], uint32(len(msg)))
	if _, err := r.w.Write(n[:]); err != nil {
		return errfmt.Errorf("recording: %w", err)
	}
	if _, err := r.w.Write(msg); err != nil {
		return errfmt.Errorf("recording: %w", err)
	}
	// Indexed only once written whole: the index lists exactly the
	// messages before it (Open refuses one that does not).
	r.offsets = append(r.offsets, r.off)
	r.off += int64(4 + len(msg))
	return nil
}

// Close writes the index and closes the file.
func (r *Recorder) Close() error {
	b := append([]byte(nil), indexMagic[:]...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(r.offsets)))
	for _, o := range r.offsets {
		b = binary.LittleEndian.AppendUint64(b, uint64(o))
	}
	b = binary.LittleEndian.AppendUint64(b, uint64(r.off))
	b = append(b, trailerMagic[:]...)
	_, err := r.w.Write(b)
	if err == nil {
		err = r.w.Flush()
	}
	if cerr := r.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return errfmt.Errorf("recording: %w", err)
	}
	return nil
}

// Recording is an open recording file.
type Recording struct {
	f       *os.File
	name    string
	offsets []int64
	end     int64 // end of the message area
	// Recovered is true when the file had no index (the recorder did not
	// close cleanly) and the messages were found by scanning.
	Recovered bool
	// DroppedFrom is the byte offset where the scan of a recovered file
	// stopped at a message cut off by the end of the file (or a length
	// prefix pointing past it), -1 when nothing was dropped; Size is the
	// file's size. Readers warn with both: what was lost is not silent.
	DroppedFrom, Size int64
}

// Open reads a recording's index, or scans it when the index is missing.
func Open(path string) (*Recording, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, errfmt.Errorf("recording: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, errfmt.Errorf("recording: %w", err)
	}
	r := &Recording{f: f, name: path, DroppedFrom: -1, Size: st.Size()}
	if err := r.readIndex(st.Size()); err != nil {
		var bad *indexError
		if errors.As(err, &bad) {
			f.Close()
			return nil, errfmt.Errorf("recording: %s: %w", path, err)
		}
		r.offsets = nil
		if err := r.scan(st.Size()); err != nil {
			f.Close()
			return nil, err
		}
		r.Recovered = true
	}
	return r, nil
}

func (r *Recording) readIndex(size int64) error {
	if size < 16 {
		return io.ErrUnexpectedEOF
	}
	var tail [12]byte
	if _, err := r.f.ReadAt(tail[:], size-12); err != nil {
		return err
	}
	if [4]byte(tail[8:]) != trailerMagic {
		return io.ErrUnexpectedEOF
	}
	idx := int64(binary.LittleEndian.Uint64(tail[:8]))
	if idx < 0 || idx+8 > size-12 {
		return io.ErrUnexpectedEOF
	}
	var head [8]byte
	if _, err := r.f.ReadAt(head[:], idx); err != nil || [4]byte(head[:4]) != indexMagic {
		return io.ErrUnexpectedEOF
	}
	n := int64(binary.LittleEndian.Uint32(head[4:]))
	if idx+8+8*n != size-12 {
		return io.ErrUnexpectedEOF
	}
	buf := make([]byte, 8*n)
	if _, err := r.f.ReadAt(buf, idx+8); err != nil {
		return err
	}
	// The entries must be the messages as the recorder wrote them: one
	// after another from byte 0 up to the index, each once. An index that
	// points many entries at one message replayed it thousands of times
	// (a 182 KB file ran replay out of memory); it is an error, not a
	// reason to scan.
	var next int64
	var l [4]byte
	for i := range n {
		o := int64(binary.LittleEndian.Uint64(buf[8*i:]))
		if o != next || o+4 > idx {
			return &indexError{fmt.Sprintf("entry %d points at byte %d, where message %d should start at byte %d", i, o, i, next)}
		}
		if _, err := r.f.ReadAt(l[:], o); err != nil {
			return err
		}
		next = o + 4 + int64(binary.LittleEndian.Uint32(l[:]))
		if next > idx {
			return &indexError{fmt.Sprintf("message %d at byte %d runs to byte %d, past the index at %d", i, o, next, idx)}
		}
		r.offsets = append(r.offsets, o)
	}
	if next != idx {
		return &indexError{fmt.Sprintf("%d messages end at byte %d, the index starts at %d", n, next, idx)}
	}
	r.end = idx
	return nil
}

// indexError is an index that is present (its trailer and magic are
// there) but does not describe the messages: the file was altered.
type indexError struct{ why string }

func (e *indexError) Error() string { return "corrupt index: " + e.why }

// scan walks length-prefixed messages from the start; a message cut off
// at the end (a recorder killed mid-write) ends the recording, anything
// else malformed is an error.
func (r *Recording) scan(size int64) error {
	var off int64
	var n [4]byte
	for off+4 <= size {
		if _, err := r.f.ReadAt(n[:], off); err != nil {
			return errfmt.Errorf("recording: %s: %w", r.name, err)
		}
		if n == indexMagic {
			break // the index of a recording whose trailer was cut off
		}
		l := int64(binary.LittleEndian.Uint32(n[:]))
		if l > MaxMessage {
			return errfmt.Errorf("recording: %s: corrupt recording: message at byte %d claims %d bytes", r.name, off, l)
		}
		if off+4+l > size {
			r.DroppedFrom = off
			break
		}
		var m [4]byte
		if l >= 4 {
			if _, err := r.f.ReadAt(m[:], off+4); err != nil {
				return errfmt.Errorf("recording: %s: %w", r.name, err)
			}
		}
		if m != wireMagic {
			if m == indexMagic {
				break
			}
			return errfmt.Errorf("recording: %s: corrupt recording: no message at byte %d", r.name, off)
		}
		r.offsets = append(r.offsets, off)
		off += 4 + l
	}
	if len(r.offsets) == 0 {
		return errfmt.Errorf("recording: %s: not a recording (no messages)", r.name)
	}
	if r.DroppedFrom < 0 && off < size && n != indexMagic {
		r.DroppedFrom = off // fewer than 4 bytes of a length prefix
	}
	r.end = off
	return nil
}

// Len is the number of messages.
func (r *Recording) Len() int { return len(r.offsets) }

// Message reads message i.
func (r *Recording) Message(i int) ([]byte, error) {
	if i < 0 || i >= len(r.offsets) {
		return nil, errfmt.Errorf("recording: %s: message %d of %d", r.name, i, len(r.offsets))
	}
	var n [4]byte
	if _, err := r.f.ReadAt(n[:], r.offsets[i]); err != nil {
		return nil, errfmt.Errorf("recording: %s: message %d: %w", r.name, i, err)
	}
	l := int64(binary.LittleEndian.Uint32(n[:]))
	if l > MaxMessage || r.offsets[i]+4+l > r.end {
		return nil, errfmt.Errorf("recording: %s: corrupt recording: message %d claims %d bytes", r.name, i, l)
	}
	b := make([]byte, l)
	if _, err := r.f.ReadAt(b, r.offsets[i]+4); err != nil {
		return nil, errfmt.Errorf("recording: %s: message %d: %w", r.name, i, err)
	}
	return b, nil
}

// Close closes the file.
func (r *Recording) Close() error { return r.f.Close() }
