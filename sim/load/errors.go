package load

import (
	"context"
	"errors"
	"io"
	"net"
	"os"

	"webflow-lab/servers/errno"
)

// An ErrorKind is what went wrong with a request that got no answer, in
// the words of the course's error pages and nginx's error.log.
type ErrorKind uint8

const (
	Refused   ErrorKind = iota // connect() refused: nothing listens (ECONNREFUSED)
	Reset                      // the peer reset the connection (ECONNRESET, EPIPE)
	Timeout                    // no answer within the timeout
	Closed                     // the server closed the connection before or during the answer
	Malformed                  // the answer is not HTTP/1.x
	Other                      // anything else (no free local port, …)
	numKinds
)

var kindNames = [numKinds][2]string{
	Refused:   {"refused", "连接被拒绝"},
	Reset:     {"reset", "连接被重置"},
	Timeout:   {"timeout", "超时"},
	Closed:    {"closed early", "连接提前关闭"},
	Malformed: {"bad response", "响应格式错误"},
	Other:     {"other", "其他"},
}

func (k ErrorKind) String() string {
	if k < numKinds {
		return kindNames[k][0]
	}
	return "kind?"
}

// Chinese is the kind's name in Simplified Chinese.
func (k ErrorKind) Chinese() string {
	if k < numKinds {
		return kindNames[k][1]
	}
	return "kind?"
}

// Kinds lists every kind, in report order.
func Kinds() []ErrorKind {
	out := make([]ErrorKind, numKinds)
	for i := range out {
		out[i] = ErrorKind(i)
	}
	return out
}

// kindOf classifies a request's error.
func kindOf(err error) ErrorKind {
	switch {
	case errno.Is(err, errno.ECONNREFUSED):
		return Refused
	case errno.Is(err, errno.ECONNRESET), errno.Is(err, errno.EPIPE), errno.Is(err, errno.ECONNABORTED):
		return Reset
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		return Timeout
	case errors.Is(err, errClosed), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return Closed
	case errors.Is(err, errBadResponse):
		return Malformed
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return Timeout
	}
	return Other
}

func isReset(err error) bool {
	return errno.Is(err, errno.ECONNRESET) || errno.Is(err, errno.EPIPE)
}
