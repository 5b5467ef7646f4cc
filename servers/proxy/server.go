package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"webflow-lab/servers/errno"
	"webflow-lab/servers/explain"
	"webflow-lab/servers/internal/sock"
	"webflow-lab/servers/proxy/balance"
	"webflow-lab/servers/proxy/config"
	"webflow-lab/servers/trace"
)

// A Dialer opens connections to upstream peers. *net.Dialer is one; a test
// may supply another. The lab's faults do not come through here: they are
// Points, asked on the normal path (see Options.Points).
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// Options are a Server's hooks. Every field is optional; what nil means is
// said for each.
type Options struct {
	// Prefix is nginx's -p: relative paths in the config resolve against it.
	// Empty: the directory of ConfFile's parent (nginx's conf/ layout), or ".".
	Prefix string
	// ConfFile names the main config file in messages; empty: "nginx.conf".
	ConfFile string
	// Recorder receives hop events; nil records nothing.
	Recorder trace.Recorder
	// Dialer connects to upstream peers, within the connect_timeout the
	// context's deadline carries. nil is the upstream engine's own
	// (sock.Dialer): nginx's socket options on every path.
	Dialer Dialer
	// ErrorLog and AccessLog, when set, receive every error-log and access-log
	// line instead of the files the config names (tests and the TUI use them).
	ErrorLog  io.Writer
	AccessLog io.Writer
	// Now is the clock for logs and Date headers; nil is time.Now.
	Now func() time.Time
	// Listen opens a listening socket; nil is a net.ListenConfig without
	// TCP keep-alive on accepted connections (nginx's so_keepalive is off).
	// Tests use it; the lab leaves it nil (its faults are Points).
	Listen func(network, address string) (net.Listener, error)
	// Points are the lab's switches at the proxy's hops (browser→proxy,
	// proxy→uwsgi, the connect to a peer, proxy→browser); nil is never
	// armed.
	Points *trace.Points
}

// A Server is the running proxy: nginx's master and one worker in one
// process. Start opens the listeners; Reload swaps the configuration the way
// nginx -s reload does; Shutdown stops gracefully.
type Server struct {
	opts   Options
	rec    trace.Recorder
	traced bool // rec is not trace.Nop: build hop events
	dialer Dialer
	files  *logFiles

	cur atomic.Pointer[conf]

	mu        sync.Mutex
	listeners map[string]*listener // by listen address
	conns     map[*conn]struct{}
	started   bool
	closing   bool
	wg        sync.WaitGroup // accept loops and connections

	connSeq     atomic.Uint64
	open        int           // client connections holding a place of worker_connections
	reuseWarned int64         // the second of the last "reusing connections" warning
	done        chan struct{} // closed by Shutdown/Close
}

type listener struct {
	addr string
	ln   net.Listener
	done chan struct{} // closed when its accept loop returned
}

// New compiles cfg and returns a Server ready to Start. Errors are
// *explain.Error with the file and line nginx would print.
func New(cfg *config.Config, opts Options) (*Server, error) {
	if opts.ConfFile == "" && cfg != nil {
		opts.ConfFile = cfg.Path
	}
	s, err := newServer(directivesOf(cfg), opts)
	if err == nil && cfg != nil {
		s.cur.Load().cfgWarnings = fromConfig(cfg.Warnings)
	}
	return s, err
}

func directivesOf(cfg *config.Config) []*config.Directive {
	if cfg == nil {
		return nil
	}
	return cfg.Directives
}

func newServer(root []*config.Directive, opts Options) (*Server, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ConfFile == "" {
		opts.ConfFile = "nginx.conf"
	}
	if opts.Prefix == "" {
		opts.Prefix = filepath.Dir(opts.ConfFile)
	}
	s := &Server{
		opts:      opts,
		rec:       trace.OrNop(opts.Recorder),
		dialer:    opts.Dialer,
		files:     newLogFiles(opts.AccessLog, opts.ErrorLog),
		listeners: map[string]*listener{},
		conns:     map[*conn]struct{}{},
		done:      make(chan struct{}),
	}
	s.traced = s.rec != trace.Nop
	cf, err := compile(root, opts.Prefix, opts.ConfFile, s.files)
	if err != nil {
		s.files.close()
		return nil, configError(opts.ConfFile, err)
	}
	s.watchUpstreams(cf)
	s.cur.Store(cf)
	return s, nil
}

// configError wraps a compile error for a learner.
func configError(file string, err error) error {
	var ce *confError
	where := file
	if errors.As(err, &ce) && ce.file != "" {
		where = fmt.Sprintf("%s:%d", ce.file, ce.line)
	}
	msg := err.Error()
	if ce != nil {
		msg = ce.msg
	}
	return &explain.Error{
		What:  explain.T("proxy: [emerg] "+msg, "proxy: [emerg] "+msg),
		Where: where,
		Why: explain.T("nginx refuses this configuration and would not start",
			"nginx 拒绝这个配置文件，不会启动"),
		Try: explain.T("fix the line shown, then run `webflow-lab proxy -t` to check the configuration",
			"修改所示的那一行，然后运行 `webflow-lab proxy -t` 检查配置文件"),
		Err: err,
	}
}

// Warnings returns what the current configuration is legal but dangerous
// about (the alias missing-slash traversal).
func (s *Server) Warnings() []Warning {
	cf := s.cur.Load()
	return append(append([]Warning(nil), cf.cfgWarnings...), cf.warnings...)
}

// labWarnings are the lab's own notes on the current configuration, which
// nginx does not print.
func (s *Server) labWarnings() []Warning { return s.cur.Load().warnings }

// logWarnings writes the configuration's warnings to the error log as
// nginx's [warn] lines. At start nginx prints its own warnings on the
// terminal only (its error log is not open yet while it parses); a reload
// logs them, as nginx's master does, if the error_log level lets warnings
// through (the default, error, does not). The lab's own announcements (its
// notes, and the directives it accepts without implementing) are written
// at every start and reload whatever the level: a learner must find them
// in the file nginx would have used.
func (s *Server) logWarnings(cf *conf, reload bool) {
	for _, w := range append(append([]Warning(nil), cf.cfgWarnings...), cf.warnings...) {
		switch {
		case !w.Nginx:
			cf.errorLog.logAlways(s.now(), levelWarn, "webflow-lab: "+w.logText())
		case w.Unimplemented:
			cf.errorLog.logAlways(s.now(), levelWarn, w.logText())
		case reload:
			cf.errorLog.log(s.now(), levelWarn, 0, w.logText(), "")
		}
	}
}

// PidFile is the pid directive's path (default logs/nginx.pid under the prefix).
func (s *Server) PidFile() string { return s.cur.Load().pidFile }

func (s *Server) now() time.Time { return s.opts.Now() }

func (s *Server) listen(addr string) (net.Listener, error) {
	if s.opts.Listen != nil {
		return s.opts.Listen("tcp", addr)
	}
	// No TCP keepalive on accepted sockets: nginx's listen so_keepalive is
	// off by default, and Go's keepalive is four setsockopt(2)s per accept.
	lc := net.ListenConfig{KeepAlive: -1}
	return lc.Listen(context.Background(), "tcp", addr)
}

// Start opens every listening socket of the configuration and starts
// serving. A busy port is an *explain.Error whose Where is the listen
// line (file:line).
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return errors.New("proxy: already started")
	}
	cf := s.cur.Load()
	opened, err := s.openListeners(cf)
	if err != nil {
		return err
	}
	s.started = true
	for _, l := range opened {
		s.serveListener(l)
	}
	s.logWarnings(cf, false)
	return nil
}

// openListeners opens the sockets of cf that are not open yet; on error it
// closes those it opened and leaves the running ones alone.
func (s *Server) openListeners(cf *conf) ([]*listener, error) {
	var opened []*listener
	for _, addr := range cf.order {
		if _, ok := s.listeners[addr]; ok {
			continue
		}
		ln, err := s.listen(addr)
		if err != nil {
			for _, l := range opened {
				l.ln.Close()
			}
			return nil, bindError(cf, addr, err)
		}
		opened = append(opened, &listener{addr: addr, ln: ln, done: make(chan struct{})})
	}
	return opened, nil
}

func bindError(cf *conf, addr string, err error) error {
	msg := fmt.Sprintf("bind() to %s failed (%s)", addr, errno.Format(err))
	cf.errorLog.log(time.Now(), levelEmerg, 0, msg, "")
	where := cf.listenAt[addr] // the listen line, so a learner with several conf.d files finds it
	if where == "" {
		where = addr
	}
	e := &explain.Error{
		What:  explain.T("proxy: [emerg] "+msg, "proxy: [emerg] "+msg),
		Where: where,
		Why:   explain.T("another program is listening on "+addr, "端口被占用：另一个程序正在监听 "+addr),
		Try: explain.T("stop the other program ("+explain.ListenersCmd()+" shows it) or change the listen line at "+where,
			"停止占用端口的程序（"+explain.ListenersCmd()+" 可以看到它），或者修改 "+where+" 的 listen 指令"),
		Err: err,
	}
	return e
}

// serveListener starts the accept loop for l; s.mu is held.
func (s *Server) serveListener(l *listener) {
	s.listeners[l.addr] = l
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(l.done)
		var backoff time.Duration
		for {
			nc, err := l.ln.Accept()
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() || isTemporary(err) {
					// EMFILE and friends: nginx logs "accept() failed" and retries.
					backoff = min(max(backoff*2, 5*time.Millisecond), time.Second)
					s.cur.Load().errorLog.log(s.now(), levelCrit, 0, "accept() failed ("+errno.Format(err)+")", "")
					select {
					case <-time.After(backoff):
					case <-s.done:
						return
					}
					continue
				}
				return
			}
			backoff = 0
			if !s.track(nc, l.addr) {
				nc.Close()
			}
		}
	}()
}

func isTemporary(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

// track registers a new connection and starts its goroutine.
func (s *Server) track(nc net.Conn, addr string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	if !s.admit(s.cur.Load()) { // worker_connections
		return false
	}
	c := newConn(s, sock.Wrap(nc), addr)
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		c.serve()
		s.mu.Lock()
		s.release(c)
		delete(s.conns, c)
		s.mu.Unlock()
	}()
	return true
}

// Addrs returns the listening addresses, in config order.
func (s *Server) Addrs() []net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []net.Addr
	for _, addr := range s.cur.Load().order {
		if l, ok := s.listeners[addr]; ok {
			out = append(out, l.ln.Addr())
		}
	}
	if len(out) == 0 {
		keys := make([]string, 0, len(s.listeners))
		for k := range s.listeners {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			out = append(out, s.listeners[k].ln.Addr())
		}
	}
	return out
}

// Reload switches to a new configuration as nginx -s reload does: the new
// config serves every request that starts from now on, requests in flight
// finish on the old one, listening sockets present in both stay open (no
// connection is refused meanwhile), new ones are opened and dropped ones
// closed, and balancer state starts from zero. If the new config is broken
// or a new port cannot be bound, the old configuration keeps running and the
// error is returned (and logged, as nginx's master logs it).
func (s *Server) Reload(cfg *config.Config) error {
	var ws []config.Warning
	if cfg != nil {
		ws = cfg.Warnings
	}
	return s.reload(directivesOf(cfg), ws)
}

// ReloadFile reads the config at path again and reloads, as nginx -s
// reload makes the master do. A file that does not parse is refused like
// one that does not compile: nginx's [emerg] line goes to the running
// config's error.log, the refusal is a state event, and the old config
// keeps serving.
func (s *Server) ReloadFile(path string) error {
	cfg, err := config.Load(path)
	if err == nil {
		return s.Reload(cfg)
	}
	msg := err.Error()
	var ne *config.NginxError
	if errors.As(err, &ne) {
		msg = ne.Msg
		if ne.File != "" {
			msg += fmt.Sprintf(" in %s:%d", ne.File, ne.Line)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.cur.Load()
	cur.errorLog.log(s.now(), levelNotice, 0, "signal 1 (SIGHUP) received, reconfiguring", "")
	cur.errorLog.log(s.now(), levelEmerg, 0, msg, "")
	s.rec.Record(trace.Event{From: trace.Proxy, To: trace.Proxy, Phase: trace.Failed, At: trace.Now(),
		State: true, Kind: trace.ConfigRefused, Subject: s.opts.ConfFile, Why: msg,
		WhyZH: "配置被拒绝，旧配置继续服务：" + msg})
	return err
}

func (s *Server) reload(root []*config.Directive, ws []config.Warning) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.cur.Load()
	now := s.now()
	old.errorLog.log(now, levelNotice, 0, "signal 1 (SIGHUP) received, reconfiguring", "")
	cf, err := compile(root, s.opts.Prefix, s.opts.ConfFile, s.files)
	if err == nil {
		cf.cfgWarnings = fromConfig(ws)
	}
	if err != nil {
		var ce *confError
		msg := err.Error()
		if errors.As(err, &ce) {
			msg = ce.Error()
		}
		old.errorLog.log(now, levelEmerg, 0, msg, "")
		s.rec.Record(trace.Event{From: trace.Proxy, To: trace.Proxy, Phase: trace.Failed, At: trace.Now(),
			State: true, Kind: trace.ConfigRefused, Subject: s.opts.ConfFile, Why: msg,
			WhyZH: "配置被拒绝，旧配置继续服务：" + msg})
		return configError(s.opts.ConfFile, err)
	}
	if s.closing {
		return errors.New("proxy: server is shutting down")
	}
	var opened []*listener
	if s.started {
		opened, err = s.openListeners(cf)
		if err != nil {
			return err
		}
	}
	cf.errorLog.log(now, levelNotice, 0, "reconfiguring", "")
	s.watchUpstreams(cf)
	s.cur.Store(cf)
	for _, l := range opened {
		s.serveListener(l)
	}
	for addr, l := range s.listeners {
		if _, keep := cf.groups[addr]; !keep {
			l.ln.Close()
			delete(s.listeners, addr)
		}
	}
	s.logWarnings(cf, true)
	s.rec.Record(trace.Event{From: trace.Proxy, To: trace.Proxy, Phase: trace.Info, At: trace.Now(),
		Why: "configuration reloaded", WhyZH: "配置已重新加载", State: true, Kind: trace.ConfigReloaded, Subject: s.opts.ConfFile})
	return nil
}

// watchUpstreams reports cf's peers going down and coming back as state
// events, which a watcher always gets.
func (s *Server) watchUpstreams(cf *conf) {
	if !s.traced {
		return
	}
	for _, ub := range cf.upstreams {
		if ub.bal == nil || ub.bal.u == nil {
			continue
		}
		ub.bal.u.SetOnChange(func(c balance.Change) {
			e := trace.Event{From: trace.Proxy, To: trace.Uwsgi, Instance: c.Peer.Addr, Phase: trace.Info,
				At: trace.Now(), State: true, Subject: c.Peer.Addr}
			if c.What == balance.PeerDisabled {
				e.Kind = trace.PeerDown
				e.Why = fmt.Sprintf("upstream %s: peer %s disabled after %d failed attempts (max_fails=%d), retried after fail_timeout=%s",
					c.Upstream, c.Peer.Addr, c.Peer.Fails, c.Peer.MaxFails, c.Peer.FailTimeout)
				e.WhyZH = fmt.Sprintf("upstream %s：%s 连续失败 %d 次（max_fails=%d），暂停使用，fail_timeout=%s 后重试",
					c.Upstream, c.Peer.Addr, c.Peer.Fails, c.Peer.MaxFails, c.Peer.FailTimeout)
			} else {
				e.Kind = trace.PeerUp
				e.Why = fmt.Sprintf("upstream %s: peer %s answered again and is back in rotation", c.Upstream, c.Peer.Addr)
				e.WhyZH = fmt.Sprintf("upstream %s：%s 恢复应答，重新参与负载均衡", c.Upstream, c.Peer.Addr)
			}
			s.rec.Record(e)
		})
	}
}

// An UpstreamState is one upstream block as the running config has it:
// its balancing method and its peers' states.
type UpstreamState struct {
	Name   string
	Method string // "round robin", "ip_hash", "least_conn", "hash $key", …
	File   string // where the block is written
	Line   int
	Peers  []balance.PeerState
}

// Upstreams returns every upstream block of the running config, by name.
func (s *Server) Upstreams() []UpstreamState {
	cf := s.cur.Load()
	out := make([]UpstreamState, 0, len(cf.upstreams))
	for _, ub := range cf.upstreams {
		if ub.bal == nil || ub.bal.u == nil {
			continue
		}
		st := UpstreamState{Name: ub.name, Method: "round robin", Peers: ub.bal.u.Snapshot()}
		if m := ub.bal.u.Method(); m != nil {
			st.Method = fmt.Sprint(m)
		}
		if ub.dir != nil {
			st.File, st.Line = ub.dir.File, ub.dir.Line
		}
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ReopenLogs reopens the log files (nginx -s reopen).
func (s *Server) ReopenLogs() { s.files.reopen() }

// Shutdown stops gracefully, as nginx -s quit: listeners close at once, idle
// keep-alive connections are closed, requests in flight finish. If ctx ends
// first, the remaining connections are cut and ctx's error returned. Shutdown
// returns after every goroutine of the server has exited.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if !s.closing {
		s.closing = true
		close(s.done)
	}
	for addr, l := range s.listeners {
		l.ln.Close()
		delete(s.listeners, addr)
	}
	for c := range s.conns {
		c.closeIfIdle()
	}
	s.mu.Unlock()

	finished := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(finished)
	}()
	var err error
	select {
	case <-finished:
	case <-ctx.Done():
		err = ctx.Err()
		s.mu.Lock()
		for c := range s.conns {
			c.nc.Close()
		}
		s.mu.Unlock()
		<-finished
	}
	s.files.close()
	return err
}

// Close stops at once, as nginx -s stop: every connection is cut.
func (s *Server) Close() error {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.Shutdown(ctx)
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}
