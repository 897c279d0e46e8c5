// Package le reads and writes little-endian integers. encoding/binary does
// the same but imports reflect, which the WASM module cannot afford (its
// size budget is 2 MiB).
package le

// Uint16 reads b[0:2].
func Uint16(b []byte) uint16 { _ = b[1]; return uint16(b[0]) | uint16(b[1])<<8 }

// Uint32 reads b[0:4].
func Uint32(b []byte) uint32 {
	_ = b[3]
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

// Uint64 reads b[0:8].
func Uint64(b []byte) uint64 { return uint64(Uint32(b)) | uint64(Uint32(b[4:]))<<32 }

// PutUint16 writes v into b[0:2].
func PutUint16(b []byte, v uint16) { _ = b[1]; b[0], b[1] = byte(v), byte(v>>8) }

// PutUint32 writes v into b[0:4].
func PutUint32(b []byte, v uint32) {
	_ = b[3]
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

// PutUint64 writes v into b[0:8].
func PutUint64(b []byte, v uint64) { PutUint32(b, uint32(v)); PutUint32(b[4:], uint32(v>>32)) }

// AppendUint16 appends v.
func AppendUint16(b []byte, v uint16) []byte { return append(b, byte(v), byte(v>>8)) }

// AppendUint32 appends v.
func AppendUint32(b []byte, v uint32) []byte {
	return append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
}

// AppendUint64 appends v.
func AppendUint64(b []byte, v uint64) []byte {
	return AppendUint32(AppendUint32(b, uint32(v)), uint32(v>>32))
}
