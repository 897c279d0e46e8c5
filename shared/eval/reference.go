package eval

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/nniescope/nniescope/shared/internal/scratch"
	"github.com/nniescope/nniescope/shared/yolo"
)

// Reference is a run's confident boxes (score ≥ MinScore), image by image:
// all that box shifts against it read. They are written to a temporary
// scratch file as the run goes (a run's boxes grow with its images; the
// file's index is twelve bytes an image) and read back an image at a
// time; Close removes the file.
type Reference struct {
	MinScore float32
	f        *scratch.File
	w        *bufio.Writer
	off      int64
	spans    []refSpan // per image of the set
	buf      []byte
	dets     []yolo.Detection // the last image read, reused
}

type refSpan struct {
	off int64
	n   int32 // -1: never written
}

// errClosedReference is a reference used after Close: its boxes are gone.
var errClosedReference = errors.New("eval: the reference run's boxes are closed")

const refBoxSize = 24 // class, score, box: little-endian int32 and float32s

func newReference(minScore float32, images int) (*Reference, error) {
	f, err := scratch.Create("", "nniescope-reference-*.boxes")
	if err != nil {
		return nil, fmt.Errorf("eval: keeping the reference run's boxes: %w", err)
	}
	r := &Reference{MinScore: minScore, f: f, w: bufio.NewWriterSize(f, 32<<10), spans: make([]refSpan, images)}
	for i := range r.spans {
		r.spans[i].n = -1
	}
	return r, nil
}

// put writes image i's confident boxes and returns them (valid until the
// next put).
func (r *Reference) put(i int, dets []yolo.Detection) ([]yolo.Detection, error) {
	if r.f == nil {
		return nil, errClosedReference
	}
	if r.spans[i].n >= 0 {
		return nil, fmt.Errorf("eval: image %d kept twice", i)
	}
	r.dets = r.dets[:0]
	var b [refBoxSize]byte
	for _, d := range dets {
		if d.Score < r.MinScore {
			continue
		}
		if d.ClassID < 0 || d.ClassID > math.MaxInt32 {
			return nil, fmt.Errorf("eval: class %d out of range", d.ClassID)
		}
		binary.LittleEndian.PutUint32(b[0:], uint32(d.ClassID))
		binary.LittleEndian.PutUint32(b[4:], math.Float32bits(d.Score))
		for k, v := range d.Box {
			binary.LittleEndian.PutUint32(b[8+4*k:], math.Float32bits(v))
		}
		if _, err := r.w.Write(b[:]); err != nil {
			return nil, fmt.Errorf("eval: keeping the reference run's boxes in %s: %w", r.f.Name(), err)
		}
		r.dets = append(r.dets, d)
	}
	r.spans[i] = refSpan{r.off, int32(len(r.dets))}
	r.off += int64(len(r.dets)) * refBoxSize
	return r.dets, nil
}

// boxes reads image i's confident boxes (valid until the next call); an
// image the reference run never scored has none.
func (r *Reference) boxes(i int) ([]yolo.Detection, error) {
	if r.f == nil {
		return nil, errClosedReference
	}
	sp := r.spans[i]
	r.dets = r.dets[:0]
	if sp.n <= 0 {
		return r.dets, nil
	}
	if r.w.Buffered() > 0 {
		if err := r.w.Flush(); err != nil {
			return nil, fmt.Errorf("eval: keeping the reference run's boxes in %s: %w", r.f.Name(), err)
		}
	}
	need := int(sp.n) * refBoxSize
	if cap(r.buf) < need {
		r.buf = make([]byte, need)
	}
	b := r.buf[:need]
	if n, err := r.f.ReadAt(b, sp.off); n < need {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("eval: reading the reference run's boxes from %s: %w", r.f.Name(), err)
	}
	for j := 0; j < need; j += refBoxSize {
		d := yolo.Detection{ClassID: int(binary.LittleEndian.Uint32(b[j:])), Score: math.Float32frombits(binary.LittleEndian.Uint32(b[j+4:]))}
		for k := range d.Box {
			d.Box[k] = math.Float32frombits(binary.LittleEndian.Uint32(b[j+8+4*k:]))
		}
		r.dets = append(r.dets, d)
	}
	return r.dets, nil
}

// Close removes the file.
func (r *Reference) Close() error {
	if r == nil || r.f == nil {
		return nil
	}
	err := r.f.Close()
	r.f = nil
	return err
}
