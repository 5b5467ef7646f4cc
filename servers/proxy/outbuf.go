package proxy

import (
	"io"
	"net"

	"webflow-lab/servers/internal/sock"
)

// outBuf gathers what goes to the client (the response head, small bodies)
// so it leaves in as few system calls as possible, like nginx's output
// chain written with one writev.
type outBuf struct {
	buf []byte
	w   *countingWriter
}

const outBufFlushAt = 64 << 10

func (b *outBuf) WriteString(s string) (int, error) {
	b.buf = append(b.buf, s...)
	if len(b.buf) >= outBufFlushAt {
		return len(s), b.Flush()
	}
	return len(s), nil
}

func (b *outBuf) Write(p []byte) (int, error) {
	if len(b.buf)+len(p) > outBufFlushAt {
		if err := b.Flush(); err != nil {
			return 0, err
		}
		if len(p) > outBufFlushAt/2 {
			return b.w.Write(p)
		}
	}
	b.buf = append(b.buf, p...)
	return len(p), nil
}

// Buffered is how many bytes wait for Flush.
func (b *outBuf) Buffered() int { return len(b.buf) }

// Flush writes what is buffered.
func (b *outBuf) Flush() error {
	if len(b.buf) == 0 {
		return nil
	}
	_, err := b.w.Write(b.buf)
	b.buf = b.buf[:0]
	return err
}

// readFile appends n bytes of f to the buffer (a small static file goes out
// with its head in one write).
func (b *outBuf) readFile(f io.Reader, n int64) (int64, error) {
	start := len(b.buf)
	if cap(b.buf)-start < int(n) {
		nb := make([]byte, start, start+int(n))
		copy(nb, b.buf)
		b.buf = nb
	}
	b.buf = b.buf[:start+int(n)]
	m, err := io.ReadFull(f, b.buf[start:])
	b.buf = b.buf[:start+m]
	return int64(m), err
}

// writevWith sends the buffered bytes and body with one writev(2) on c
// (counted), and empties the buffer.
func (b *outBuf) writevWith(c net.Conn, body []byte) (int64, error) {
	n, err := sock.Writev(c, net.Buffers{b.buf, body})
	b.w.n += n
	b.buf = b.buf[:0]
	return n, err
}
