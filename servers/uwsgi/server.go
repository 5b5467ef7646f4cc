package uwsgi

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"webflow-lab/servers/errno"
	"webflow-lab/servers/explain"
	"webflow-lab/servers/trace"
	"webflow-lab/servers/wsgi"
)

// Version is the uWSGI version whose behaviour this server follows; it is
// what the stats server reports.
const Version = "2.0.21-webflow-lab"

// ErrNoApp is wrapped by Start's error when need-app is set and the app
// could not be loaded (uWSGI: "*** no app loaded. GAME OVER ***", exit 22).
var ErrNoApp = errors.New("uwsgi: no app loaded")

// ErrServerClosed is returned by Start after Shutdown.
var ErrServerClosed = errors.New("uwsgi: server closed")

// Server is one uWSGI-compatible instance. Build it with New, run it with
// Start, stop it with Shutdown; Reload rebuilds the app and the workers while
// keeping the sockets, as `uwsgi --reload` does.
type Server struct {
	cfg    Config
	opts   Options
	rec    trace.Recorder
	points *trace.Points
	// tracing is false when nobody listens, so the hot path builds no
	// events (their Why strings cost allocations).
	tracing bool
	log     *logger
	name    string
	pid     int
	dir     string // chdir, absolute; "" = the process's working directory
	loader  func(AppRef) (wsgi.App, error)

	processes, threads int
	bufferSize         int
	socketTimeout      time.Duration
	statics            []staticMap

	app     atomic.Pointer[appHolder]
	started time.Time

	listeners     []*listener // every bound socket, in bind order
	workerSockets []*listener // the ones workers accept on
	routers       []*router
	direct        *listener // the one worker socket when cores accept on it themselves (direct.go)
	stats         *listener

	slots []*workerSlot

	idleMu  sync.Mutex
	idle    []*core
	idleSig chan struct{}

	lifeMu   sync.Mutex // serialises harakiri, reload and shutdown
	reloadMu sync.Mutex // one reload at a time
	closing  chan struct{}
	quit     chan struct{}
	// noCores is closed once Shutdown has begun and every slot's worker has
	// quit with nothing to replace it, so no core will ever take another
	// connection (noWorkersLeft); an acceptor holding one then closes it.
	noCores   chan struct{}
	noCoresO  sync.Once
	stopOnce  sync.Once
	closeO    sync.Once // closes closing (Shutdown, or a failed Start)
	quitO     sync.Once
	closeOnce sync.Once
	acceptors sync.WaitGroup // accept loops and routers: the front side
	wg        sync.WaitGroup // cores, master, stats: drained after the front
	state     atomic.Int32   // 0 new, 1 running, 2 closed

	killed        atomic.Bool // Kill: no goodbye, no vacuum
	totalRequests atomic.Int64
	listenQueue   atomic.Int64
	queueErrors   atomic.Int64
	pidfileMade   bool
	logFile       *os.File

	configureO   sync.Once
	configureErr error
}

// appHolder is the loaded app; app is nil in uWSGI's "full dynamic mode"
// (no app loaded: every request gets a 500).
type appHolder struct {
	app     wsgi.App
	loadErr error
}

// New checks nothing and binds nothing: Start does, as uWSGI does at startup.
func New(cfg Config, opts Options) *Server {
	s := &Server{cfg: cfg, opts: opts, rec: trace.OrNop(opts.Recorder), tracing: trace.OrNop(opts.Recorder) != trace.Nop,
		idleSig: make(chan struct{}, 1), closing: make(chan struct{}), quit: make(chan struct{}), noCores: make(chan struct{}),
		pid: os.Getpid()}
	s.processes = max(cfg.Processes, 1)
	s.threads = max(cfg.Threads, 1)
	s.bufferSize = cfg.BufferSize
	if s.bufferSize <= 0 {
		s.bufferSize = 4096
	}
	s.socketTimeout = cfg.SocketTimeout
	if s.socketTimeout <= 0 {
		s.socketTimeout = 4 * time.Second
	}
	if s.cfg.Listen <= 0 {
		s.cfg.Listen = 100
	}
	s.points = opts.Points
	s.loader = opts.Loader
	if s.loader == nil {
		s.loader = BuiltinLoader
	}
	var out io.Writer = io.Discard
	if opts.Logger != nil {
		out = opts.Logger
	}
	s.log = newLogger(out)
	return s
}

// Start runs the startup sequence (pidfile, chdir, bind, load the app, spawn
// the workers, the stats server, the http routers) and returns once the
// instance is serving. A failure closes whatever was opened and returns a
// *explain.Error (uWSGI's own lines are in the log; uWSGI exits with 1).
func (s *Server) Start() error {
	if !s.state.CompareAndSwap(0, 1) {
		return ErrServerClosed
	}
	if err := s.start(); err != nil {
		s.abort(!s.opts.Detached || errors.Is(err, ErrNoApp))
		s.state.Store(2)
		return err
	}
	return nil
}

func (s *Server) fail(code int, e *explain.Error, lines ...string) error {
	_ = code // every fatal startup error ends uWSGI with exit status 1
	for _, ln := range lines {
		s.log.Print(ln)
	}
	return e
}

// Configure does what uWSGI does while it reads its options, before it
// daemonizes: it logs the notes about the config (the lab's) and each
// static-map mapping, and refuses a static-map without "=" (uWSGI exits
// with 1). Start calls it when it has not run; webflow-lab uwsgi calls it
// first when it is about to detach, so that these lines reach the terminal
// and a bad static-map stops it there, as in uWSGI.
func (s *Server) Configure() error {
	s.configureO.Do(func() { s.configureErr = s.configure() })
	return s.configureErr
}

func (s *Server) configure() error {
	s.logNotes()
	for _, sm := range s.cfg.StaticMaps {
		mount, docroot, ok := strings.Cut(sm, "=")
		if !ok || docroot == "" {
			return s.fail(1, &explain.Error{
				What:  explain.T("uwsgi: invalid static-map "+sm, "uwsgi: static-map 写法错误: "+sm),
				Where: s.where("static-map", sm),
				Why:   explain.T("static-map needs mountpoint=docroot", "static-map 的格式是 挂载点=目录"),
				Try:   explain.T("write it as static-map = /static=static", "写成 static-map = /static=static"),
			}, "invalid document root in static map, syntax mountpoint=docroot")
		}
		if !s.opts.Detached {
			s.log.Printf("[uwsgi-static] added mapping for %s => %s", mount, docroot)
		}
		s.statics = append(s.statics, staticMap{mount: mount, text: docroot, docroot: docroot})
	}
	return nil
}

// logNotes logs the config's notes, each as the block a learner reads.
func (s *Server) logNotes() {
	for _, n := range s.cfg.Notes {
		s.log.Print(n.Block(s.opts.Lang))
	}
}

// logOptionsRead logs what uWSGI logs when it reads its options again
// after a reload's re-exec: each ini file, the notes, the static-map
// mappings.
func (s *Server) logOptionsRead() {
	for _, f := range s.cfg.Files {
		s.log.Printf("[uWSGI] getting INI configuration from %s", f)
	}
	s.logNotes()
	for _, sm := range s.statics {
		s.log.Printf("[uwsgi-static] added mapping for %s => %s", sm.mount, sm.text)
	}
}

func (s *Server) start() error {
	cfg := &s.cfg
	s.started = time.Now()
	// The options are read (static-map lines logged) before daemonize
	// moves the log to its file, as in uWSGI.
	if err := s.Configure(); err != nil {
		return err
	}
	if cfg.Daemonize != "" && !s.opts.Detached {
		// Inside one process (the lab's instances are goroutines) daemonize
		// cannot detach: it means what it means for the log, which goes to
		// the file from here on.
		f, err := s.OpenDaemonizeLog()
		if err != nil {
			return err
		}
		s.logFile = f
		s.log.setWriter(f)
	}
	s.log.Printf("*** Starting uWSGI %s (%dbit) on [%s] ***", Version, 32<<(^uint(0)>>63), asctime(s.started))
	wd, _ := os.Getwd()
	s.log.Printf("current working directory: %s", wd)
	if cfg.Pidfile != "" {
		// uWSGI writes the pidfile before chdir: a relative path is relative
		// to where uwsgi was started.
		s.log.Printf("writing pidfile to %s", cfg.Pidfile)
		if err := os.WriteFile(cfg.Pidfile, []byte(itoa(s.pid)+"\n"), 0o644); err != nil {
			return s.fail(1, &explain.Error{
				What:  explain.T("uwsgi: cannot write the pidfile "+cfg.Pidfile, "uwsgi: 无法写入 pidfile "+cfg.Pidfile),
				Where: s.where("pidfile", cfg.Pidfile),
				Why:   pathWhy(cfg.Pidfile, err),
				Try:   explain.T("check that the directory exists and that no comment follows the path on the same line", "检查目录是否存在，以及同一行路径后面是否跟了注释"),
				Err:   err,
			}, fmt.Sprintf("open(\"%s\"): %s [core/utils.c line 3624]", cfg.Pidfile, errno.Strerror(errors.Unwrap(err))))
		}
		s.pidfileMade = true
	}
	if exe, err := os.Executable(); err == nil {
		s.log.Printf("detected binary path: %s", exe)
	}
	if cfg.Chdir != "" {
		dir := cfg.Chdir
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(wd, dir)
		}
		s.log.Printf("chdir() to %s", cfg.Chdir)
		fi, err := os.Stat(dir)
		if err == nil && !fi.IsDir() {
			err = &fs.PathError{Op: "chdir", Path: dir, Err: errNotDir}
		}
		if err != nil {
			var pe *fs.PathError
			msg, msgZH := err.Error(), err.Error()
			if errors.As(err, &pe) {
				msg, msgZH = errno.Strerror(pe.Err), errnoZH(pe.Err)
			}
			return s.fail(1, &explain.Error{
				What:  explain.T("uwsgi: chdir() to "+cfg.Chdir+" failed", "uwsgi: chdir() 到 "+cfg.Chdir+" 失败"),
				Where: s.where("chdir", cfg.Chdir),
				Why: explain.T("the project directory cannot be entered: "+msg+". uWSGI has no inline comments, so text after the path is part of the path",
					"无法进入项目目录: "+msgZH+"。uWSGI 不支持行内注释，路径后面的文字也会被当成路径的一部分"),
				Try: explain.T("write the project's absolute path alone on the line (put comments on their own line starting with # or ;)",
					"这一行只写项目的绝对路径 (注释单独成行，以 # 或 ; 开头)"),
				Err: err,
			}, "chdir(): "+msg+" [core/uwsgi.c line 2625]")
		}
		s.dir = dir
	}
	for i := range s.statics {
		if !filepath.IsAbs(s.statics[i].docroot) && s.dir != "" {
			s.statics[i].docroot = filepath.Join(s.dir, s.statics[i].docroot)
		}
		if r, err := filepath.EvalSymlinks(s.statics[i].docroot); err == nil {
			s.statics[i].real, _ = filepath.Abs(r)
		}
	}
	if len(cfg.Sockets)+len(cfg.HTTP)+len(cfg.HTTPSockets) == 0 {
		return s.fail(1, &explain.Error{
			What:  explain.T("uwsgi: no socket to listen on", "uwsgi: 没有配置任何监听地址"),
			Where: s.where("", ""),
			Why: explain.T("the config has no socket, http or http-socket line (or its [uwsgi] section header is broken, e.g. a comment after it)",
				"配置里没有 socket、http 或 http-socket (或者 [uwsgi] 段名那一行写坏了，比如后面跟了注释)"),
			Try: explain.T("add `socket = 127.0.0.1:9001` for nginx, or `http = 127.0.0.1:9000` for a browser",
				"给 nginx 用就加 `socket = 127.0.0.1:9001`，直接给浏览器用就加 `http = 127.0.0.1:9000`"),
		}, "The -s/--socket option is missing and stdin is not a socket.")
	}
	if max := somaxconn(); max > 0 && s.cfg.Listen > max {
		return s.fail(1, &explain.Error{
			What:  explain.T("uwsgi: listen = "+itoa(s.cfg.Listen)+" is larger than the system allows", "uwsgi: listen = "+itoa(s.cfg.Listen)+" 超过了系统上限"),
			Where: s.where("listen", itoa(s.cfg.Listen)),
			Why:   explain.T("Linux caps every accept queue at net.core.somaxconn ("+itoa(max)+")", "Linux 用 net.core.somaxconn ("+itoa(max)+") 限制每个监听队列的长度"),
			Try:   explain.T("lower listen, or raise the limit: sysctl -w net.core.somaxconn=N", "调小 listen，或调大系统上限: sysctl -w net.core.somaxconn=N"),
		}, fmt.Sprintf("Listen queue size is greater than the system max net.core.somaxconn (%d).", max))
	}
	if err := s.bindAll(); err != nil {
		return err
	}
	s.logPythonInit()
	s.logModes()
	s.loadApp()
	if s.cfg.NeedApp && !s.AppLoaded() {
		e := s.AppError()
		e.Err = ErrNoApp
		return e // uWSGI exits with status 22
	}
	if len(s.workerSockets) == 1 && s.opts.Listener == nil {
		l := s.workerSockets[0]
		if openDirect(l) == nil {
			s.direct = l
		}
	}
	if s.cfg.Master || s.cfg.Stats != "" {
		s.log.Printf("spawned uWSGI master process (pid: %d)", s.pid)
	}
	for i := 1; i <= s.processes; i++ {
		slot := &workerSlot{id: i}
		for j := 0; j < s.threads; j++ {
			slot.cores = append(slot.cores, &coreSlot{})
		}
		s.slots = append(s.slots, slot)
		s.spawnWorker(slot)
		s.log.Printf("spawned uWSGI worker %d (pid: %d, cores: %d)", i, s.pid, s.threads)
	}
	s.checkQueues() // the stats' first figures, before the master's first tick
	s.wg.Add(1)
	go s.master()
	acceptFirst := len(s.workerSockets) > 1
	for _, l := range s.workerSockets {
		if s.direct != nil {
			break // the cores accept themselves
		}
		s.acceptors.Add(1)
		go s.acceptLoop(l, acceptFirst)
	}
	if s.stats != nil {
		s.logStatsServer()
		s.wg.Add(1)
		go s.serveStats(s.stats)
	}
	for i, r := range s.routers {
		s.acceptors.Add(1)
		go r.serve()
		s.log.Printf("spawned uWSGI http %d (pid: %d)", i+1, s.pid)
	}
	s.rec.Record(trace.Event{To: trace.Uwsgi, Instance: s.name, Phase: trace.Info, At: trace.Now(), State: true,
		Kind: trace.InstanceStarted, Subject: s.name,
		Why:   "instance started: " + itoa(s.processes) + " processes × " + itoa(s.threads) + " threads",
		WhyZH: "实例已启动：" + itoa(s.processes) + " 个进程 × " + itoa(s.threads) + " 个线程"})
	return nil
}

var errNotDir = errno.ENOTDIR

// logPythonInit logs what uWSGI's Python plugin logs once the sockets are
// bound, as far as the lab has it: virtualenv sets PYTHONHOME.
func (s *Server) logPythonInit() {
	if s.cfg.Virtualenv != "" {
		s.log.Printf("Set PythonHome to %s", s.cfg.Virtualenv)
		s.log.Printf("(webflow-lab: virtualenv is accepted and ignored; there is no Python here)")
	}
}

// logStatsServer logs the stats server's line, at every start and reload.
func (s *Server) logStatsServer() {
	if s.stats != nil {
		s.log.Printf("*** Stats server enabled on %s fd: %d ***", s.stats.name(), s.stats.fd)
	}
}

// logModes logs the lines uWSGI logs before it loads the app.
func (s *Server) logModes() {
	s.log.Printf("your server socket listen backlog is limited to %d connections", s.cfg.Listen)
	s.log.Printf("your mercy for graceful operations on workers is 60 seconds")
	s.log.Printf("*** Operational MODE: %s ***", s.mode())
}

// OpenDaemonizeLog opens the daemonize file the way uWSGI's logto does
// (O_APPEND, created with mode 0640). When it cannot, it logs uWSGI's line
// (core/logging.c) and returns the error explained. Start calls it; so does
// webflow-lab uwsgi before it detaches, to hand the file to the daemon as
// its stdout and stderr.
func (s *Server) OpenDaemonizeLog() (*os.File, error) {
	path := s.cfg.Daemonize
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err == nil {
		return f, nil
	}
	return nil, s.fail(1, &explain.Error{
		What:  explain.T("uwsgi: cannot open the daemonize log "+path, "uwsgi: 无法打开 daemonize 日志文件 "+path),
		Where: s.where("daemonize", path),
		Why:   pathWhy(path, err),
		Try:   explain.T("make sure the directory exists and is writable (and that no comment follows the path on the same line)", "确认目录存在且可写 (并且同一行路径后面没有注释)"),
		Err:   err,
	}, fmt.Sprintf("open(\"%s\"): %s [core/logging.c line 288]", path, errno.Strerror(errors.Unwrap(err))))
}

// pathWhy explains a file that could not be created, quoting the path as
// uWSGI read it (an inline comment shows up inside the quotes).
func pathWhy(path string, err error) explain.Text {
	var pe *fs.PathError
	cause, causeZH := err.Error(), err.Error()
	if errors.As(err, &pe) {
		cause, causeZH = errno.Strerror(pe.Err), errnoZH(pe.Err)
	}
	dir := filepath.Dir(path)
	return explain.T(fmt.Sprintf("%s: the path is read literally as %q; its directory %q must exist", cause, path, dir),
		fmt.Sprintf("%s: 路径按字面读取为 %q，它所在的目录 %q 必须存在", causeZH, path, dir))
}

// errnoZH is strerror in Chinese for the errors a learner meets.
func errnoZH(err error) string {
	switch {
	case errno.Is(err, errno.ENOENT):
		return "没有那个文件或目录 (No such file or directory)"
	case errno.Is(err, errno.ENOTDIR):
		return "不是目录 (Not a directory)"
	case errno.Is(err, errno.EACCES):
		return "权限不够 (Permission denied)"
	}
	return errno.Strerror(err)
}

// where names the config line for an error.
func (s *Server) where(opt, val string) string {
	f := s.cfg.File
	if f == "" {
		f = "command line"
	}
	if opt == "" {
		return f
	}
	if w, ok := s.cfg.Where[opt+"="+val]; ok {
		f = w
	} else if w, ok := s.cfg.Where[opt]; ok {
		f = w
	}
	return f + ": " + opt + " = " + val
}

func (s *Server) mode() string {
	switch {
	case s.processes > 1 && s.threads > 1:
		return "preforking+threaded"
	case s.processes > 1:
		return "preforking"
	case s.threads > 1:
		return "threaded"
	}
	return "single process"
}

// bindAll binds every socket in uWSGI's order: the http routers' public
// ports, then the uwsgi sockets (with the internal one for a lone http
// router), then http-sockets, then stats.
func (s *Server) bindAll() error {
	cfg := &s.cfg
	defer0 := int(s.socketTimeout / time.Second)
	bindOne := func(opt, raw, proto string, deferAccept int) (*listener, error) {
		a := parseAddr(raw, s.dir)
		ln, created, err := bind(a, s.cfg.Listen, deferAccept)
		if err != nil {
			if created {
				os.Remove(a.path)
			}
			lines, e := bindError(cfg, opt, a, err)
			return nil, s.fail(1, e, lines...)
		}
		l := &listener{a: a, proto: proto, ln: ln, raw: ln, fd: fdOf(ln), created: created}
		s.listeners = append(s.listeners, l)
		return l, nil
	}
	for _, raw := range cfg.HTTP {
		l, err := bindOne("http", raw, "router", 0)
		if err != nil {
			return err
		}
		s.log.Printf("uWSGI http bound on %s fd %d", raw, l.fd)
	}
	sockets := cfg.Sockets
	internal := false
	if len(sockets) == 0 && len(cfg.HTTP) > 0 {
		sockets, internal = []string{"127.0.0.1:0"}, true
	}
	for i, raw := range sockets {
		l, err := bindOne("socket", raw, "uwsgi", defer0)
		if err != nil {
			return err
		}
		l.internal = internal
		kind := "TCP"
		if l.a.network == "unix" {
			kind = "UNIX"
		}
		name := l.a.raw // uWSGI prints the option's text, inline comment and all
		if l.a.network == "tcp" && l.a.port == 0 {
			name = l.ln.Addr().String() + " (port auto-assigned)"
		}
		s.log.Printf("uwsgi socket %d bound to %s address %s fd %d", i, kind, name, l.fd)
		s.workerSockets = append(s.workerSockets, l)
	}
	for i, raw := range cfg.HTTPSockets {
		l, err := bindOne("http-socket", raw, "http", defer0)
		if err != nil {
			return err
		}
		s.log.Printf("uwsgi socket %d bound to TCP address %s fd %d", len(sockets)+i, raw, l.fd)
		s.workerSockets = append(s.workerSockets, l)
	}
	for _, l := range s.workerSockets {
		if s.opts.Listener != nil {
			l.ln = s.opts.Listener(l.ln)
		}
	}
	if cfg.Stats != "" {
		l, err := bindOne("stats", cfg.Stats, "stats", 0)
		if err != nil {
			return err
		}
		s.stats = l
	}
	s.name = s.opts.Name
	if s.name == "" {
		if len(s.workerSockets) > 0 && !s.workerSockets[0].internal {
			s.name = s.workerSockets[0].name()
		} else {
			s.name = s.listeners[0].name()
		}
	}
	// The routers forward to the first uwsgi socket, as uWSGI's http router
	// does when no http-to is given.
	var target *listener
	for _, l := range s.workerSockets {
		if l.proto == "uwsgi" {
			target = l
			break
		}
	}
	for _, l := range s.listeners {
		if l.proto == "router" {
			s.routers = append(s.routers, newRouter(s, l, target))
		}
	}
	return nil
}

// Addrs returns the bound addresses by option: "socket", "http",
// "http-socket", "stats" (the internal router socket is not listed).
func (s *Server) Addrs() map[string][]net.Addr {
	m := map[string][]net.Addr{}
	for _, l := range s.listeners {
		opt := map[string]string{"uwsgi": "socket", "router": "http", "http": "http-socket", "stats": "stats"}[l.proto]
		if l.internal {
			continue
		}
		m[opt] = append(m[opt], l.raw.Addr())
	}
	return m
}

// Name is the instance's name in trace events.
func (s *Server) Name() string { return s.name }
