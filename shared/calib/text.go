package calib

import (
	"fmt"
	"strings"
)

// Field is one field of a protobuf text-format message: a scalar (Value
// holds its token exactly as written, quotes included) or a message
// (Children). Keeping tokens verbatim is what makes read → write
// byte-identical and keeps fields this package does not know.
type Field struct {
	Name      string
	Value     string
	IsMessage bool
	Children  []*Field
	Line, Col int
}

func (f *Field) clone() *Field {
	c := *f
	c.Children = make([]*Field, len(f.Children))
	for i, ch := range f.Children {
		c.Children[i] = ch.clone()
	}
	return &c
}

// SyntaxError is a text-format error at a position of the input.
type SyntaxError struct {
	File      string
	Line, Col int
	Msg       string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("calib: %s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

type tokKind int

const (
	tokEOF tokKind = iota
	tokIdent
	tokScalar // number, string or enum-like word used as a value
	tokColon
	tokOpen
	tokClose
)

type token struct {
	kind      tokKind
	text      string
	line, col int
}

type lexer struct {
	src       string
	file      string
	pos       int
	line, col int
}

func (l *lexer) errorf(line, col int, format string, args ...any) error {
	return &SyntaxError{File: l.file, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
}

func (l *lexer) next() (token, error) {
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case c == '\n':
			l.pos++
			l.line++
			l.col = 1
			continue
		case c == ' ' || c == '\t' || c == '\r':
			l.pos++
			l.col++
			continue
		case c == '#':
			for l.pos < len(l.src) && l.src[l.pos] != '\n' {
				l.pos++
			}
			continue
		}
		break
	}
	t := token{line: l.line, col: l.col}
	if l.pos >= len(l.src) {
		t.kind = tokEOF
		return t, nil
	}
	c := l.src[l.pos]
	switch {
	case c == ':':
		t.kind, t.text = tokColon, ":"
		l.advance(1)
	case c == '{':
		t.kind, t.text = tokOpen, "{"
		l.advance(1)
	case c == '}':
		t.kind, t.text = tokClose, "}"
		l.advance(1)
	case c == '"' || c == '\'':
		end := l.pos + 1
		for end < len(l.src) && l.src[end] != c {
			if l.src[end] == '\\' {
				end++
			}
			if end < len(l.src) && l.src[end] == '\n' {
				return t, l.errorf(t.line, t.col, "string not closed on its line")
			}
			end++
		}
		if end >= len(l.src) {
			return t, l.errorf(t.line, t.col, "string not closed before the end of the file")
		}
		t.kind, t.text = tokScalar, l.src[l.pos:end+1]
		l.advance(end + 1 - l.pos)
	case isWordByte(c):
		end := l.pos
		for end < len(l.src) && isWordByte(l.src[end]) {
			end++
		}
		t.text = l.src[l.pos:end]
		t.kind = tokIdent
		if (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' {
			t.kind = tokScalar
		}
		l.advance(end - l.pos)
	default:
		return t, l.errorf(t.line, t.col, "unexpected character %q", c)
	}
	return t, nil
}

func (l *lexer) advance(n int) {
	l.pos += n
	l.col += n
}

func isWordByte(c byte) bool {
	return c == '_' || c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

// parseText parses protobuf text format into fields.
// maxDepth bounds block nesting (ATC writes three levels).
const maxDepth = 32

func parseText(src, file string) ([]*Field, error) {
	l := &lexer{src: src, file: file, line: 1, col: 1}
	root := &Field{IsMessage: true}
	stack := []*Field{root}
	for {
		t, err := l.next()
		if err != nil {
			return nil, err
		}
		switch t.kind {
		case tokEOF:
			if len(stack) > 1 {
				open := stack[len(stack)-1]
				return nil, l.errorf(t.line, t.col, "unexpected end of file: block %q opened at line %d is not closed (truncated file?)", open.Name, open.Line)
			}
			return root.Children, nil
		case tokClose:
			if len(stack) == 1 {
				return nil, l.errorf(t.line, t.col, "unexpected '}' with no open block")
			}
			stack = stack[:len(stack)-1]
		case tokIdent:
			f := &Field{Name: t.text, Line: t.line, Col: t.col}
			n, err := l.next()
			if err != nil {
				return nil, err
			}
			if n.kind == tokColon {
				n, err = l.next()
				if err != nil {
					return nil, err
				}
			}
			switch n.kind {
			case tokOpen:
				// ATC's files nest three deep; a crafted file nesting
				// thousands deep would make writing it back quadratic in
				// its indentation.
				if len(stack) > maxDepth {
					return nil, l.errorf(n.line, n.col, "field %q: blocks nested more than %d deep", f.Name, maxDepth)
				}
				f.IsMessage = true
				parent := stack[len(stack)-1]
				parent.Children = append(parent.Children, f)
				stack = append(stack, f)
			case tokScalar, tokIdent:
				f.Value = n.text
				parent := stack[len(stack)-1]
				parent.Children = append(parent.Children, f)
			case tokEOF:
				return nil, l.errorf(n.line, n.col, "unexpected end of file after field %q (truncated file?)", f.Name)
			default:
				return nil, l.errorf(n.line, n.col, "field %q: expected a value or '{', got %q", f.Name, n.text)
			}
		default:
			return nil, l.errorf(t.line, t.col, "expected a field name, got %q", t.text)
		}
	}
}

// writeText writes fields in the layout ATC uses: two-space indent,
// "name: value" and "name {" ... "}".
func writeText(b *strings.Builder, fields []*Field, depth int) {
	ind := strings.Repeat("  ", depth)
	for _, f := range fields {
		if f.IsMessage {
			b.WriteString(ind + f.Name + " {\n")
			writeText(b, f.Children, depth+1)
			b.WriteString(ind + "}\n")
			continue
		}
		b.WriteString(ind + f.Name + ": " + f.Value + "\n")
	}
}
