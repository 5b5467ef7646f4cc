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

	"webflow-lab/servers/proxy"
	"webflow-lab/servers/proxy/config"
	"webflow-lab/servers/trace"
	"webflow-lab/servers/uwsgi"
	"webflow-lab/servers/uwsgi/ini"
)

// A Lab is the running default topology: one proxy in front of the app-server
// instances named by the workspace's uwsgi-N.ini files.
type Lab struct {
	Dir       string
	Events    *trace.Broker // every hop event of every server
	Proxy     *proxy.Server
	Instances []*uwsgi.Server
	Notes     []string // config notes (the ini inline-comment trap, proxy warnings), one per line
	Created   bool     // the workspace was created by this Start (so Options.Ports were written into it)

	logFiles map[string]*os.File // logs/uwsgi-N.log by name, shared by an instance's restarts
}

// Options are how a lab is made; the zero value is the course's defaults.
type Options struct {
	// Ports are written into the configs when the workspace is created
	// (zero fields: DefaultPorts). An existing workspace runs on the ports
	// its files name.
	Ports Ports
}

// Start is StartWith(dir, Options{}): the course's default ports.
func Start(dir string) (*Lab, error) { return StartWith(dir, Options{}) }

// StartWith builds the topology from the workspace at dir (creating it
// first if needed, with opts) and starts it: app servers first, then the
// proxy, as a real deployment does. On any error — a busy port is an
// *explain.Error from the server that could not bind — everything already
// started is stopped before the error is returned.
func StartWith(dir string, opts Options) (*Lab, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	created, err := EnsureWorkspace(abs, opts)
	if err != nil {
		return nil, err
	}
	l := &Lab{Dir: abs, Events: trace.NewBroker(), Created: created}
	if err := l.start(); err != nil {
		l.Shutdown(context.Background())
		return nil, err
	}
	return l, nil
}

func (l *Lab) start() error {
	inis, err := InstanceFiles(l.Dir)
	if err != nil {
		return err
	}
	for _, path := range inis {
		s, err := l.startInstance(path)
		if err != nil {
			return err
		}
		l.Instances = append(l.Instances, s)
	}
	conf := filepath.Join(l.Dir, "nginx.conf")
	cfg, err := config.Load(conf)
	if err != nil {
		return err
	}
	p, err := proxy.New(cfg, proxy.Options{Prefix: l.Dir, ConfFile: conf, Recorder: l.Events})
	if err != nil {
		return err
	}
	for _, w := range p.Warnings() {
		l.Notes = append(l.Notes, fmt.Sprint(w))
	}
	if err := p.Start(); err != nil {
		return err
	}
	l.Proxy = p
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

// Reload is what a reload signal to any of the lab's pid files does. The
// proxy and the app servers are one process here, so `nginx -s reload` and
// `uwsgi --reload uwsgi-1.pid` both reach the whole lab: the proxy reads
// nginx.conf again (a broken one is refused and the old one keeps serving),
// and each app server is restarted from its ini file as it is now, in-flight
// requests finished first. It returns every error, joined.
func (l *Lab) Reload(ctx context.Context) error {
	var errs []error
	if l.Proxy != nil {
		errs = append(errs, l.ReloadProxy())
	}
	for i := range l.Instances {
		if err := l.RestartInstance(ctx, i); err != nil {
			errs = append(errs, fmt.Errorf("uwsgi-%d.ini: %w", i+1, err))
		}
	}
	return errors.Join(errs...)
}

// startInstance reads one uwsgi-N.ini and starts that app server, logging
// to logs/uwsgi-N.log.
func (l *Lab) startInstance(path string) (*uwsgi.Server, error) {
	c, err := ini.LoadFile(path)
	if err != nil {
		return nil, err
	}
	for _, n := range c.Notes {
		l.Notes = append(l.Notes, n.Error())
	}
	name := strings.TrimSuffix(filepath.Base(path), ".ini")
	logf, err := l.openLog(name + ".log")
	if err != nil {
		return nil, err
	}
	s := uwsgi.New(uwsgi.FromINI(c), uwsgi.Options{
		Recorder: l.Events, Logger: logf, Loader: Loader, Name: name,
	})
	if err := s.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	if e := s.AppError(); e != nil {
		l.Notes = append(l.Notes, name+": "+e.Error())
	}
	return s, nil
}

// RestartInstance stops instance i (0 for uwsgi-1.ini) if it runs, then
// starts it again from its ini file as it is now — what a learner does
// after editing the file: `uwsgi --stop`, then `uwsgi --ini` again. The
// proxy keeps running. If the new start fails the instance stays stopped
// (Instances[i] is the stopped server) and the error says why. Not safe to
// call concurrently with the Lab's other methods.
func (l *Lab) RestartInstance(ctx context.Context, i int) error {
	if i < 0 || i >= len(l.Instances) {
		return fmt.Errorf("lab: no instance %d (the lab has %d)", i, len(l.Instances))
	}
	if err := l.Instances[i].Shutdown(ctx); err != nil {
		return err
	}
	inis, err := InstanceFiles(l.Dir)
	if err != nil {
		return err
	}
	if i >= len(inis) {
		return fmt.Errorf("lab: uwsgi-%d.ini is gone from %s", i+1, l.Dir)
	}
	s, err := l.startInstance(inis[i])
	if err != nil {
		return err
	}
	l.Instances[i] = s
	return nil
}

// ReloadProxy reads nginx.conf again and applies it as `nginx -s reload`
// does: a broken config is refused (the error names file and line) and the
// old one keeps serving.
func (l *Lab) ReloadProxy() error {
	cfg, err := config.Load(filepath.Join(l.Dir, "nginx.conf"))
	if err != nil {
		return err
	}
	return l.Proxy.Reload(cfg)
}

func (l *Lab) openLog(name string) (*os.File, error) {
	if f, ok := l.logFiles[name]; ok {
		return f, nil
	}
	f, err := os.OpenFile(filepath.Join(l.Dir, "logs", name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	if l.logFiles == nil {
		l.logFiles = map[string]*os.File{}
	}
	l.logFiles[name] = f
	return f, nil
}

// URL is the proxy's first listening address as a URL ("http://127.0.0.1:8080"),
// what a learner opens in the browser; "" when the proxy does not run.
func (l *Lab) URL() string {
	if l.Proxy == nil || len(l.Proxy.Addrs()) == 0 {
		return ""
	}
	return "http://" + l.Proxy.Addrs()[0].String()
}

// Addrs lists what listens where, for the screen and `serve`.
func (l *Lab) Addrs() []string {
	var out []string
	if l.Proxy != nil {
		for _, a := range l.Proxy.Addrs() {
			out = append(out, fmt.Sprintf("proxy     http://%s/", a))
		}
	}
	for _, s := range l.Instances {
		byKind := s.Addrs()
		for _, kind := range slices.Sorted(maps.Keys(byKind)) {
			for _, a := range byKind[kind] {
				out = append(out, fmt.Sprintf("%-9s %-6s %s", s.Name(), kind, addrString(a)))
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

// Shutdown stops the proxy first, then the app servers, each finishing its
// in-flight requests (until ctx ends), and closes the logs. Calling it again
// is harmless.
func (l *Lab) Shutdown(ctx context.Context) error {
	var errs []error
	if l.Proxy != nil {
		errs = append(errs, l.Proxy.Shutdown(ctx))
		if pf := l.Proxy.PidFile(); pf != "" {
			os.Remove(pf) // as nginx removes its pid file on exit
		}
	}
	for i := len(l.Instances) - 1; i >= 0; i-- {
		errs = append(errs, l.Instances[i].Shutdown(ctx))
	}
	for _, f := range l.logFiles {
		errs = append(errs, f.Close())
	}
	l.logFiles = nil // a second Shutdown has nothing left to close
	return errors.Join(errs...)
}
