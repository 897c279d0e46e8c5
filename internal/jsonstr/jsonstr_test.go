package jsonstr

import (
	"encoding/json"
	"testing"
)

func TestAppendRoundTrips(t *testing.T) {
	for _, s := range []string{"", "output0", `a"b\c`, "tab\there\nnl\x01", "päd ✓", "/model.22/Mul_2"} {
		b := Append(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil || got != s {
			t.Errorf("%q: wrote %s, reads back %q (%v)", s, b, got, err)
		}
	}
}
