package le

import (
	"encoding/binary"
	"testing"
)

func TestMatchesEncodingBinary(t *testing.T) {
	for _, v := range []uint64{0, 1, 0x0102030405060708, ^uint64(0), 1 << 63} {
		b := AppendUint64(nil, v)
		if want := binary.LittleEndian.AppendUint64(nil, v); string(b) != string(want) || Uint64(b) != v {
			t.Fatalf("%x: %x, want %x", v, b, want)
		}
		if Uint32(b) != binary.LittleEndian.Uint32(b) || Uint16(b) != binary.LittleEndian.Uint16(b) {
			t.Fatalf("%x: narrow reads differ", v)
		}
		c := make([]byte, 8)
		PutUint64(c, v)
		PutUint16(c, uint16(v))
		d := make([]byte, 8)
		binary.LittleEndian.PutUint64(d, v)
		binary.LittleEndian.PutUint16(d, uint16(v))
		if string(c) != string(d) || string(AppendUint16(nil, uint16(v))) != string(d[:2]) || string(AppendUint32(nil, uint32(v))) != string(binary.LittleEndian.AppendUint32(nil, uint32(v))) {
			t.Fatalf("%x: writes differ", v)
		}
		PutUint32(c, uint32(v))
		binary.LittleEndian.PutUint32(d, uint32(v))
		if string(c) != string(d) {
			t.Fatalf("%x: PutUint32 differs", v)
		}
	}
}
