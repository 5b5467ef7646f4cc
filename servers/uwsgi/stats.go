package uwsgi

import (
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// serveStats is uWSGI's stats server (core/stats.c uwsgi_send_stats): every
// connection gets the JSON and is closed. The answer is raw JSON with no HTTP
// header, so `curl` refuses it ("Received HTTP/0.9 when not allowed") unless
// given --http0.9. With stats-http it first waits for the client to send
// something and answers as HTTP/1.0 (verified on 2.0.21).
func (s *Server) serveStats(l *listener) {
	defer s.wg.Done()
	for {
		conn, err := l.ln.Accept()
		if err != nil {
			return // closed by Shutdown
		}
		s.writeStats(conn)
	}
}

// statsHTTPHead is what uwsgi_send_http_stats (core/utils.c) sends before
// the JSON, byte for byte.
const statsHTTPHead = "HTTP/1.0 200 OK\r\nConnection: close\r\nAccess-Control-Allow-Origin: *\r\nContent-Type: application/json\r\n\r\n"

func (s *Server) writeStats(conn net.Conn) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(s.socketTimeout))
	if s.cfg.StatsHTTP {
		// uWSGI waits up to socket-timeout for the request, reads it with
		// one read(fd, buf, 4096) and never parses it: any bytes will do.
		// Reading the whole of a usual request also means the close that
		// follows is an orderly one (unread bytes would make it a reset).
		var b [4096]byte
		if n, _ := conn.Read(b[:]); n <= 0 {
			return
		}
		if _, err := io.WriteString(conn, statsHTTPHead); err != nil {
			return
		}
	}
	// The JSON is built after the request is read, as in uWSGI, so it says
	// how things are when it is sent.
	conn.Write(s.StatsJSON())
}

// jw writes JSON the way uWSGI's stats code does: one key per line, TAB
// indentation, no space after ':' (core/master_utils.c).
type jw struct {
	b     []byte
	depth int
	first []bool
}

func (j *jw) indent() {
	for i := 0; i < j.depth; i++ {
		j.b = append(j.b, '\t')
	}
}

func (j *jw) sep() {
	if n := len(j.first); n > 0 {
		if !j.first[n-1] {
			j.b = append(j.b, ",\n"...)
		}
		j.first[n-1] = false
	}
}

func (j *jw) open(c byte) {
	j.b = append(j.b, c, '\n')
	j.depth++
	j.first = append(j.first, true)
}

func (j *jw) close(c byte) {
	if !j.first[len(j.first)-1] {
		j.b = append(j.b, '\n')
	} else {
		j.b = append(j.b, '\n') // uWSGI leaves an empty line in an empty list
	}
	j.first = j.first[:len(j.first)-1]
	j.depth--
	j.indent()
	j.b = append(j.b, c)
}

func (j *jw) key(k string) {
	j.sep()
	j.indent()
	j.b = strconv.AppendQuote(j.b, k)
	j.b = append(j.b, ':')
}

func (j *jw) num(k string, v int64) { j.key(k); j.b = strconv.AppendInt(j.b, v, 10) }
func (j *jw) str(k, v string)       { j.key(k); j.b = appendJSONString(j.b, v) }

// obj starts an object as a list element.
func (j *jw) obj() { j.sep(); j.indent(); j.open('{') }

func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, `\u00`...)
			b = append(b, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// StatsJSON returns what the stats server sends, in uWSGI 2.0.21's key order
// and layout, with this instance's real counters. Where the accept queue
// cannot be read (macOS, Windows, the portable build; a UNIX socket),
// listen_queue, load and the socket's queue are -1: uWSGI's fields are
// integers and its readers (uwsgitop) do arithmetic on them, and no real
// queue is negative, so -1 says "unknown" where uWSGI on macOS says a false 0.
func (s *Server) StatsJSON() []byte {
	j := &jw{b: make([]byte, 0, 4096)}
	j.open('{')
	j.str("version", Version)
	j.num("listen_queue", s.listenQueue.Load())
	j.num("listen_queue_errors", s.queueErrors.Load())
	j.num("signal_queue", 0)
	j.num("load", s.listenQueue.Load())
	j.num("pid", int64(s.pid))
	j.num("uid", int64(os.Getuid()))
	j.num("gid", int64(os.Getgid()))
	cwd := s.dir
	if cwd == "" {
		cwd, _ = os.Getwd()
	}
	j.str("cwd", cwd)
	j.key("locks")
	j.open('[')
	for _, l := range []string{"user 0", "signal", "filemon", "timer", "rbtimer", "cron", "rpc", "snmp"} {
		j.obj()
		j.num(l, 0)
		j.close('}')
	}
	j.close(']')
	j.key("sockets")
	j.open('[')
	for _, l := range s.workerSockets {
		// A queue this build or this socket cannot read is -1, never a
		// false 0 (QueueKnown); its limit is then the configured listen.
		cur, maxq, ok := queue(l.raw)
		if !ok {
			cur, maxq = -1, s.cfg.Listen
		}
		j.obj()
		j.str("name", l.name())
		j.str("proto", l.proto)
		j.num("queue", int64(cur))
		j.num("max_queue", int64(maxq))
		j.num("shared", 0)
		j.num("can_offload", 0)
		j.close('}')
	}
	j.close(']')
	j.key("workers")
	j.open('[')
	now := time.Now()
	for _, slot := range s.slots {
		w := slot.cur.Load()
		busy := false
		if w != nil {
			for _, c := range w.cores {
				if !c.busySince().IsZero() {
					busy = true
				}
			}
		}
		status := "idle"
		if busy {
			status = "busy"
		}
		j.obj()
		j.num("id", int64(slot.id))
		j.num("pid", int64(s.pid))
		j.num("accepting", 1)
		j.num("requests", slot.requests.Load())
		j.num("delta_requests", slot.deltaRequests.Load())
		j.num("exceptions", slot.exceptions.Load())
		j.num("harakiri_count", slot.harakiriCount.Load())
		j.num("signals", 0)
		j.num("signal_queue", 0)
		j.str("status", status)
		j.num("rss", 0) // 0 unless memory-report is on, as in uWSGI
		j.num("vsz", 0)
		j.num("running_time", slot.runningTime.Load())
		j.num("last_spawn", slot.lastSpawn.Load())
		j.num("respawn_count", slot.respawnCount.Load())
		j.num("tx", slot.tx.Load())
		j.num("avg_rt", slot.avgRT.Load())
		j.key("apps")
		j.open('[')
		if h := s.app.Load(); h != nil && h.app != nil {
			j.obj()
			j.num("id", 0)
			j.num("modifier1", 0)
			j.str("mountpoint", "")
			j.num("startup_time", 0)
			j.num("requests", slot.appRequests.Load())
			j.num("exceptions", slot.appExceptions.Load())
			j.str("chdir", "")
			j.close('}')
		}
		j.close(']')
		j.key("cores")
		j.open('[')
		for i, cs := range slot.cores {
			in := int64(0)
			if w != nil && i < len(w.cores) && !w.cores[i].busySince().IsZero() {
				in = 1
			}
			j.obj()
			j.num("id", int64(i))
			j.num("requests", cs.requests.Load())
			j.num("static_requests", cs.staticRequests.Load())
			j.num("routed_requests", 0)
			j.num("offloaded_requests", 0)
			j.num("write_errors", cs.writeErrors.Load())
			j.num("read_errors", cs.readErrors.Load())
			j.num("in_request", in)
			j.key("vars")
			j.open('[')
			j.close(']')
			j.key("req_info")
			j.b = append(j.b, strings.Repeat("\t", j.depth)...)
			j.open('{')
			j.close('}')
			j.close('}')
		}
		j.close(']')
		j.close('}')
	}
	_ = now
	j.close(']')
	j.close('}')
	return j.b
}

// Stats is what the stats server reports, as Go values: the lab's screen
// reads it the way uwsgitop reads the JSON.
type Stats struct {
	ListenQueue       int // connections waiting in the worker sockets' accept queues; -1: this platform cannot tell
	ListenQueueMax    int // the listen backlog
	ListenQueueErrors int64
	Requests          int64 // requests answered since start
	Workers           []WorkerStats
}

// WorkerStats is one worker (uWSGI's process): its cores (threads) busy and
// idle, its requests and uWSGI's running average time per request.
type WorkerStats struct {
	ID       int
	Busy     int // cores with a request
	Cores    int // threads
	Requests int64
	AvgTime  time.Duration // avg_rt: uWSGI's running halving, not a mean
	Status   string        // "idle", "busy", "cheap" (not running)
}

// Stats returns the instance's counters now.
func (s *Server) Stats() Stats {
	st := Stats{ListenQueue: -1, ListenQueueMax: s.cfg.Listen, ListenQueueErrors: s.queueErrors.Load(),
		Requests: s.totalRequests.Load()}
	if len(s.workerSockets) > 0 {
		sum, known := 0, true
		for _, l := range s.workerSockets {
			cur, _, ok := queue(l.raw)
			known = known && ok
			sum += cur
		}
		if known {
			st.ListenQueue = sum
		}
	}
	for _, slot := range s.slots {
		ws := WorkerStats{ID: slot.id, Cores: s.threads, Requests: slot.requests.Load(),
			AvgTime: time.Duration(slot.avgRT.Load()) * time.Microsecond, Status: "cheap"}
		if w := slot.cur.Load(); w != nil && !w.dead.Load() {
			ws.Status = "idle"
			for _, c := range w.cores {
				if !c.busySince().IsZero() {
					ws.Busy++
				}
			}
			if ws.Busy > 0 {
				ws.Status = "busy"
			}
		}
		st.Workers = append(st.Workers, ws)
	}
	return st
}
