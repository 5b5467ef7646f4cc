//go:build !linux || portable

package uwsgi

import (
	"errors"
	"net"
)

// This build has no direct path (direct_linux.go): acceptLoop takes each
// connection with net.Listener.Accept once a core is idle, so connections
// still wait in the kernel's accept queue while every core is busy, and
// the log lines and events are the same.

func openDirect(*listener) error { return errors.ErrUnsupported }

// runCoreDirect is never called: openDirect never succeeds, so s.direct stays nil.
func (s *Server) runCoreDirect(*core, *listener) {}

func (l *listener) nudge(bool) {}

func selfTimed(net.Conn) bool { return false }
