package cli

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progress draws a one-line bar with an ETA on stderr.
type progress struct {
	w     io.Writer
	label string
	total int
	start time.Time
	last  time.Time
	done  int // the last count drawn or seen
}

func newProgress(w io.Writer, label string, total int) *progress {
	return &progress{w: w, label: label, total: total, start: time.Now()}
}

func (p *progress) update(done int) {
	p.done = done
	now := time.Now()
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
