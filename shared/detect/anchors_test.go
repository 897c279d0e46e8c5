package detect_test

import (
	"strings"
	"testing"

	"github.com/nniescope/nniescope/shared/detect"
)

func TestParseAnchors(t *testing.T) {
	v7 := "10,13,16,30,33,23;30,61,62,45,59,119;116,90,156,198,373,326"
	for _, tc := range []struct {
		name, in, want, err string
	}{
		{"yaml", "[[10,13, 16,30, 33,23], [30,61, 62,45, 59,119], [116,90, 156,198, 373,326]]", v7, ""},
		{"semicolons", v7, v7, ""},
		{"spaces", " 10 13 16 30 ; 30 61 62 45 ", "10,13,16,30;30,61,62,45", ""},
		{"fractions", "[[1.5,2.25]]", "1.5,2.25", ""},
		{"odd count", "10,13,16", "", "w,h pairs"},
		{"negative", "10,-13", "", "positive"},
		{"zero", "0,13", "", "positive"},
		{"not a number", "10,x", "", "positive number"},
		{"infinite", "10,inf", "", "positive"},
		{"unequal levels", "10,13,16,30;30,61", "", "same number"},
		{"empty", "", "", "w,h pairs"},
		{"empty level", "10,13;", "", "w,h pairs"},
		{"unclosed", "[[10,13]", "", "want"},
		{"too many levels", strings.Repeat("1,1;", 8) + "1,1", "", "levels"},
		// A 12 MB value was echoed whole into the error line.
		{"a huge value is quoted cut short", "[" + strings.Repeat("x", 1<<20), "", "… (1048577 bytes)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := detect.ParseAnchors(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || len(err.Error()) > 400 {
					t.Fatalf("detect.ParseAnchors(%.100q) = %v, %.400v; want an error of at most 400 bytes mentioning %q", tc.in, a, err, tc.err)
				}
				return
			}
			if err != nil || a.String() != tc.want {
				t.Fatalf("detect.ParseAnchors(%q) = %q, %v; want %q", tc.in, a, err, tc.want)
			}
			if b, err := detect.ParseAnchors(a.String()); err != nil || b.String() != a.String() {
				t.Fatalf("round trip %q: %q, %v", a, b, err)
			}
		})
	}
}
