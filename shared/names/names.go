// Package names reads the class names of a model: from its metadata, as
// Ultralytics exports write them (names = "{0: 'person', 1: 'bicycle',
// ...}", a Python dict literal), or from a file the user gives (one name
// per line, as Darknet's coco.names).
package names

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Key is the metadata key Ultralytics exports use, and what WithFile
// writes.
const Key = "names"

// maxNames bounds a names list: far beyond any detector's class count.
const maxNames = 100000

// FromMetadata returns the names in meta[Key], or nil when there are none.
func FromMetadata(meta map[string]string) ([]string, error) {
	s, ok := meta[Key]
	if !ok {
		return nil, nil
	}
	n, err := Parse(s)
	if err != nil {
		return nil, fmt.Errorf("metadata %q: %w", Key, err)
	}
	return n, nil
}

// Parse reads a dict of class id to name ({0: 'person', 1: "car"}, ids
// 0..n-1 each once, in any order) or a list (['person', 'car'], or JSON's
// ["person","car"]).
func Parse(s string) ([]string, error) {
	p := &parser{s: s}
	p.space()
	var out []string
	switch {
	case p.eat('{'):
		byID := map[int]string{}
		for p.space(); !p.eat('}'); p.space() {
			id, err := p.int()
			if err != nil {
				return nil, err
			}
			if p.space(); !p.eat(':') {
				return nil, p.errorf("want ':' after class id %d", id)
			}
			p.space()
			name, err := p.str()
			if err != nil {
				return nil, err
			}
			if _, dup := byID[id]; dup {
				return nil, p.errorf("class id %d appears twice", id)
			}
			if id < 0 || id >= maxNames {
				return nil, p.errorf("class id %d out of range", id)
			}
			byID[id] = name
			if p.space(); !p.eat(',') {
				if p.space(); !p.eat('}') {
					return nil, p.errorf("want ',' or '}'")
				}
				break
			}
		}
		out = make([]string, len(byID))
		for id, name := range byID {
			if id >= len(out) {
				return nil, fmt.Errorf("names: class ids are not 0..%d (id %d)", len(byID)-1, id)
			}
			out[id] = name
		}
	case p.eat('['):
		out = []string{}
		for p.space(); !p.eat(']'); p.space() {
			name, err := p.str()
			if err != nil {
				return nil, err
			}
			if out = append(out, name); len(out) > maxNames {
				return nil, p.errorf("more than %d names", maxNames)
			}
			if p.space(); !p.eat(',') {
				if p.space(); !p.eat(']') {
					return nil, p.errorf("want ',' or ']'")
				}
				break
			}
		}
	default:
		return nil, p.errorf("want {id: 'name', ...} or ['name', ...]")
	}
	if p.space(); p.i != len(s) {
		return nil, p.errorf("unexpected text after the names")
	}
	return out, nil
}

// Load reads a names file: one name per line, line i naming class i;
// trailing blank lines and carriage returns are ignored.
func Load(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("names: %w", err)
	}
	lines := strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n")
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("names: %s: no names (want one per line)", path)
	}
	if len(lines) > maxNames {
		return nil, fmt.Errorf("names: %s: %d lines, more than %d names", path, len(lines), maxNames)
	}
	for i, l := range lines {
		if lines[i] = strings.TrimSpace(l); lines[i] == "" {
			return nil, fmt.Errorf("names: %s: line %d is blank (line i names class i-1)", path, i+1)
		}
	}
	return lines, nil
}

// Check says whether names fit a model scoring classes classes.
func Check(names []string, classes int) error {
	if names != nil && len(names) != classes {
		return fmt.Errorf("names: %d names for a model of %d classes", len(names), classes)
	}
	return nil
}

// Format writes names as a list, quotes and backslashes escaped: the form
// stored in a model's metadata for --names (Parse reads it back exactly;
// for names without control characters it is also JSON).
func Format(names []string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		for k := 0; k < len(n); k++ {
			if n[k] == '"' || n[k] == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(n[k])
		}
		b.WriteByte('"')
	}
	b.WriteByte(']')
	return b.String()
}

// Label is class id's name, or the id when names do not cover it.
func Label(names []string, id int) string {
	if id >= 0 && id < len(names) {
		return names[id]
	}
	return strconv.Itoa(id)
}

type parser struct {
	s string
	i int
}

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("names: at byte %d: %s", p.i, fmt.Sprintf(format, args...))
}

func (p *parser) space() {
	for p.i < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.i]) >= 0 {
		p.i++
	}
}

func (p *parser) eat(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *parser) int() (int, error) {
	j := p.i
	for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
		j++
	}
	if j == p.i || j-p.i > 6 {
		return 0, p.errorf("want a class id")
	}
	v, _ := strconv.Atoi(p.s[p.i:j])
	p.i = j
	return v, nil
}

// str reads a quoted string, '...' or "...", with backslash escapes of
// the quote and the backslash (what Python's repr and JSON write for
// class names).
func (p *parser) str() (string, error) {
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", p.errorf("want a quoted name")
	}
	q := p.s[p.i]
	p.i++
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		p.i++
		switch {
		case c == q:
			return b.String(), nil
		case c == '\\' && p.i < len(p.s):
			b.WriteByte(p.s[p.i])
			p.i++
		default:
			b.WriteByte(c)
		}
	}
	return "", p.errorf("unterminated name")
}

// Apply returns meta with the names of file (Load's format) under Key,
// overriding the model's own; "" returns meta. meta is not modified.
func Apply(meta map[string]string, file string) (map[string]string, error) {
	if file == "" {
		return meta, nil
	}
	n, err := Load(file)
	if err != nil {
		return nil, fmt.Errorf("--names: %w", err)
	}
	out := map[string]string{Key: Format(n)}
	for k, v := range meta {
		if k != Key {
			out[k] = v
		}
	}
	return out, nil
}
