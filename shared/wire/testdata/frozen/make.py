#!/usr/bin/env python3
"""Frozen wire fixtures, written ONCE from docs/WIRE.md's tables (not from
shared/wire's encoder) and never regenerated: the decoder must keep reading
these bytes whatever the encoder becomes. Run from this folder:

    python3 make.py

It writes result-v2.bin, image-v2.bin, error-v2.bin, result-v1.bin here and
../../../recording/testdata/two-messages.nsw. The values are the ones
shared/wire/frozen_test.go and shared/recording/frozen_test.go expect."""
import struct

def string(s):
    b = s.encode()
    return struct.pack('<H', len(b)) + b

def header_v2(kind, seq, capture, sent, index, count, loop, source):
    # magic, u16 version, u16 kind, u64 frame id, i64 capture, i64 send,
    # u16 index, u16 count, u32 loop, string source
    return b'NSW1' + struct.pack('<HHQqqHHI', 2, kind, seq, capture, sent, index, count, loop) + string(source)

def header_v1(kind, seq, capture, sent):
    return b'NSW1' + struct.pack('<HHQqq', 1, kind, seq, capture, sent)

def result_body(layout):
    b = struct.pack('<IIII', 640, 480, 320, 256)   # source w, h; input w, h
    b += struct.pack('<d', 0.5)                     # letterbox scale
    b += struct.pack('<ff', 0.0, 8.0)               # pad left, pad top
    b += string('int8')                             # variant
    b += struct.pack('<I', 1234)                    # inference time, us
    if layout is not None:
        b += struct.pack('<B', layout)              # head layout (v2 only)
    b += struct.pack('<H', 1)                       # tensor count
    b += string('output0')
    b += struct.pack('<BB', 3, 3)                   # type S8, rank 3
    b += struct.pack('<III', 1, 6, 2)               # dims [1, 6, 2]: 4 + 2 classes, 2 anchors
    b += struct.pack('<I', 16)                      # row stride 16 bytes
    b += struct.pack('<ff', 2.0, 0.5)               # scale, offset
    data = bytes((i * 7) % 256 for i in range(6 * 16))
    b += struct.pack('<I', len(data)) + data
    b += struct.pack('<I', 1)                       # one box
    b += struct.pack('<fffff', 10.0, 20.0, 110.0, 220.0, 0.75) + struct.pack('<I', 3)
    return b

result_v2 = header_v2(1, 7, 1000, 2000, 1, 3, 0, 'a.jpg') + result_body(1)
image_v2 = header_v2(2, 7, 1000, 2001, 0, 3, 2, 'a.jpg') + string('image/jpeg') + struct.pack('<I', 4) + b'\xff\xd8\xff\xd9'
error_v2 = header_v2(3, 8, 3000, 3001, 0, 0, 0, 'bad.png') + struct.pack('<B', 0) + string('too large to encode')
result_v1 = header_v1(1, 5, 500, 600) + result_body(None)

for name, b in [('result-v2.bin', result_v2), ('image-v2.bin', image_v2), ('error-v2.bin', error_v2), ('result-v1.bin', result_v1)]:
    with open(name, 'wb') as f:
        f.write(b)

# A recording: each message preceded by its u32 length, then the index:
# NSWI, u32 count, the u64 offset of each message's length prefix, the u64
# offset of the index, NSWE.
body, offsets = b'', []
for m in (image_v2, result_v2):
    offsets.append(len(body))
    body += struct.pack('<I', len(m)) + m
index = b'NSWI' + struct.pack('<I', len(offsets)) + b''.join(struct.pack('<Q', o) for o in offsets) + struct.pack('<Q', len(body)) + b'NSWE'
with open('../../../recording/testdata/two-messages.nsw', 'wb') as f:
    f.write(body + index)
