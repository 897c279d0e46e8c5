// Package tensordiff measures how far a tensor is from a reference:
// cosine similarity, SQNR, max abs error, MSE, and a histogram of errors.
// Accumulators add up over many tensors (images) before summarising.
package tensordiff

import "math"

// Acc accumulates the comparison of tensors with their references.
type Acc struct {
	dot, refSq, gotSq, errSq float64
	maxAbs                   float64
	n                        int
}

// Add compares got with ref (same length).
func (a *Acc) Add(got, ref []float32) {
	for i, r := range ref {
		g := float64(got[i])
		rf := float64(r)
		d := g - rf
		a.dot += g * rf
		a.refSq += rf * rf
		a.gotSq += g * g
		a.errSq += d * d
		if ad := math.Abs(d); ad > a.maxAbs {
			a.maxAbs = ad
		}
	}
	a.n += len(ref)
}

// Merge adds another accumulator.
func (a *Acc) Merge(b Acc) {
	a.dot += b.dot
	a.refSq += b.refSq
	a.gotSq += b.gotSq
	a.errSq += b.errSq
	a.maxAbs = math.Max(a.maxAbs, b.maxAbs)
	a.n += b.n
}

// Stats summarises an accumulator.
type Stats struct {
	Cosine float64 `json:"cosine"`
	SQNRdB float64 `json:"sqnr_db"` // +Inf (capped at 200) for an exact match
	MaxAbs float64 `json:"max_abs"`
	MSE    float64 `json:"mse"`
}

// Stats returns the summary. Cosine is 1 for two zero tensors.
func (a *Acc) Stats() Stats {
	s := Stats{MaxAbs: a.maxAbs, Cosine: 1, SQNRdB: 200}
	if a.n > 0 {
		s.MSE = a.errSq / float64(a.n)
	}
	if a.refSq > 0 && a.gotSq > 0 {
		s.Cosine = a.dot / math.Sqrt(a.refSq*a.gotSq)
	} else if a.refSq != a.gotSq {
		s.Cosine = 0
	}
	if a.errSq > 0 {
		s.SQNRdB = math.Min(200, 10*math.Log10(a.refSq/a.errSq))
	}
	return s
}

// Histogram counts errors got−ref in bins equal-width bins over
// [−limit, limit]; errors outside land in the end bins.
func Histogram(got, ref []float32, bins int, limit float64) []int {
	h := make([]int, bins)
	for i, r := range ref {
		d := float64(got[i] - r)
		b := int((d + limit) / (2 * limit) * float64(bins))
		h[max(0, min(bins-1, b))]++
	}
	return h
}
