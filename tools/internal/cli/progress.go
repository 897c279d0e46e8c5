package cli

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progress draws a one-line bar with an ETA on stderr when stderr is a
// terminal, and otherwise (a file, a CI log) prints a plain line every
// 10 seconds: carriage-return redraws in a file are thousands of lines'
// worth of bytes on one line.
type progress struct {
	w     io.Writer
	tty   bool
	label string
	total int
	start time.Time
	last  time.Time
	done  int // the last count drawn or seen
}

func newProgress(w io.Writer, label string, total int) *progress {
	return &progress{w: w, tty: terminal(w), label: label, total: total, start: time.Now()}
}

// plainEvery is how often a progress line is printed off a terminal.
const plainEvery = 10 * time.Second

func (p *progress) update(done int) {
	p.done = done
	now := time.Now()
	if !p.tty {
		p.plain(done, now)
		return
	}
	if done < p.total && now.Sub(p.last) < 200*time.Millisecond {
		return
	}
	p.last = now
	const width = 24
	fill := width * done / max(p.total, 1)
	eta := "?"
	if done > 0 {
		left := time.Duration(float64(now.Sub(p.start)) / float64(done) * float64(p.total-done))
		eta = left.Round(time.Second).String()
	}
	fmt.Fprintf(p.w, "\r%-18s [%s%s] %d/%d ETA %s   ", p.label, strings.Repeat("=", fill), strings.Repeat(" ", width-fill), done, p.total, eta)
	if done >= p.total {
		fmt.Fprintf(p.w, "\r%-18s done: %d in %s%s\n", p.label, p.total, now.Sub(p.start).Round(100*time.Millisecond), strings.Repeat(" ", 30))
	}
}

// plain prints a whole line at the start of the run's first 10 seconds,
// every 10 seconds after, and when done.
func (p *progress) plain(done int, now time.Time) {
	switch {
	case done >= p.total:
		fmt.Fprintf(p.w, "%-18s done: %d in %s\n", p.label, p.total, now.Sub(p.start).Round(100*time.Millisecond))
	case now.Sub(p.last) >= plainEvery && done > 0:
		p.last = now
		left := time.Duration(float64(now.Sub(p.start)) / float64(done) * float64(p.total-done))
		fmt.Fprintf(p.w, "%-18s %d/%d, ETA %s\n", p.label, done, p.total, left.Round(time.Second))
	case p.last.IsZero():
		p.last = now
	}
}
