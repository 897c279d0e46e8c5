// Package rawws is a WebSocket client that reads frames itself and keeps
// each message as it arrived: deflated when the server compressed it. A
// bench can then time a message when its bytes are here, apart from what
// inflating them costs, and a test can see what was compressed.
package rawws

import (
	"bufio"
	"bytes"
	"compress/flate"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Conn is a client connection.
type Conn struct {
	conn net.Conn
	br   *bufio.Reader
	buf  []byte // the current message's payload, reused
}

// Dial connects to ws://addr/path, offering permessage-deflate (without
// context takeover) when compress, and checks the server agreed to what
// was offered.
func Dial(addr, path string, compress bool) (*Conn, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	key := make([]byte, 16)
	rand.Read(key)
	req := "GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + base64.StdEncoding.EncodeToString(key) + "\r\n"
	if compress {
		req += "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover\r\n"
	}
	if _, err := io.WriteString(c, req+"\r\n"); err != nil {
		c.Close()
		return nil, err
	}
	br := bufio.NewReaderSize(c, 64<<10)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		c.Close()
		return nil, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSwitchingProtocols {
		c.Close()
		return nil, fmt.Errorf("%s: %s", path, resp.Status)
	}
	if got := strings.Contains(resp.Header.Get("Sec-WebSocket-Extensions"), "permessage-deflate"); got != compress {
		c.Close()
		return nil, fmt.Errorf("%s: compression negotiated %v, offered %v", path, got, compress)
	}
	return &Conn{conn: c, br: br}, nil
}

// Next reads one data message: its payload as sent (valid until the next
// call), whether it is deflated, and when its last byte arrived (Unix
// ns). Pings are answered; a close frame is io.EOF.
func (v *Conn) Next() (payload []byte, deflated bool, at int64, err error) {
	v.buf = v.buf[:0]
	first := true
	for {
		var h [2]byte
		if _, err := io.ReadFull(v.br, h[:]); err != nil {
			return nil, false, 0, err
		}
		fin, rsv1, op := h[0]&0x80 != 0, h[0]&0x40 != 0, h[0]&0x0f
		if h[1]&0x80 != 0 {
			return nil, false, 0, errors.New("masked frame from the server")
		}
		n := uint64(h[1] & 0x7f)
		switch n {
		case 126:
			var b [2]byte
			if _, err := io.ReadFull(v.br, b[:]); err != nil {
				return nil, false, 0, err
			}
			n = uint64(binary.BigEndian.Uint16(b[:]))
		case 127:
			var b [8]byte
			if _, err := io.ReadFull(v.br, b[:]); err != nil {
				return nil, false, 0, err
			}
			n = binary.BigEndian.Uint64(b[:])
		}
		if n > 64<<20 {
			return nil, false, 0, fmt.Errorf("frame of %d bytes", n)
		}
		if op >= 8 { // control frame
			p := make([]byte, n)
			if _, err := io.ReadFull(v.br, p); err != nil {
				return nil, false, 0, err
			}
			switch op {
			case 8:
				return nil, false, 0, io.EOF
			case 9:
				if err := v.pong(p); err != nil {
					return nil, false, 0, err
				}
			}
			continue
		}
		if first {
			deflated, first = rsv1, false
		}
		start := len(v.buf)
		v.buf = slices.Grow(v.buf, int(n))[:start+int(n)]
		if _, err := io.ReadFull(v.br, v.buf[start:]); err != nil {
			return nil, false, 0, err
		}
		if fin {
			return v.buf, deflated, time.Now().UnixNano(), nil
		}
	}
}

// pong answers a ping (client frames are masked).
func (v *Conn) pong(p []byte) error {
	var mask [4]byte
	rand.Read(mask[:])
	f := append([]byte{0x8a, 0x80 | byte(len(p))}, mask[:]...)
	for i, b := range p {
		f = append(f, b^mask[i%4])
	}
	v.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, err := v.conn.Write(f)
	return err
}

// SetReadDeadline bounds the reads of Next.
func (v *Conn) SetReadDeadline(t time.Time) error { return v.conn.SetReadDeadline(t) }

// Close closes the connection.
func (v *Conn) Close() error { return v.conn.Close() }

// Inflate is permessage-deflate's decompression of one message, up to
// limit bytes of output.
func Inflate(p []byte, limit int) ([]byte, error) {
	r := flate.NewReader(io.MultiReader(bytes.NewReader(p), strings.NewReader("\x00\x00\xff\xff\x01\x00\x00\xff\xff")))
	defer r.Close()
	var out bytes.Buffer
	_, err := io.Copy(&out, io.LimitReader(r, int64(limit)))
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, err
	}
	return out.Bytes(), nil
}
