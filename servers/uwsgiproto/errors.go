package uwsgiproto

import (
	"errors"
	"fmt"
)

// Sentinel errors; every decode error wraps one of them, so callers can
// branch with errors.Is while the message keeps uWSGI's wording.
var (
	ErrTruncatedHeader = errors.New("uwsgiproto: truncated header")
	ErrBlockTooBig     = errors.New("uwsgiproto: request block larger than buffer-size")
	ErrTruncatedVars   = errors.New("uwsgiproto: vars block truncated")
	ErrNullKey         = errors.New("uwsgiproto: null key")
	ErrVarOverrun      = errors.New("uwsgiproto: var overruns the vars block")
	ErrTooManyVars     = errors.New("uwsgiproto: too many vars")
	ErrVarsTooBig      = errors.New("uwsgiproto: vars block larger than 65535 bytes")
	ErrVarTooLong      = errors.New("uwsgiproto: key or value longer than 65535 bytes")
)

// DecodeError is a malformed packet. Log is the line uWSGI itself would log
// for the same bytes ("invalid request block size: 5000 (max 4096)...skip").
type DecodeError struct {
	Kind   error // one of the sentinels above
	Offset int   // byte offset in the vars block (or packet) where decoding stopped
	Log    string
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("%v at byte %d: %s", e.Kind, e.Offset, e.Log)
}

func (e *DecodeError) Unwrap() error { return e.Kind }
