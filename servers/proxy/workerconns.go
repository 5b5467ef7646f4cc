package proxy

import (
	"fmt"
	"sort"
)

// worker_connections, as ngx_get_connection and ngx_drain_connections
// count them: the worker's channel to its master, the listening sockets and
// the client connections take one each (in nginx the upstream connections
// too; the lab does not count those). When few are left (a sixteenth or less), a new connection first
// closes the longest-idle connections that wait for a request (nginx's
// "reusable" ones), with a warning at most once a second; when none is
// left, the new connection is closed unanswered with an alert.

// admit reports whether a new client connection may be served; s.mu is held.
func (s *Server) admit(cf *conf) bool {
	limit := cf.workerConnections
	used := func() int { return 1 + len(s.listeners) + s.open }
	if free := limit - used(); free <= limit/16 {
		s.drainIdle(cf)
	}
	if used() >= limit {
		cf.errorLog.log(s.now(), levelAlert, 0, fmt.Sprintf("%d worker_connections are not enough", limit), "")
		return false
	}
	s.open++
	return true
}

// drainIdle closes the longest-idle connections waiting for a request:
// max(min(32, idle/8), 1) of them. s.mu is held.
func (s *Server) drainIdle(cf *conf) {
	var idle []*conn
	for c := range s.conns {
		c.mu.Lock()
		if c.idle && !c.closed {
			idle = append(idle, c)
		}
		c.mu.Unlock()
	}
	if len(idle) == 0 {
		return
	}
	if now := s.now().Unix(); s.reuseWarned != now {
		s.reuseWarned = now
		cf.errorLog.log(s.now(), levelWarn, 0,
			fmt.Sprintf("%d worker_connections are not enough, reusing connections", cf.workerConnections), "")
	}
	sort.Slice(idle, func(i, j int) bool { return idle[i].idleSince.Before(idle[j].idleSince) })
	n := max(min(32, len(idle)/8), 1)
	for _, c := range idle[:n] {
		c.mu.Lock()
		if c.idle && !c.closed {
			c.closed, c.drained = true, true
			c.nc.Close()
			s.open--
		}
		c.mu.Unlock()
	}
}

// release gives back the connection's place when it ends, unless draining
// took it already. s.mu is held.
func (s *Server) release(c *conn) {
	c.mu.Lock()
	drained := c.drained
	c.mu.Unlock()
	if !drained {
		s.open--
	}
}
