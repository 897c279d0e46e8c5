// Package source delivers camera-like frames to the board binary: image
// files from a directory, raw NV12 frames, images uploaded over HTTP, or a
// synthetic test pattern.
package source

import (
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"sync"
	"time"
	"unsafe"

	"github.com/nniescope/nniescope/shared/dataset"
	"github.com/nniescope/nniescope/shared/preprocess"
	"github.com/nniescope/nniescope/shared/synth"
)

// Frame is one captured picture.
type Frame struct {
	Seq     uint64
	Capture time.Time
	Image   image.Image
	Name    string // file name, when the frame came from a file
	// Release, when set, gives the picture's memory back to where it lies
	// (a camera frame read in place): the consumer calls it once, after
	// its last use of Image, on every path.
	Release func()
	// Device, when set, is the picture as the NPU can read it in place:
	// a YUV420SP frame in its VB block, luma then chroma rows Stride
	// bytes apart in one mapping of Size bytes (C memory, valid until
	// Release). An engine whose model takes such frames feeds it without
	// a copy.
	Device *DeviceFrame
}

// DeviceFrame is a camera frame's memory as mapped from its buffer pool.
type DeviceFrame struct {
	Addr         unsafe.Pointer
	Size, Stride int
}

// Source yields frames until ctx ends or it runs dry (io.EOF-like:
// ErrDone).
type Source interface {
	Next(ctx context.Context) (Frame, error)
}

// ErrDone ends a finite source.
var ErrDone = errors.New("source: no more frames")

// ErrNoFrame marks a source that had no frame in time (a camera that is
// not streaming yet, or stalled): an error of this frame, never a reason
// to stop the engine, since the camera may come back.
var ErrNoFrame = errors.New("no frame in time")

// Dir cycles over the images of a directory (DIR/images or DIR).
type Dir struct {
	files []string
	i     int
	seq   uint64
	Loop  bool
	// MaxPixels bounds an image's width × height, read from its header
	// before its pixels are allocated (preprocess.MaxPixels by default).
	MaxPixels int
}

// NewDir lists the images of dir.
func NewDir(dir string, loop bool) (*Dir, error) {
	files, err := dataset.ImageFiles(dir)
	if err != nil {
		return nil, err
	}
	return &Dir{files: files, Loop: loop, MaxPixels: preprocess.MaxPixels}, nil
}

// Next decodes the next image.
func (d *Dir) Next(ctx context.Context) (Frame, error) {
	if err := ctx.Err(); err != nil {
		return Frame{}, err
	}
	if d.i == len(d.files) {
		if !d.Loop {
			return Frame{}, ErrDone
		}
		d.i = 0
	}
	path := d.files[d.i]
	d.i++
	d.seq++
	img, err := preprocess.OpenLimit(path, d.MaxPixels)
	if err != nil {
		// One bad file is that frame's error: the caller goes on with the
		// next; the frame's name says which file.
		return Frame{Seq: d.seq, Name: path}, err
	}
	return Frame{Seq: d.seq, Capture: time.Now(), Image: img, Name: path}, nil
}

// NV12 reads fixed-size YUV420SP frames from a raw file, as VPSS writes
// them, looping at the end.
type NV12 struct {
	f    *os.File
	w, h int
	buf  []byte
	seq  uint64
}

// NewNV12 opens a raw NV12 file of w×h frames.
func NewNV12(path string, w, h int) (*NV12, error) {
	if w <= 0 || h <= 0 || w%2 != 0 || h%2 != 0 {
		return nil, fmt.Errorf("source: NV12 %s: frame size %dx%d must be positive and even", path, w, h)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	st, err := f.Stat()
	if err != nil || st.Size() < int64(w*h*3/2) {
		f.Close()
		return nil, fmt.Errorf("source: NV12 %s: smaller than one %dx%d frame (%d bytes)", path, w, h, w*h*3/2)
	}
	return &NV12{f: f, w: w, h: h, buf: make([]byte, w*h*3/2)}, nil
}

// Next reads the next frame into the source's buffer, where the frame is
// read in place (preprocess.SemiPlanar): valid until the next call.
func (n *NV12) Next(ctx context.Context) (Frame, error) {
	if err := ctx.Err(); err != nil {
		return Frame{}, err
	}
	if _, err := n.f.Read(n.buf); err != nil {
		if _, err := n.f.Seek(0, 0); err != nil {
			return Frame{}, err
		}
		if _, err := n.f.Read(n.buf); err != nil {
			return Frame{}, fmt.Errorf("source: NV12: %w", err)
		}
	}
	img, err := preprocess.NewSemiPlanar(n.buf[:n.w*n.h], n.buf[n.w*n.h:], n.w, n.h, n.w, n.w, false)
	if err != nil {
		return Frame{}, err
	}
	n.seq++
	return Frame{Seq: n.seq, Capture: time.Now(), Image: img}, nil
}

// Upload serves images posted to the board (POST /api/frame).
type Upload struct {
	ch  chan image.Image
	seq uint64
	mu  sync.Mutex
}

// NewUpload makes an upload source holding at most one pending image.
func NewUpload() *Upload { return &Upload{ch: make(chan image.Image, 1)} }

// Put queues an image, replacing one not yet processed.
func (u *Upload) Put(img image.Image) {
	u.mu.Lock()
	defer u.mu.Unlock()
	select {
	case <-u.ch:
	default:
	}
	u.ch <- img
}

// Next waits for an upload.
func (u *Upload) Next(ctx context.Context) (Frame, error) {
	select {
	case <-ctx.Done():
		return Frame{}, ctx.Err()
	case img := <-u.ch:
		u.seq++
		return Frame{Seq: u.seq, Capture: time.Now(), Image: img, Name: "upload"}, nil
	}
}

// Synthetic cycles through N scenes of shared/synth (shapes with ground
// truth: synth.GroundTruth gives the labels of the same frames).
type Synthetic struct {
	W, H int
	Seed uint64
	N    int
	seq  uint64
}

// Next draws the next scene.
func (s *Synthetic) Next(ctx context.Context) (Frame, error) {
	if err := ctx.Err(); err != nil {
		return Frame{}, err
	}
	n := max(s.N, 1)
	i := int(s.seq % uint64(n))
	s.seq++
	img, _ := synth.Scene(s.Seed, i, s.W, s.H)
	return Frame{Seq: s.seq, Capture: time.Now(), Image: img, Name: synth.FrameName(i)}, nil
}
