// Package jsonstr quotes strings for JSON written by hand. The WASM module
// writes its JSON without reflection, and strconv.AppendQuote would link
// Unicode tables it does not otherwise need (and quotes the Go way).
package jsonstr

// Append appends s to b as a JSON string: quote and backslash escaped,
// control bytes as \u00XX, everything else (UTF-8 included) as is.
func Append(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
