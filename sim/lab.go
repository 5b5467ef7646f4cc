package sim

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"webflow-lab/servers/ems/sqlite"
	"webflow-lab/servers/ems/web"
	"webflow-lab/servers/explain"
	"webflow-lab/servers/proxy"
	"webflow-lab/servers/proxy/config"
	"webflow-lab/servers/trace"
	"webflow-lab/servers/uwsgi"
	"webflow-lab/servers/uwsgi/ini"
	"webflow-lab/servers/wsgi"
)

// A Lab is the running deployment built from a workspace: one proxy in
// front of the app-server instances named by the workspace's uwsgi-N.ini
// files, the EMS in each, and the database service they share.
//
// Many clients use one Lab at once — the screen, lesson checks, commands
// typed in a second terminal, tests — so it is safe for concurrent use:
// reads (Snapshot, Watch) never wait for a control, and controls run one at
// a time. It has no exported fields; what it is running is what Snapshot
// says.
type Lab struct {
	dir     string
	created bool
	opts    Options

	broker *trace.Broker
	rec    *recorder
	points *trace.Points

	// view is the lab as the last control left it, for the readers
	// (Snapshot, URL, Addrs, Notes): a reader never waits for a control in
	// progress — a graceful stop may take seconds.
	view atomic.Pointer[view]

	mu        sync.Mutex // one control at a time; guards everything below
	proxy     *proxy.Server
	proxyErr  *explain.Error
	instances []*instance
	notes     []explain.Text
	logFiles  map[string]*os.File
	faults    map[string]*instanceFaults
	blocked   map[int]blockRule
	actions   []Result
	closed    bool
	ctl       *controlServer
	traffic   trafficSet // its own lock: see traffic_runs.go

	// The database service: every file in use, by absolute path. Its own
	// lock, because app servers load their app (and open a file) inside
	// their own reloads too.
	dbMu      sync.Mutex
	dbs       map[string]*sqlite.DB
	dbStopped bool
}

// view is what readers see; publish makes a new one at the end of each
// control. Its instances are copies; their servers are safe for concurrent
// use (Stats, Addrs).
type view struct {
	proxy     *proxy.Server
	proxyErr  *explain.Error
	instances []instance
	notes     []explain.Text
	faults    map[string]instanceFaults
	blocked   map[int]blockRule
	actions   []Result
}

// publish makes the lab's current state what readers see; the caller
// holds l.mu.
func (l *Lab) publish() {
	v := &view{proxy: l.proxy, proxyErr: l.proxyErr, notes: slices.Clone(l.notes), actions: slices.Clone(l.actions),
		faults: map[string]instanceFaults{}, blocked: maps.Clone(l.blocked)}
	for _, in := range l.instances {
		v.instances = append(v.instances, *in)
	}
	for name, f := range l.faults {
		v.faults[name] = *f
	}
	l.view.Store(v)
}

// current is the published view (an empty one before the first).
func (l *Lab) current() *view {
	if v := l.view.Load(); v != nil {
		return v
	}
	return &view{}
}

// An instance is one uwsgi-N.ini and the server started from it.
type instance struct {
	name    string
	ini     string
	srv     *uwsgi.Server // nil when it never started
	cfg     uwsgi.Config  // as read at its last start
	state   RunState
	lastErr *explain.Error
}

type instanceFaults struct {
	latency       time.Duration
	latencyRule   int
	every         int
	errorsRule    int
	latencyActive bool
}

type blockRule struct {
	mode BlockMode
	rule int
}

// Options are how a lab is made; the zero value is the course's defaults.
type Options struct {
	// Ports are written into the configs when the workspace is created
	// (zero fields: DefaultPorts). An existing workspace runs on the ports
	// its files name.
	Ports Ports
	// NoControl leaves out the control endpoint that lets commands typed in
	// another terminal (`webflow-lab proxy -s reload`, `uwsgi --stop`,
	// `db stop`) reach this lab.
	NoControl bool
}

// StartWith builds the topology from the workspace at dir (creating it
// first if needed, with opts) and starts it: the database, app servers,
// then the proxy, as a real deployment does. On any error — a busy port is
// an *explain.Error from the server that could not bind — everything
// already started is stopped before the error is returned.
func StartWith(dir string, opts Options) (*Lab, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	created, err := EnsureWorkspace(abs, opts)
	if err != nil {
		return nil, err
	}
	b := trace.NewBroker()
	l := &Lab{dir: abs, created: created, opts: opts, broker: b, rec: newRecorder(b),
		dbs: map[string]*sqlite.DB{}, faults: map[string]*instanceFaults{}, blocked: map[int]blockRule{}}
	l.points = trace.NewPoints(l.rec)
	l.mu.Lock()
	err = l.start()
	l.publish()
	l.mu.Unlock()
	if err != nil {
		l.Shutdown(context.Background())
		return nil, err
	}
	return l, nil
}

func (l *Lab) start() error {
	inis, err := InstanceFiles(l.dir)
	if err != nil {
		return err
	}
	for _, path := range inis {
		in := &instance{name: strings.TrimSuffix(filepath.Base(path), ".ini"), ini: path, state: Stopped}
		l.instances = append(l.instances, in)
		if err := l.startInstance(in); err != nil {
			return err
		}
	}
	l.renameInstances()
	if err := l.startProxy(); err != nil {
		return err
	}
	if !l.opts.NoControl {
		ctl, err := startControl(l)
		if err != nil {
			return err
		}
		l.ctl = ctl
	}
	return nil
}

// startProxy starts the proxy from nginx.conf; the caller holds l.mu.
func (l *Lab) startProxy() error {
	conf := l.confFile()
	cfg, err := config.Load(conf)
	if err != nil {
		return err
	}
	p, err := proxy.New(cfg, proxy.Options{Prefix: l.dir, ConfFile: conf, Recorder: l.rec, Points: l.points})
	if err != nil {
		return err
	}
	for _, w := range p.Warnings() {
		l.addNote(explain.T(fmt.Sprint(w), fmt.Sprint(w)))
	}
	if err := p.Start(); err != nil {
		return err
	}
	l.proxy = p
	// nginx's pid file, so `webflow-lab proxy -p DIR -c nginx.conf -s reload`
	// finds the lab (every server of the lab is this one process).
	if pf := p.PidFile(); pf != "" {
		os.MkdirAll(filepath.Dir(pf), 0o755)
		if err := os.WriteFile(pf, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func (l *Lab) confFile() string { return filepath.Join(l.dir, "nginx.conf") }

// startInstance reads in's ini file and starts its app server, logging to
// logs/<name>.log. On failure the instance is Failed and the error says why.
func (l *Lab) startInstance(in *instance) error {
	err := l.startInstanceErr(in)
	if err != nil {
		in.state = Failed
		var e *explain.Error
		if errors.As(err, &e) {
			in.lastErr = e
		} else {
			in.lastErr = &explain.Error{What: explain.T(in.name+": "+err.Error(), in.name+"："+err.Error()), Err: err}
		}
		l.rec.Record(trace.Event{To: trace.Uwsgi, Instance: in.name, Phase: trace.Failed, At: trace.Now(), State: true,
			Kind: trace.InstanceFailed, Subject: in.name, Why: "could not start: " + err.Error(), WhyZH: "无法启动：" + err.Error()})
	}
	return err
}

func (l *Lab) startInstanceErr(in *instance) error {
	c, err := ini.LoadFile(in.ini)
	if err != nil {
		return err
	}
	for _, n := range c.Notes {
		l.addNote(explain.T(in.name+": "+n.What.EN, in.name+"："+n.What.In("zh")))
	}
	logf, err := l.openLog(in.name + ".log")
	if err != nil {
		return err
	}
	cfg := uwsgi.FromINI(c)
	s := uwsgi.New(cfg, uwsgi.Options{
		Recorder: l.rec, Logger: logf, Loader: l.loader, Name: in.name, Points: l.points,
	})
	if err := s.Start(); err != nil {
		return fmt.Errorf("%s: %w", filepath.Base(in.ini), err)
	}
	if e := s.AppError(); e != nil {
		l.addNote(explain.T(in.name+": "+e.Error(), in.name+"："+e.What.In("zh")))
	}
	in.srv, in.cfg, in.state, in.lastErr = s, cfg, Running, nil
	return nil
}

func (l *Lab) addNote(t explain.Text) {
	if !slices.Contains(l.notes, t) {
		l.notes = append(l.notes, t)
	}
}

// loader is how the lab's app servers find their app, the way uWSGI loads a
// Python file: a Django-style `project/wsgi.py` (wsgi-file) or
// `project.wsgi` (module) is the EMS, configured from the instance's
// `env = EMS_…` lines, on a database the lab owns (so `db stop` stops it
// for every instance); anything else is a built-in app (hello, echo).
func (l *Lab) loader(ref uwsgi.AppRef) (wsgi.App, error) {
	if !isDjangoWSGI(ref) {
		return uwsgi.BuiltinLoader(ref)
	}
	if ref.WSGIFile != "" {
		// uWSGI opens the file before anything else: a wrong chdir or
		// relative path is "failed to open python file".
		if _, err := os.Stat(ref.Path); err != nil {
			return nil, &os.PathError{Op: "open", Path: ref.WSGIFile, Err: os.ErrNotExist}
		}
	}
	cfg, err := web.ConfigFromEnv(web.EnvMap(ref.Env), ref.Dir)
	if err != nil {
		return nil, err
	}
	db, err := l.database(cfg.Database)
	if err != nil {
		return nil, err
	}
	cfg.Store = db
	return web.Open(cfg)
}

// database returns the lab's handle on the SQLite file at path, opening it
// the first time (stopped, if the database service is stopped).
func (l *Lab) database(path string) (*sqlite.DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	l.dbMu.Lock()
	defer l.dbMu.Unlock()
	if l.dbs == nil {
		return nil, errors.New("lab: stopped")
	}
	if db, ok := l.dbs[abs]; ok {
		return db, nil
	}
	db, err := sqlite.Open(abs)
	if err != nil {
		return nil, err
	}
	if l.dbStopped {
		db.Stop()
	}
	l.dbs[abs] = db
	return db, nil
}

// renameInstances tells the recorder which address is which instance, so
// the proxy's events name peers "uwsgi-1" as the app servers do.
func (l *Lab) renameInstances() {
	m := map[string]string{}
	for _, in := range l.instances {
		for _, a := range in.cfg.Sockets {
			m[normalizeAddr(a)] = in.name
		}
		if in.srv != nil {
			for _, addrs := range in.srv.Addrs() {
				for _, a := range addrs {
					m[a.String()] = in.name
				}
			}
		}
	}
	l.rec.setNames(m)
}

// normalizeAddr turns uWSGI's ":9001" into "127.0.0.1:9001"? No: it only
// strips a "tcp:" scheme; an address with an empty host names every
// interface and the proxy's peers never name one so.
func normalizeAddr(a string) string { return strings.TrimPrefix(a, "tcp:") }

func (l *Lab) openLog(name string) (*os.File, error) {
	if f, ok := l.logFiles[name]; ok {
		return f, nil
	}
	f, err := os.OpenFile(filepath.Join(l.dir, "logs", name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	if l.logFiles == nil {
		l.logFiles = map[string]*os.File{}
	}
	l.logFiles[name] = f
	return f, nil
}

// Dir is the workspace's absolute path.
func (l *Lab) Dir() string { return l.dir }

// Created reports whether this Start created the workspace (so
// Options.Ports were written into it).
func (l *Lab) Created() bool { return l.created }

// Notes are what the lab has to say about the configs it read: uWSGI's
// inline-comment trap, directives the proxy accepts but does not implement,
// an app that failed to load. Both languages.
func (l *Lab) Notes() []explain.Text { return slices.Clone(l.current().notes) }

// Points are the lab's switches on every hop (breakpoints and faults).
// Controls arm them; tests and the screen may read them.
func (l *Lab) Points() *trace.Points { return l.points }

// URL is the proxy's first listening address as a URL ("http://127.0.0.1:8080"),
// what a learner opens in the browser; "" when the proxy does not run.
func (l *Lab) URL() string {
	p := l.current().proxy
	if p == nil {
		return ""
	}
	addrs := p.Addrs() // once: the proxy may be stopping meanwhile
	if len(addrs) == 0 {
		return ""
	}
	return "http://" + addrs[0].String()
}

// Addrs lists what listens where, for the screen and `serve`.
func (l *Lab) Addrs() []string {
	v := l.current()
	var out []string
	if v.proxy != nil {
		for _, a := range v.proxy.Addrs() {
			out = append(out, fmt.Sprintf("proxy     http://%s/", a))
		}
	}
	for _, in := range v.instances {
		if in.srv == nil || in.state != Running {
			out = append(out, fmt.Sprintf("%-9s %s", in.name, in.state))
			continue
		}
		byKind := in.srv.Addrs()
		for _, kind := range slices.Sorted(maps.Keys(byKind)) {
			for _, a := range byKind[kind] {
				out = append(out, fmt.Sprintf("%-9s %-6s %s", in.name, kind, addrString(a)))
			}
		}
	}
	return out
}

func addrString(a net.Addr) string {
	if a.Network() == "tcp" {
		return a.String()
	}
	return a.Network() + ":" + a.String()
}

// instance returns the instance called name ("uwsgi-1"), or an error that
// lists the names there are. The caller holds l.mu.
func (l *Lab) instance(name string) (*instance, error) {
	for _, in := range l.instances {
		if in.name == name {
			return in, nil
		}
	}
	// A learner may add uwsgi-3.ini while the lab runs, as they would add
	// an instance on a real server: it is known from now on, stopped until
	// started.
	if inis, err := InstanceFiles(l.dir); err == nil {
		for _, path := range inis[len(l.instances):] {
			in := &instance{name: strings.TrimSuffix(filepath.Base(path), ".ini"), ini: path, state: Stopped}
			if c, err := ini.LoadFile(path); err == nil {
				in.cfg = uwsgi.FromINI(c)
			}
			l.instances = append(l.instances, in)
			if in.name == name {
				return in, nil
			}
		}
	}
	var names []string
	for _, in := range l.instances {
		names = append(names, in.name)
	}
	list := strings.Join(names, ", ")
	return nil, &explain.Error{
		What:  explain.T("lab: no instance "+strconv.Quote(name), "lab: 没有名为 "+strconv.Quote(name)+" 的实例"),
		Where: l.dir,
		Why: explain.T("the workspace's instances are "+list+" (one per uwsgi-N.ini)",
			"工作区中的实例是 "+list+"（每个 uwsgi-N.ini 一个）"),
		Try: explain.T("name one of "+list, "请使用其中之一："+list),
	}
}

// Shutdown stops everything the lab started: held requests are released
// first, then the proxy stops, then the app servers, each finishing its
// in-flight requests (until ctx ends), then the database and the logs. It
// leaves no goroutine, socket, pidfile or control file behind. Calling it
// again is harmless.
func (l *Lab) Shutdown(ctx context.Context) error {
	l.traffic.shutdown() // first, so that no request starts while the servers stop
	l.points.Close()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	var errs []error
	if l.ctl != nil {
		errs = append(errs, l.ctl.close())
	}
	if l.proxy != nil {
		errs = append(errs, l.proxy.Shutdown(ctx))
		if pf := l.proxy.PidFile(); pf != "" {
			os.Remove(pf) // as nginx removes its pid file on exit
		}
	}
	for i := len(l.instances) - 1; i >= 0; i-- {
		in := l.instances[i]
		if in.srv != nil && in.state == Running {
			errs = append(errs, in.srv.Shutdown(ctx))
		}
		if in.state == Killed && in.cfg.Pidfile != "" {
			// A killed instance's pidfile was left behind, as kill -9
			// leaves it; the lab cleans its own workspace on the way out.
			os.Remove(in.cfg.Pidfile)
		}
	}
	l.dbMu.Lock()
	for _, db := range l.dbs {
		errs = append(errs, db.Close())
	}
	l.dbs = nil
	l.dbMu.Unlock()
	for _, f := range l.logFiles {
		errs = append(errs, f.Close())
	}
	l.logFiles = nil
	l.proxy = nil
	for _, in := range l.instances {
		if in.state == Running {
			in.state = Stopped
		}
	}
	l.publish()
	return errors.Join(errs...)
}
