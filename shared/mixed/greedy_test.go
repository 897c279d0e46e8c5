package mixed

import (
	"strings"
	"testing"
)

// A synthetic AP landscape where the culprit is known by construction:
// layer "culprit" costs 5 AP in 8-bit, "minor" 0.3, "noise" 0 (and helps
// nothing), "decoy" ranks high on the proxy but 16-bit does not help it.
func landscape(evals *int) func([]string) (float64, error) {
	return func(layers []string) (float64, error) {
		*evals++
		ap := 0.40 - 0.05 - 0.003
		pair := 0
		for _, l := range layers {
			switch l {
			case "culprit":
				ap += 0.05
			case "minor":
				ap += 0.003
			case "a", "b":
				pair++
			}
		}
		if pair == 2 {
			ap += 0.05
		}
		return ap, nil
	}
}

func flatLatency(layers []string) float64 { return 3.4 + 0.1*float64(len(layers)) }

func TestGreedy(t *testing.T) {
	tests := []struct {
		name      string
		ranked    []string
		target    float64
		budget    float64
		wantSet   string
		wantReach bool
	}{
		{"culprit first", []string{"culprit", "minor", "noise"}, 0.395, 0, "culprit", true},
		{"decoy skipped", []string{"decoy", "culprit", "minor"}, 0.395, 0, "culprit", true},
		{"needs two", []string{"minor", "culprit", "noise"}, 0.399, 0, "minor,culprit", true},
		{"step back drops the early redundant pick", []string{"minor", "culprit"}, 0.396, 0, "culprit", true},
		{"unreachable returns best", []string{"culprit", "minor", "noise"}, 0.45, 0, "culprit,minor", false},
		{"budget allows one", []string{"culprit", "minor"}, 0.399, 3.55, "culprit", false},
		{"budget allows none", []string{"culprit"}, 0.395, 3.45, "", false},
		// "a" and "b" help only together: one at a time finds nothing,
		// the block of the top two reaches, and step-back keeps both.
		{"a pair that only helps together", []string{"a", "b", "noise", "minor"}, 0.395, 0, "a,b", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := 0
			memo := map[string]float64{}
			eval := landscape(&n)
			cached := func(ls []string) (float64, error) {
				k := key(ls)
				if v, ok := memo[k]; ok {
					return v, nil
				}
				v, err := eval(ls)
				memo[k] = v
				return v, err
			}
			got, err := greedy(tc.ranked, tc.target, 8, tc.budget, cached, flatLatency)
			if err != nil {
				t.Fatal(err)
			}
			if s := strings.Join(got.Layers, ","); s != tc.wantSet || (got.AP >= tc.target) != tc.wantReach {
				t.Fatalf("layers %q AP %.3f (target %.3f), want %q reached=%v", s, got.AP, tc.target, tc.wantSet, tc.wantReach)
			}
			if n > len(tc.ranked)+3 {
				t.Fatalf("%d evaluations for %d candidates", n, len(tc.ranked))
			}
		})
	}
}

func TestBoxDamage(t *testing.T) {
	// Two anchors, one class: anchor 0 confident, anchor 1 not.
	ref := []float32{10, 50, 10, 10, 20, 20, 20, 20, 0.9, 0.1}
	same := append([]float32(nil), ref...)
	if d := boxDamage(ref, same, 5, 2); d != 0 {
		t.Fatalf("identical outputs: damage %v", d)
	}
	moved := append([]float32(nil), ref...)
	moved[0] = 12 // cx of the confident anchor moves 2 px on a 20 px box
	if d := boxDamage(ref, moved, 5, 2); d < 0.15 || d > 0.2 {
		t.Fatalf("2 px shift on a 20 px box: damage %v, want 1 − 18·20/(22·20) ≈ 0.18", d)
	}
	other := append([]float32(nil), ref...)
	other[1] = 99 // the unconfident anchor does not count
	if d := boxDamage(ref, other, 5, 2); d != 0 {
		t.Fatalf("unconfident anchor counted: %v", d)
	}
}
