package board

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/nniescope/nniescope/firmware/internal/frame"
	"github.com/nniescope/nniescope/firmware/internal/server"
	"github.com/nniescope/nniescope/firmware/internal/source"
	"github.com/nniescope/nniescope/shared/recording"
	"github.com/nniescope/nniescope/shared/wire"
)

// maxConsecutiveErrors failed frames in a row and the loop gives up: a
// source or engine that fails on everything is broken, not unlucky.
const maxConsecutiveErrors = 50

// producer yields one frame's output at a time: an engine over a source,
// or a recording played back.
type producer interface {
	next(ctx context.Context) (name string, seq uint64, out frame.Output, err error)
}

// engineProducer runs frames of a source through an engine.
type engineProducer struct {
	src source.Source
	eng frame.Engine
}

func (p engineProducer) next(ctx context.Context) (string, uint64, frame.Output, error) {
	f, err := p.src.Next(ctx)
	if err != nil {
		return f.Name, f.Seq, frame.Output{}, err
	}
	if f.Release != nil { // a camera frame read in place: back once processed
		defer f.Release()
	}
	out, err := p.eng.Process(ctx, f)
	return f.Name, f.Seq, out, err
}

// frameLoop owns what every engine shares: pacing (--fps), broadcast,
// recording, live AP and errors. A frame that fails is logged at once
// naming its source, counted in /metrics and sent to viewers as an error
// message, and the loop goes on; an engine that cannot go on (a Fatal
// error, or maxConsecutiveErrors failures in a row) turns /healthz to 503
// with the reason and stops producing, while the board keeps serving. It
// returns when ctx ends.
func frameLoop(ctx context.Context, p producer, s *server.Server, rec *recorder, fps float64, live *liveAP, log io.Writer) error {
	var tick <-chan time.Time
	if fps > 0 {
		t := time.NewTicker(time.Duration(float64(time.Second) / fps))
		defer t.Stop()
		tick = t.C
	}
	failed := 0
	for {
		if tick != nil {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-tick:
			}
		}
		name, seq, out, err := p.next(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, source.ErrDone) {
			fmt.Fprintln(log, "nniescope-board: the source has no more frames")
			<-ctx.Done()
			return ctx.Err()
		}
		if err != nil {
			// A source with no frame in time (a camera not streaming yet)
			// is reported but counts toward no stop: it may come back.
			if !errors.Is(err, source.ErrNoFrame) {
				failed++
			}
			if frame.IsFatal(err) || failed >= maxConsecutiveErrors {
				reason := err.Error()
				if !frame.IsFatal(err) {
					reason = fmt.Sprintf("%d frames in a row failed, the last: %v", failed, err)
				}
				fmt.Fprintln(log, "nniescope-board: engine stopped:", reason)
				s.Fail(reason)
				s.Send(wire.AppendError(nil, &wire.Error{Header: wire.Header{Seq: seq, CaptureNs: time.Now().UnixNano(), Source: name}, Fatal: true, Text: reason}))
				<-ctx.Done()
				return ctx.Err()
			}
			what := name
			if what == "" {
				what = "the source"
			}
			fmt.Fprintf(log, "nniescope-board: frame %d (%s): %v\n", seq, what, err)
			s.FrameError(err)
			s.Send(wire.AppendError(nil, &wire.Error{Header: wire.Header{Seq: seq, CaptureNs: time.Now().UnixNano(), Source: name}, Text: err.Error()}))
			continue
		}
		failed = 0
		live.add(name, out.Dets)
		s.Broadcast(out.Msgs)
		if stopped := rec.write(out.Msgs); stopped != "" {
			fmt.Fprintln(log, "nniescope-board: recording", stopped)
		}
	}
}

// replayProducer plays a recording frame by frame (the messages that
// share a sequence number), looping; each loop renumbers the frames after
// the last, so the sequence never goes back. With fps 0 it keeps the
// recorded pace.
type replayProducer struct {
	r           *recording.Recording
	i           int
	offset      uint64 // added to recorded sequence numbers in this loop
	loops       uint32 // times the recording has wrapped
	last        uint64 // the last sequence number sent
	prevCapture int64
	paced       bool // the loop paces (--fps); do not sleep here
	started     bool
}

func (p *replayProducer) next(ctx context.Context) (string, uint64, frame.Output, error) {
	var out frame.Output
	var seq uint64
	var capture int64
	for {
		if p.i == p.r.Len() {
			p.i, p.offset = 0, max(p.last, seq)
			p.loops++
			if len(out.Msgs) > 0 {
				break
			}
		}
		m, err := p.r.Message(p.i)
		if err != nil {
			p.i++
			return fmt.Sprintf("message %d", p.i-1), 0, frame.Output{}, err
		}
		h, err := wire.PeekHeader(m)
		if err != nil {
			p.i++
			return fmt.Sprintf("message %d", p.i-1), 0, frame.Output{}, err
		}
		if len(out.Msgs) > 0 && h.Seq+p.offset != seq {
			break
		}
		seq, capture = h.Seq+p.offset, h.CaptureNs
		wire.SetSeq(m, seq)
		wire.StampLoop(m, p.loops)
		out.Msgs = append(out.Msgs, m)
		p.i++
	}
	if !p.paced && p.started {
		// The recorded pace; 25 fps where the recording does not say
		// (capture times missing, going back at a loop, or gaps over 5 s):
		// a replay never runs flat out.
		wait := time.Duration(capture - p.prevCapture)
		if p.prevCapture == 0 || wait <= 0 || wait > 5*time.Second {
			wait = 40 * time.Millisecond
		}
		select {
		case <-ctx.Done():
			return "", 0, frame.Output{}, ctx.Err()
		case <-time.After(wait):
		}
	}
	p.prevCapture, p.last, p.started = capture, seq, true
	return "recording", seq, out, nil
}
