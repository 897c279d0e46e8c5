// Package errfmt is a reflection-free subset of fmt.Errorf/Sprintf for the
// code compiled into the WASM post-process module: fmt pulls in reflect and
// about 0.8 MB of module size. Verbs: %d %v %s %x %#x %w (and %%), for
// integers, floats, strings, []int, errors and Stringers.
package errfmt

import (
	"strconv"
)

type wrapped struct {
	msg string
	err error
}

func (w *wrapped) Error() string { return w.msg }
func (w *wrapped) Unwrap() error { return w.err }

// Errorf formats like fmt.Errorf; %w wraps its error argument.
func Errorf(format string, args ...any) error {
	msg, w := format1(format, args)
	if w != nil {
		return &wrapped{msg, w}
	}
	return &wrapped{msg: msg}
}

// Sprintf formats like fmt.Sprintf for the supported verbs.
func Sprintf(format string, args ...any) string {
	s, _ := format1(format, args)
	return s
}

func format1(format string, args []any) (string, error) {
	b := make([]byte, 0, len(format)+16*len(args))
	var werr error
	ai := 0
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' || i+1 == len(format) {
			b = append(b, c)
			continue
		}
		i++
		sharp := false
		if format[i] == '#' && i+1 < len(format) {
			sharp = true
			i++
		}
		verb := format[i]
		if verb == '%' {
			b = append(b, '%')
			continue
		}
		if ai >= len(args) {
			b = append(b, "%!"...)
			b = append(b, verb)
			b = append(b, "(MISSING)"...)
			continue
		}
		a := args[ai]
		ai++
		if verb == 'w' {
			if e, ok := a.(error); ok {
				werr = e
			}
		}
		b = appendArg(b, a, verb, sharp)
	}
	return string(b), werr
}

func appendArg(b []byte, a any, verb byte, sharp bool) []byte {
	base := 10
	if verb == 'x' {
		base = 16
		if sharp {
			b = append(b, "0x"...)
		}
	}
	// Integers are widened first and formatted by one call each: every
	// strconv call site costs the WASM module more than the conversion.
	var (
		i     int64
		u     uint64
		isInt bool
		isU   bool
	)
	switch v := a.(type) {
	case nil:
		return append(b, "<nil>"...)
	case error:
		return append(b, v.Error()...)
	case interface{ String() string }:
		return append(b, v.String()...)
	case string:
		return append(b, v...)
	case int:
		i, isInt = int64(v), true
	case int8:
		i, isInt = int64(v), true
	case int16:
		i, isInt = int64(v), true
	case int32:
		i, isInt = int64(v), true
	case int64:
		i, isInt = v, true
	case uint:
		u, isU = uint64(v), true
	case uint8:
		u, isU = uint64(v), true
	case uint16:
		u, isU = uint64(v), true
	case uint32:
		u, isU = uint64(v), true
	case uint64:
		u, isU = v, true
	case float32:
		return strconv.AppendFloat(b, float64(v), 'g', -1, 32)
	case float64:
		return strconv.AppendFloat(b, v, 'g', -1, 64)
	case bool:
		return strconv.AppendBool(b, v)
	case []int:
		b = append(b, '[')
		for k, x := range v {
			if k > 0 {
				b = append(b, ' ')
			}
			b = strconv.AppendInt(b, int64(x), 10)
		}
		return append(b, ']')
	default:
		return append(b, "%!v(unsupported)"...)
	}
	if isInt {
		return strconv.AppendInt(b, i, base)
	}
	if isU {
		return strconv.AppendUint(b, u, base)
	}
	return b
}
