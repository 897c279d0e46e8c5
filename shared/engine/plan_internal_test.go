package engine

import (
	"testing"

	"github.com/nniescope/nniescope/internal/demomodel"
	"github.com/nniescope/nniescope/internal/testassets"
	"github.com/nniescope/nniescope/shared/onnx"
	"github.com/nniescope/nniescope/shared/tensor"
)

// TestPlanSharesOnlyDisjointLives: in both step lists, two values whose
// lives overlap never share arena memory, and the arena is within 25% of
// the floor no plan can beat (the most memory live at any one step; on
// yolov8n the plan meets it). Pooling whole buffers by last use needed
// twice the floor on yolov8n.
func TestPlanSharesOnlyDisjointLives(t *testing.T) {
	for _, tc := range []struct {
		name  string
		model func(t *testing.T) *onnx.Model
	}{
		{"demo", func(t *testing.T) *onnx.Model {
			m, err := onnx.Decode(demomodel.ONNX, "demo.onnx")
			if err != nil {
				t.Fatal(err)
			}
			return m
		}},
		{"yolov8n-512x288", func(t *testing.T) *onnx.Model {
			m, err := onnx.Load(testassets.Path(t, "models", "yolov8n-512x288.onnx"))
			if err != nil {
				t.Fatal(err)
			}
			return m
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Compile(tc.model(t), Options{Threads: 1})
			if err != nil {
				t.Fatal(err)
			}
			p.lower()
			for _, l := range []*layout{&p.plain, &p.fast} {
				from, to := lives(p, l.steps)
				var ids []int
				for id, off := range l.offset {
					if off >= 0 {
						ids = append(ids, id)
					}
				}
				size := func(id int) int { return tensor.Volume(p.values[id].shape) }
				for i, a := range ids {
					if l.offset[a]+size(a) > l.arena {
						t.Fatalf("%s ends past the arena", p.values[a].name)
					}
					for _, b := range ids[i+1:] {
						timeOverlap := from[a] <= to[b] && from[b] <= to[a]
						memOverlap := l.offset[a] < l.offset[b]+size(b) && l.offset[b] < l.offset[a]+size(a)
						if timeOverlap && memOverlap {
							t.Fatalf("%s and %s are live together and share memory", p.values[a].name, p.values[b].name)
						}
					}
				}
				floor := 0
				for si := range l.steps {
					live := 0
					for _, id := range ids {
						if from[id] <= si && si <= to[id] {
							live += size(id)
						}
					}
					floor = max(floor, live)
				}
				if float64(l.arena) > 1.25*float64(floor) {
					t.Errorf("%d steps: arena %.2f MB, floor %.2f MB", len(l.steps), float64(l.arena)*4/1e6, float64(floor)*4/1e6)
				}
				t.Logf("%d steps: arena %.2f MB, floor %.2f MB", len(l.steps), float64(l.arena)*4/1e6, float64(floor)*4/1e6)
			}
		})
	}
}

// lives is, per value a step list computes, the step that writes it and
// its last reader (len(steps) for program outputs), computed here apart
// from plan.
func lives(p *Program, steps []step) (from, to map[int]int) {
	from, to = map[int]int{}, map[int]int{}
	for si, s := range steps {
		for _, id := range s.out {
			from[id], to[id] = si, si
		}
		for _, id := range s.in {
			if _, ok := from[id]; ok {
				to[id] = si
			}
		}
	}
	for _, id := range p.outputs {
		if _, ok := from[id]; ok {
			to[id] = len(steps)
		}
	}
	return from, to
}
