package uwsgi

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"webflow-lab/servers/errno"
	"webflow-lab/servers/trace"
	"webflow-lab/servers/wsgi"
)

// workerSlot is one line of uWSGI's shared worker table: it outlives the
// worker it describes, so counters and respawn_count survive a respawn.
type workerSlot struct {
	id            int // 1-based
	requests      atomic.Int64
	deltaRequests atomic.Int64
	exceptions    atomic.Int64
	harakiriCount atomic.Int64
	runningTime   atomic.Int64 // µs
	tx            atomic.Int64
	avgRT         atomic.Int64 // µs, uWSGI's running (avg + rt) / 2
	respawnCount  atomic.Int64
	lastSpawn     atomic.Int64 // unix seconds
	appRequests   atomic.Int64
	appExceptions atomic.Int64
	cores         []*coreSlot
	cur           atomic.Pointer[worker]
}

// coreSlot holds one core's counters.
type coreSlot struct {
	requests       atomic.Int64
	staticRequests atomic.Int64
	writeErrors    atomic.Int64
	readErrors     atomic.Int64
}

// A worker is one generation of a worker slot: a group of core goroutines
// ("threads"). Harakiri kills it and a new one takes the slot; a reload
// retires every worker once its requests are done.
type worker struct {
	slot  *workerSlot
	cores []*core
	quit  chan struct{} // closed when the worker is killed or retired
	dead  atomic.Bool   // killed by harakiri: its in-flight results are dropped
	// retiring: a graceful reload asked it to finish and go; it is not respawned.
	retiring atomic.Bool
	quitOnce sync.Once
	wg       sync.WaitGroup
	start    time.Time
}

// A core is one request slot: a goroutine that takes a connection, serves it
// start to finish, and comes back for the next.
type core struct {
	w    *worker
	id   int // 0-based within its worker
	work chan job

	mu      sync.Mutex
	conn    net.Conn           // the connection in service, for harakiri
	cancel  context.CancelFunc // cancels the request's Context
	started time.Time          // zero when idle
	// remote, method, uri: the request in service, for harakiri's status
	// lines and Shutdown's report of what it is still waiting for.
	remote, method, uri string
	harakiri            bool           // this core's request triggered the kill
	rw                  wsgi.RawWriter // writes the app's answer (handle)
	// killed: harakiri killed the worker while this core was in a request;
	// that request's result is dropped (the process would be gone).
	killed atomic.Bool
}

// A job is an accepted connection on its way to a core.
type job struct {
	conn     net.Conn
	l        *listener
	accepted time.Time
	queued   bool // it waited in the listen queue for a free worker
}

func (w *worker) stop() { w.quitOnce.Do(func() { close(w.quit) }) }

func (c *core) begin(conn net.Conn, cancel context.CancelFunc) {
	c.mu.Lock()
	c.conn, c.cancel, c.started = conn, cancel, time.Now()
	c.mu.Unlock()
}

func (c *core) end() {
	c.mu.Lock()
	c.conn, c.cancel, c.started = nil, nil, time.Time{}
	c.remote, c.method, c.uri = "", "", ""
	c.mu.Unlock()
}

// setRequest records what the core is serving.
func (c *core) setRequest(remote, method, uri string) {
	c.mu.Lock()
	c.remote, c.method, c.uri = remote, method, uri
	c.mu.Unlock()
}

func (c *core) busySince() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.started
}

// spawnWorker starts a fresh worker in slot and its core goroutines.
func (s *Server) spawnWorker(slot *workerSlot) *worker {
	w := &worker{slot: slot, quit: make(chan struct{}), start: time.Now()}
	for i := 0; i < s.threads; i++ {
		w.cores = append(w.cores, &core{w: w, id: i, work: make(chan job)})
	}
	slot.respawnCount.Add(1)
	slot.lastSpawn.Store(time.Now().Unix())
	slot.cur.Store(w)
	w.wg.Add(len(w.cores))
	s.wg.Add(len(w.cores))
	for _, c := range w.cores {
		go s.runCore(c)
	}
	return w
}

// runCore is one core's life: offer itself as idle, serve what it is given,
// until its worker is killed or retired or the server stops.
func (s *Server) runCore(c *core) {
	defer s.wg.Done()
	defer c.w.wg.Done()
	if s.direct != nil {
		s.runCoreDirect(c, s.direct)
		return
	}
	for {
		if !s.putIdle(c) {
			return
		}
		select {
		case j := <-c.work:
			s.serve(c, j)
		case <-c.w.quit:
			return
		case <-s.quit:
			return
		}
	}
}

// putIdle adds c to the idle list and wakes a waiting acceptor.
func (s *Server) putIdle(c *core) bool {
	select {
	case <-c.w.quit:
		return false
	case <-s.quit:
		return false
	default:
	}
	s.idleMu.Lock()
	s.idle = append(s.idle, c)
	s.idleMu.Unlock()
	select {
	case s.idleSig <- struct{}{}:
	default:
	}
	return true
}

// takeCore waits for an idle core. It gives up (nil) when the server is
// closing, unless holding is true: an acceptor that already holds a
// connection must hand it to someone, as a uWSGI worker finishes what it
// accepted — and gives up only when no worker is left to take it (a reload
// or harakiri emptied the slots while Shutdown began; see noWorkersLeft).
func (s *Server) takeCore(holding bool) *core {
	for {
		s.idleMu.Lock()
		for len(s.idle) > 0 {
			c := s.idle[0]
			s.idle = s.idle[1:]
			select {
			case <-c.w.quit:
				continue // retired or killed while idle
			default:
			}
			more := len(s.idle) > 0
			s.idleMu.Unlock()
			if more {
				select {
				case s.idleSig <- struct{}{}:
				default:
				}
			}
			return c
		}
		s.idleMu.Unlock()
		closing := s.closing
		if holding {
			closing = s.noCores
		}
		select {
		case <-s.idleSig:
		case <-closing:
			return nil
		case <-s.quit:
			return nil
		}
	}
}

// removeIdle drops w's cores from the idle list.
func (s *Server) removeIdle(w *worker) {
	s.idleMu.Lock()
	kept := s.idle[:0]
	for _, c := range s.idle {
		if c.w != w {
			kept = append(kept, c)
		}
	}
	for i := len(kept); i < len(s.idle); i++ {
		s.idle[i] = nil
	}
	s.idle = kept
	s.idleMu.Unlock()
}

// acceptLoop feeds one worker socket to the cores. With a single worker
// socket it takes an idle core first and only then accept()s, so that while
// every core is busy new connections wait in the kernel's accept queue
// exactly as they do in front of uWSGI's workers. With several sockets an
// acceptor cannot wait on all of them at once, so each accepts first and then
// waits for a core (one connection per socket may wait in user space).
func (s *Server) acceptLoop(l *listener, acceptFirst bool) {
	defer s.acceptors.Done()
	var backoff time.Duration
	for {
		var c *core
		if !acceptFirst {
			if c = s.takeCore(false); c == nil {
				return
			}
		}
		conn, err := l.ln.Accept()
		if err != nil {
			select {
			case <-s.closing:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				s.log.Print(acceptErrText(err)) // closed by a Listener hook
				return
			}
			// Whatever else fails (EMFILE, EINVAL...), log it and back off
			// rather than spin or stop serving.
			s.log.Print(acceptErrText(err))
			if !s.backOff(&backoff, nil) {
				return
			}
			if c != nil {
				s.putIdle(c)
			}
			continue
		}
		backoff = 0
		j := job{conn: conn, l: l, accepted: time.Now()}
		for {
			if c == nil {
				j.queued = acceptFirst
				if c = s.takeCore(true); c == nil {
					conn.Close()
					return
				}
			}
			select {
			case c.work <- j:
			case <-c.w.quit:
				c = nil
				continue
			}
			break
		}
	}
}

// acceptErrText is a failed accept in uwsgi_error()'s form:
// "accept(): Invalid argument".
func acceptErrText(err error) string {
	if _, ok := errno.Of(err); ok {
		return "accept(): " + errno.Strerror(err)
	}
	return "accept(): " + err.Error()
}

// fromNode is the node a listener's connections come from.
func (s *Server) fromNode(l *listener) string {
	if l.proto == "uwsgi" && !l.internal {
		return trace.Proxy
	}
	return trace.Browser
}

// master is uWSGI's master loop, reduced to what the lab shows: about once
// a second it samples the listen queues (stats, and the "full !!!" line) and
// checks harakiri.
func (s *Server) master() {
	defer s.wg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			s.checkQueues()
			if s.cfg.Harakiri > 0 {
				s.lifeMu.Lock()
				s.checkHarakiri(time.Now())
				s.lifeMu.Unlock()
			}
		case <-s.quit:
			return
		}
	}
}

// checkQueues logs uWSGI's warning while a socket's accept queue is full
// (core/master.c master_check_listen_queue), and keeps the total for the
// stats: -1 unless every socket's queue can be read (see QueueKnown), as
// Stats says.
func (s *Server) checkQueues() {
	total, known := 0, len(s.workerSockets) > 0
	for _, l := range s.workerSockets {
		cur, maxq, ok := queue(l.raw)
		if !ok {
			known = false
			continue
		}
		total += cur
		if cur > 0 && trace.Watched(s.rec) {
			n, name := itoa(cur), l.name()
			s.rec.Record(trace.Event{To: trace.Uwsgi, Instance: s.name, Phase: trace.Info, At: trace.Now(),
				Why:   n + " connection(s) waiting in the listen queue of " + name,
				WhyZH: n + " 个连接在 " + name + " 的监听队列中等待"})
		}
		if maxq > 0 && cur >= maxq {
			s.queueErrors.Add(1)
			s.log.Printf("%s - *** uWSGI listen queue of socket \"%s\" (fd: %d) full !!! (%d/%d) ***", asctime(time.Now()), l.name(), l.fd, cur, maxq)
		}
	}
	if !known {
		total = -1
	}
	s.listenQueue.Store(int64(total))
}

// checkHarakiri kills every worker with a request running longer than
// harakiri seconds. uWSGI's master checks once a second, so a request dies
// between harakiri and harakiri+1 seconds after it started.
func (s *Server) checkHarakiri(now time.Time) {
	limit := time.Duration(s.cfg.Harakiri) * time.Second
	for _, slot := range s.slots {
		w := slot.cur.Load()
		if w == nil || w.dead.Load() {
			continue
		}
		for _, c := range w.cores {
			if st := c.busySince(); !st.IsZero() && now.Sub(st) >= limit {
				c.mu.Lock()
				c.harakiri = true
				c.mu.Unlock()
				s.kill(w)
				break
			}
		}
	}
}

// kill is harakiri: the worker "dies" (its connections are closed with
// nothing written, its requests' Contexts are cancelled) and the master
// respawns the slot at once.
func (s *Server) kill(w *worker) {
	slot := w.slot
	pid := s.pid
	// uWSGI's master prefixes these lines with the time, then lists what
	// each core was doing (core/master_checks.c).
	now := asctime(time.Now())
	s.log.Printf("%s - *** HARAKIRI ON WORKER %d (pid: %d, try: 1) ***", now, slot.id, pid)
	s.log.Printf("%s - HARAKIRI !!! worker %d status !!!", now, slot.id)
	for _, c := range w.cores {
		c.mu.Lock()
		if !c.started.IsZero() && c.method != "" {
			s.log.Printf("%s - HARAKIRI [core %d] %s - %s %s since %d", now, c.id, c.remote, c.method, c.uri, c.started.Unix())
		}
		c.mu.Unlock()
	}
	s.log.Printf("%s - HARAKIRI !!! end of worker %d status !!!", now, slot.id)
	slot.harakiriCount.Add(1)
	s.terminate(w)
	s.rec.Record(trace.Event{To: trace.Uwsgi, Instance: s.name, Phase: trace.Failed, At: trace.Now(), State: true,
		Kind: trace.InstanceFailed, Subject: s.name,
		Why:   "harakiri: worker " + itoa(slot.id) + " killed after " + itoa(s.cfg.Harakiri) + " s",
		WhyZH: "harakiri：工作进程 " + itoa(slot.id) + " 运行超过 " + itoa(s.cfg.Harakiri) + " 秒，被杀死"})
	s.log.Printf("DAMN ! worker %d (pid: %d) died, killed by signal 9 :( trying respawn ...", slot.id, pid)
	select {
	case <-s.closing:
		s.noWorkersLeft()
		return
	default:
	}
	if w.retiring.Load() {
		return // a graceful reload is replacing it anyway
	}
	s.spawnWorker(slot)
	s.log.Printf("Respawned uWSGI worker %d (new pid: %d)", slot.id, pid)
}

// terminate is SIGKILL for a worker: it is marked dead (its results are
// dropped), its connections are closed with nothing written and its
// requests' Contexts are cancelled.
func (s *Server) terminate(w *worker) {
	w.dead.Store(true)
	w.stop()
	s.removeIdle(w)
	for _, c := range w.cores {
		c.mu.Lock()
		if c.conn != nil {
			c.killed.Store(true)
			switch conn := c.conn.(type) {
			case interface{ abort() }: // the direct path's connection
				conn.abort() // its core closes it
			case *net.TCPConn:
				// As abort does: the peer sees the connection end at
				// once (nginx: "upstream prematurely closed connection"),
				// and the core's read or write fails; the core closes it.
				conn.SetLinger(0)
				conn.CloseWrite()
				conn.CloseRead()
			case *net.UnixConn:
				conn.CloseWrite()
				conn.CloseRead()
			default:
				conn.Close()
			}
		}
		if c.cancel != nil {
			c.cancel()
		}
		c.mu.Unlock()
	}
}

// backOff waits after a failed accept as net/http's Serve does, 5 ms
// doubling to 1 s (*backoff keeps the current pause), and reports false
// when the server closes or quit (a worker's) ends the wait first.
func (s *Server) backOff(backoff *time.Duration, quit <-chan struct{}) bool {
	*backoff = min(max(2**backoff, 5*time.Millisecond), time.Second)
	t := time.NewTimer(*backoff)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.closing:
	case <-quit:
	}
	return false
}
