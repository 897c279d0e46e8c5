package board

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/nniescope/nniescope/firmware/internal/frame"
	"github.com/nniescope/nniescope/firmware/internal/server"
	"github.com/nniescope/nniescope/firmware/internal/source"
	"github.com/nniescope/nniescope/internal/demoframes"
	"github.com/nniescope/nniescope/shared/recording"
	"github.com/nniescope/nniescope/shared/wire"
)

// readUntil reads stream messages until want accepts one, failing after a
// generous bound.
func readUntil(t *testing.T, c *websocket.Conn, what string, want func(h wire.Header, msg []byte) bool) []byte {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(60 * time.Second))
	for {
		_, msg, err := c.ReadMessage()
		if err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		h, err := wire.PeekHeader(msg)
		if err != nil {
			t.Fatalf("malformed message while waiting for %s: %v", what, err)
		}
		if want(h, msg) {
			return msg
		}
	}
}

func postPNG(t *testing.T, addr string, img image.Image) int {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post("http://"+addr+"/api/frame", "image/png", &b)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("%s: %v", url, err)
	}
	return resp.StatusCode
}

// TestBadUploadDoesNotStopTheStream: the board in sim mode, fed a good
// upload, then one whose preview cannot be encoded (1×65536: JPEG's limit
// is 65535), then a good one: viewers get the first frame, an error event
// naming the upload, and the third frame; /metrics counts the error and
// /healthz stays ok. The loop's error used to stop the stream silently.
func TestBadUploadDoesNotStopTheStream(t *testing.T) {
	addr, cancel, done := start(t, "--model", demoframes.ModelFile(t), "--variant", "float", "--source", "upload")
	defer func() { cancel(); <-done }()
	c, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	good, _ := demoframes.Scene(0)
	isResult := func(h wire.Header, _ []byte) bool { return h.Kind == wire.KindResult }
	if code := postPNG(t, addr, good); code != http.StatusAccepted {
		t.Fatalf("good upload: %d", code)
	}
	readUntil(t, c, "the first frame's result", isResult)
	if code := postPNG(t, addr, image.NewGray(image.Rect(0, 0, 1, 65536))); code != http.StatusAccepted {
		t.Fatalf("the 1x65536 upload: %d (it decodes; its preview fails later)", code)
	}
	msg := readUntil(t, c, "the error event", func(h wire.Header, _ []byte) bool { return h.Kind == wire.KindError })
	ev, err := wire.DecodeError(msg)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Fatal || ev.Source != "upload" || !strings.Contains(ev.Text, "too large") {
		t.Fatalf("error event %+v: want a non-fatal error naming the upload", ev)
	}
	if code := postPNG(t, addr, good); code != http.StatusAccepted {
		t.Fatalf("good upload after the bad one: %d", code)
	}
	readUntil(t, c, "the third frame's result", isResult)
	var m struct {
		FrameErrors uint64 `json:"frame_errors"`
		LastError   string `json:"last_error"`
	}
	getJSON(t, "http://"+addr+"/metrics", &m)
	if m.FrameErrors != 1 || !strings.Contains(m.LastError, "too large") {
		t.Errorf("/metrics %+v: want one frame error with its reason", m)
	}
	var h map[string]string
	if code := getJSON(t, "http://"+addr+"/healthz", &h); code != 200 {
		t.Errorf("/healthz %d %v after a bad frame", code, h)
	}
}

// fakeProducer fails (or succeeds) as told, then waits for the context.
type fakeProducer struct {
	mu    sync.Mutex
	errs  []error // returned in order; nil means a good frame
	calls int
}

func (p *fakeProducer) next(ctx context.Context) (string, uint64, frame.Output, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	if len(p.errs) == 0 {
		return "f", uint64(p.calls), frame.Output{Msgs: [][]byte{wire.AppendImage(nil, &wire.Image{Header: wire.Header{Seq: uint64(p.calls)}, MIME: "image/jpeg"})}}, nil
	}
	err := p.errs[0]
	p.errs = p.errs[1:]
	return "f", uint64(p.calls), frame.Output{}, err
}

// TestFrameLoopEngineFailure: a Fatal engine error, or maxConsecutiveErrors
// failed frames in a row, stop the frames: /healthz turns 503 with the
// reason, viewers get a fatal error event, and the server keeps serving.
// Fewer failures in a row are only counted.
func TestFrameLoopEngineFailure(t *testing.T) {
	many := make([]error, maxConsecutiveErrors)
	for i := range many {
		many[i] = errors.New("decode failed")
	}
	noFrames := make([]error, 2*maxConsecutiveErrors)
	for i := range noFrames {
		noFrames[i] = fmt.Errorf("vpss:0:1: %w: no frame in 1s", source.ErrNoFrame)
	}
	for _, tc := range []struct {
		name  string
		errs  []error
		want  string
		fatal bool
	}{
		{"fatal engine error", []error{frame.Fatal(errors.New("svp: runtime gone"))}, "svp: runtime gone", true},
		{"every frame fails", many, "50 frames in a row failed", true},
		{"some frames fail", append(append([]error(nil), many[:maxConsecutiveErrors-1]...), nil), "", false},
		// A camera with no frames for longer than 50 tries is not an engine
		// failure: when frames come, they stream.
		{"the camera is late", noFrames, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := server.New(server.Config{})
			p := &fakeProducer{errs: tc.errs}
			ctx, cancel := context.WithCancel(context.Background())
			var log syncBuffer
			done := make(chan error, 1)
			go func() { done <- frameLoop(ctx, p, s, &recorder{}, 0, nil, &log) }()
			h := s.Handler()
			deadline := time.Now().Add(60 * time.Second)
			for {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://127.0.0.1/healthz", nil))
				p.mu.Lock()
				calls := p.calls
				p.mu.Unlock()
				if tc.fatal && rec.Code == http.StatusServiceUnavailable {
					if !strings.Contains(rec.Body.String(), tc.want) || !strings.Contains(log.String(), "engine stopped: ") {
						t.Fatalf("/healthz %s, log %q: want the reason", rec.Body, log.String())
					}
					break
				}
				if !tc.fatal && calls > len(tc.errs)+5 {
					if rec.Code != 200 {
						t.Fatalf("/healthz %d after %d failures and good frames", rec.Code, len(tc.errs))
					}
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("no outcome: /healthz %d, %d calls", rec.Code, calls)
				}
				time.Sleep(5 * time.Millisecond)
			}
			if tc.fatal {
				// No more frames are asked for after the engine stopped.
				p.mu.Lock()
				calls := p.calls
				p.mu.Unlock()
				if calls != len(tc.errs) {
					t.Errorf("%d frames asked for, want %d", calls, len(tc.errs))
				}
			}
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Errorf("loop returned %v", err)
			}
		})
	}
}

// TestRecorderLimitAndFailedWrites: a recording stops by itself at its
// size limit, or when a write fails (a full disk: /dev/full), with the
// reason in its status; the file written up to the limit stays readable.
func TestRecorderLimitAndFailedWrites(t *testing.T) {
	msg := wire.AppendImage(nil, &wire.Image{Header: wire.Header{Seq: 1}, MIME: "image/jpeg", Data: make([]byte, 100<<10)})
	r := &recorder{dir: t.TempDir(), maxBytes: 1 << 20}
	path, err := r.toggle(true)
	if err != nil {
		t.Fatal(err)
	}
	var stopped string
	n := 0
	for stopped == "" && n < 100 {
		stopped = r.write([][]byte{msg})
		n++
	}
	if !strings.Contains(stopped, "--record-max-mb limit (1 MB)") {
		t.Fatalf("after %d messages: %q, want the limit", n, stopped)
	}
	st := r.state()["recording"].(map[string]any)
	if st["active"] != false || !strings.Contains(st["status"].(string), "limit") {
		t.Errorf("state %+v", st)
	}
	rec, err := recording.Open(path)
	if err != nil || rec.Len() != n-1 {
		t.Fatalf("the recording up to the limit: %v, %d messages (want %d)", err, rec.Len(), n-1)
	}
	rec.Close()
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full on this system")
	}
	w, err := recording.Create("/dev/full")
	if err != nil {
		t.Fatal(err)
	}
	r = &recorder{w: w, path: "/dev/full"}
	stopped = ""
	for i := 0; stopped == "" && i < 100; i++ { // the 1 MiB write buffer fills, then the disk is full
		stopped = r.write([][]byte{msg})
	}
	if !strings.Contains(stopped, "write failed") || !strings.Contains(stopped, "no space left") {
		t.Fatalf("writing to a full disk: %q", stopped)
	}
	if r.write([][]byte{msg}) != "" || r.state()["recording"].(map[string]any)["active"] != false {
		t.Error("the recorder goes on after a failed write")
	}
}

// TestReplayRecordsAndNeverGoesBack: the replay engine feeds the one loop,
// so /api/record records it (it wrote a 20-byte file), and a looping
// recording keeps numbering frames forward.
func TestReplayRecordsAndNeverGoesBack(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src.nsw")
	w, err := recording.Create(src)
	if err != nil {
		t.Fatal(err)
	}
	for seq := uint64(1); seq <= 3; seq++ {
		w.Write(wire.AppendImage(nil, &wire.Image{Header: wire.Header{Seq: seq, CaptureNs: int64(seq) * 1e6}, MIME: "image/jpeg", Data: []byte{1}}))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := openReplay(src)
	if err != nil {
		t.Fatal(err)
	}
	p := &replayProducer{r: r, paced: true}
	var last uint64
	for i := range 10 {
		_, seq, out, err := p.next(context.Background())
		if err != nil || len(out.Msgs) != 1 {
			t.Fatalf("frame %d: %v, %d messages", i, err, len(out.Msgs))
		}
		h, _ := wire.PeekHeader(out.Msgs[0])
		if seq <= last || h.Seq != seq {
			t.Fatalf("frame %d: seq %d (message says %d) after %d", i, seq, h.Seq, last)
		}
		last = seq
	}
	r.Close()

	dir := t.TempDir()
	addr, cancel, done := start(t, "--engine", "replay", "--recording", src, "--record-dir", dir, "--fps", "50")
	defer func() { cancel(); <-done }()
	resp, err := http.Post("http://"+addr+"/api/record?action=start", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var started struct{ Path string }
	json.NewDecoder(resp.Body).Decode(&started)
	resp.Body.Close()
	var m struct {
		Recording struct {
			Bytes int64 `json:"bytes"`
		} `json:"recording"`
	}
	for deadline := time.Now().Add(60 * time.Second); m.Recording.Bytes < 200; {
		getJSON(t, "http://"+addr+"/metrics", &m)
		if time.Now().After(deadline) {
			t.Fatalf("recording the replay: %d bytes after 60 s", m.Recording.Bytes)
		}
		time.Sleep(20 * time.Millisecond)
	}
	resp, err = http.Post("http://"+addr+"/api/record?action=stop", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	got, err := recording.Open(started.Path)
	if err != nil || got.Len() < 3 {
		t.Fatalf("recording of the replay %s: %v (%d messages)", started.Path, err, got.Len())
	}
	got.Close()
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestReplayWithoutCaptureTimesIsPaced: a recording whose messages carry
// no capture time replays at 25 fps, not flat out (it spun a core). A
// lower bound on the time taken, so a busy machine cannot break it.
func TestReplayWithoutCaptureTimesIsPaced(t *testing.T) {
	src := filepath.Join(t.TempDir(), "nocapture.nsw")
	w, err := recording.Create(src)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(wire.AppendImage(nil, &wire.Image{Header: wire.Header{Seq: 1}, MIME: "image/jpeg", Data: []byte{1}}))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := openReplay(src)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	p := &replayProducer{r: r}
	start := time.Now()
	for range 6 {
		if _, _, _, err := p.next(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d < 5*40*time.Millisecond {
		t.Fatalf("6 frames in %v: want at least 200 ms at 25 fps", d)
	}
}

// TestNoLiveAPSaysWhy: a dir source without labels streams, and the board
// says at start why it shows no live AP (the reason was dropped).
func TestNoLiveAPSaysWhy(t *testing.T) {
	dir := t.TempDir()
	img, _ := demoframes.Scene(0)
	os.MkdirAll(filepath.Join(dir, "images"), 0o755)
	f, err := os.Create(filepath.Join(dir, "images", "a.png"))
	if err != nil {
		t.Fatal(err)
	}
	png.Encode(f, img)
	f.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var logs syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, []string{"--listen", "127.0.0.1:0", "--model", demoframes.ModelFile(t), "--variant", "float", "--source", "dir:" + dir}, &logs, func(net.Addr) { cancel() })
	}()
	if err := <-done; err != nil {
		t.Fatalf("board: %v", err)
	}
	if !strings.Contains(logs.String(), "no live AP: dataset: no ground truth") {
		t.Fatalf("logs %q: want why there is no live AP", logs.String())
	}
}

// heldSource yields frames that must be given back (a camera read in
// place), counting what is still held.
type heldSource struct{ held, seq int }

func (s *heldSource) Next(context.Context) (source.Frame, error) {
	s.held++
	s.seq++
	released := false
	return source.Frame{Seq: uint64(s.seq), Image: image.NewGray(image.Rect(0, 0, 2, 2)), Release: func() {
		if !released {
			released = true
			s.held--
		}
	}}, nil
}

// failOdd fails every other frame and checks the frame is still held
// while it is processed.
type failOdd struct {
	src *heldSource
	bad int
}

func (e *failOdd) Process(_ context.Context, f source.Frame) (frame.Output, error) {
	if e.src.held != 1 {
		e.bad++
	}
	if f.Seq%2 == 1 {
		return frame.Output{}, errors.New("engine failed")
	}
	return frame.Output{}, nil
}

// A frame read in place is held while the engine processes it and given
// back after, whether the engine succeeded or failed.
func TestFramesAreReleasedOnEveryPath(t *testing.T) {
	src := &heldSource{}
	eng := &failOdd{src: src}
	p := engineProducer{src: src, eng: eng}
	for i := range 6 {
		_, _, _, err := p.next(context.Background())
		if (err != nil) != (i%2 == 0) {
			t.Fatalf("frame %d: %v", i+1, err)
		}
		if src.held != 0 {
			t.Fatalf("after frame %d (error %v): %d frames still held", i+1, err, src.held)
		}
	}
	if eng.bad != 0 {
		t.Fatalf("%d frames were released before the engine was done", eng.bad)
	}
}
