package errfmt

import (
	"errors"
	"fmt"
	"testing"
)

type named int

func (n named) String() string { return "named" }

// TestMatchesFmt holds the subset to fmt's output for the verbs used.
func TestMatchesFmt(t *testing.T) {
	base := errors.New("base")
	tests := []struct {
		format string
		args   []any
	}{
		{"%w: rank %d, want 1..4", []any{base, 5}},
		{"shape %v needs %d values, have %d", []any{[]int{1, 3, 288, 512}, 442368, 7}},
		{"scale %v / offset %v", []any{float32(0.1), float32(-128)}},
		{"magic %#x, version %d", []any{uint32(0x5050534e), uint32(2)}},
		{"%s%s and %v", []any{"a", named(3), 2.5}},
		{"100%% %d", []any{int64(-3)}},
	}
	for _, tc := range tests {
		want := fmt.Errorf(tc.format, tc.args...).Error()
		if got := Sprintf(tc.format, tc.args...); got != want {
			t.Errorf("Sprintf(%q) = %q, fmt gives %q", tc.format, got, want)
		}
	}
	err := Errorf("tensor %d: %w", 2, base)
	if !errors.Is(err, base) || err.Error() != "tensor 2: base" {
		t.Fatalf("Errorf: %v, wraps base: %v", err, errors.Is(err, base))
	}
}
