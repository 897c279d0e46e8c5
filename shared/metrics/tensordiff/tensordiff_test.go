package tensordiff

import (
	"math"
	"testing"
)

func TestStats(t *testing.T) {
	tests := []struct {
		name     string
		got, ref []float32
		want     Stats
	}{
		{"identical", []float32{1, 2, 3}, []float32{1, 2, 3}, Stats{Cosine: 1, SQNRdB: 200}},
		{"scaled", []float32{2, 4}, []float32{1, 2}, Stats{Cosine: 1, SQNRdB: 0, MaxAbs: 2, MSE: 2.5}},
		{"orthogonal", []float32{0, 1}, []float32{1, 0}, Stats{Cosine: 0, SQNRdB: 10 * math.Log10(1.0/2), MaxAbs: 1, MSE: 1}},
		{"10% noise", []float32{1.1, 0.9}, []float32{1, 1}, Stats{Cosine: 0.99503719, SQNRdB: 20, MaxAbs: 0.1, MSE: 0.01}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var a Acc
			a.Add(tc.got, tc.ref)
			s := a.Stats()
			for _, c := range [][2]float64{{s.Cosine, tc.want.Cosine}, {s.SQNRdB, tc.want.SQNRdB}, {s.MaxAbs, tc.want.MaxAbs}, {s.MSE, tc.want.MSE}} {
				if math.Abs(c[0]-c[1]) > 1e-5 {
					t.Fatalf("stats %+v, want %+v", s, tc.want)
				}
			}
		})
	}
}

func TestHistogram(t *testing.T) {
	h := Histogram([]float32{0, 1, -5, 5}, []float32{0, 0, 0, 0}, 4, 2)
	if h[0] != 1 || h[1] != 0 || h[2] != 1 || h[3] != 2 { // errors 0 and 1 fall in bins 2 and 3; ±5 clamp to the ends
		t.Fatalf("histogram %v", h)
	}
}
