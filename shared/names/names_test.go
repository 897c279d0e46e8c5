package names

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
		err      string
	}{
		{"ultralytics dict", "{0: 'person', 1: 'bicycle', 2: 'traffic light'}", []string{"person", "bicycle", "traffic light"}, ""},
		{"dict out of order", "{1: 'b', 0: 'a'}", []string{"a", "b"}, ""},
		{"double quotes and escapes", `{0: "it's", 1: 'a\'b', 2: "c\\d"}`, []string{"it's", "a'b", `c\d`}, ""},
		{"trailing comma", "{0: 'a',}", []string{"a"}, ""},
		{"list", "['a', 'b']", []string{"a", "b"}, ""},
		{"json list", `["a","b"]`, []string{"a", "b"}, ""},
		{"empty dict", "{}", []string{}, ""},
		{"gap in ids", "{0: 'a', 2: 'c'}", nil, "not 0..1"},
		{"duplicate id", "{0: 'a', 0: 'b'}", nil, "twice"},
		{"no colon", "{0 'a'}", nil, "want ':'"},
		{"unquoted", "{0: person}", nil, "quoted"},
		{"unterminated", "{0: 'person}", nil, "unterminated"},
		{"garbage after", "['a'] x", nil, "after the names"},
		{"not a dict", "person, car", nil, "want {id"},
		{"huge id", "{9999999: 'a'}", nil, "class id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Parse(%q) = %q, %v; want an error mentioning %q", tc.in, got, err, tc.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Parse(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
			if back, err := Parse(Format(got)); err != nil || !reflect.DeepEqual(back, got) {
				t.Fatalf("Format round trip: %q %v", back, err)
			}
		})
	}
}

func TestLoadAndLabel(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(s), 0o644)
		return p
	}
	got, err := Load(write("coco.names", "person\r\nbicycle\n car \n\n"))
	if err != nil || !reflect.DeepEqual(got, []string{"person", "bicycle", "car"}) {
		t.Fatalf("Load: %q %v", got, err)
	}
	if _, err := Load(write("gap.names", "a\n\nb\n")); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("a blank line inside: %v", err)
	}
	if _, err := Load(write("empty.names", "\n")); err == nil {
		t.Fatal("an empty file accepted")
	}
	if _, err := Load(filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("a missing file: %v", err)
	}
	if Label(got, 2) != "car" || Label(got, 3) != "3" || Label(nil, 0) != "0" || Label(got, -1) != "-1" {
		t.Fatal("Label")
	}
	if Check(got, 3) != nil || Check(got, 80) == nil || Check(nil, 80) != nil {
		t.Fatal("Check")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"{0: 'person', 1: 'bicycle'}", `["a","b"]`, "{1: 'b', 0: 'a',}", `{0: "a\'b"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := Parse(s)
		if err != nil {
			return
		}
		if back, err := Parse(Format(n)); err != nil || !reflect.DeepEqual(back, n) {
			t.Fatalf("%q parsed as %q does not round-trip: %q %v", s, n, back, err)
		}
	})
}
