package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"webflow-lab/servers/ems/web"
	"webflow-lab/servers/explain"
	"webflow-lab/servers/uwsgi"
	"webflow-lab/servers/wsgi"
)

// runUwsgi is `webflow-lab uwsgi`, used like uwsgi itself:
//
//	webflow-lab uwsgi --ini app.ini            (also: webflow-lab uwsgi app.ini)
//	webflow-lab uwsgi --http :9000 --wsgi-file hello --static-map /static=static
//	webflow-lab uwsgi --stop app.pid           (SIGINT: graceful shutdown)
//	webflow-lab uwsgi --reload app.pid         (SIGHUP: graceful reload)
//
// It runs in the foreground. Signals: SIGINT (Ctrl-C) shuts down gracefully,
// in-flight requests finished (a second SIGINT stops waiting); SIGHUP
// reloads gracefully; SIGTERM does what uWSGI 2.0 does, a brutal reload
// (requests in flight are cut, the instance keeps running) — uWSGI 2.1 and
// `die-on-term` stop instead, so the lab prints a note saying so.
func runUwsgi(args []string, stdout, stderr io.Writer) int {
	inv, err := parseUwsgiArgs(args, stderr)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	switch {
	case inv.help:
		uwsgiUsage(stdout)
		return 0
	case inv.stop != "":
		return signalPidfile(inv.stop, syscall.SIGINT, stderr)
	case inv.reload != "":
		return signalPidfile(inv.reload, syscall.SIGHUP, stderr)
	}
	for _, n := range inv.cfg.Notes {
		fmt.Fprintln(stderr, n.Block(lang()))
	}
	s := uwsgi.New(inv.cfg, uwsgi.Options{Logger: stderr, Loader: labLoader})
	if err := s.Start(); err != nil {
		var e *explain.Error
		if errors.As(err, &e) {
			fmt.Fprintf(stderr, "\n%s\n", e.Block(lang()))
		} else {
			fmt.Fprintln(stderr, err)
		}
		return 1
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGHUP, syscall.SIGTERM)
	defer signal.Stop(sigs)
	for sig := range sigs {
		switch sig {
		case syscall.SIGHUP:
			if err := s.Reload(context.Background()); err != nil {
				fmt.Fprintf(stderr, "reload: %v\n", err)
			}
		case syscall.SIGTERM:
			fmt.Fprintln(stderr, "(webflow-lab: SIGTERM is a brutal reload in uWSGI 2.0, not a stop; use SIGINT or --stop to stop)")
			if err := s.BrutalReload(); err != nil {
				fmt.Fprintf(stderr, "reload: %v\n", err)
			}
		case syscall.SIGINT:
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- s.Shutdown(ctx) }()
			select {
			case err := <-done:
				cancel()
				if err != nil {
					fmt.Fprintln(stderr, err)
					return 1
				}
				return 0
			case <-sigs: // a second signal: stop waiting for slow requests
				cancel()
				<-done
				return 1
			}
		}
	}
	return 0
}

func lang() string {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return "en"
}

// labLoader finds the app: a Django-style `project/wsgi.py` is the EMS,
// configured from the instance's `env = EMS_…` lines; everything else is a
// built-in app (hello, echo).
func labLoader(ref uwsgi.AppRef) (wsgi.App, error) {
	if ref.WSGIFile != "" && filepath.Base(ref.WSGIFile) == "wsgi.py" ||
		ref.Module != "" && strings.HasSuffix(strings.SplitN(ref.Module, ":", 2)[0], ".wsgi") {
		env := map[string]string{}
		for _, kv := range ref.Env {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
		return web.Load(env, ref.Dir)
	}
	return uwsgi.BuiltinLoader(ref)
}

// signalPidfile is `uwsgi --stop/--reload pidfile`, with uWSGI's messages.
func signalPidfile(path string, sig syscall.Signal, stderr io.Writer) int {
	b, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintf(stderr, "open(\"%s\"): %s [core/io.c line 525]\n", path, cerr(err))
		e := &explain.Error{
			What:  explain.T("uwsgi: cannot read the pidfile "+path, "uwsgi: 无法读取 pidfile "+path),
			Where: path,
			Why:   explain.T("the instance was not started with this pidfile, already stopped (vacuum removes it), or the path is relative to another directory", "实例没有用这个 pidfile 启动、已经停止 (vacuum 会删除它)，或者相对路径是相对于另一个目录的"),
			Try:   explain.T("run the command from the directory uwsgi was started in, or use the pidfile's absolute path; `ps -ef | grep uwsgi` shows what runs", "在启动 uwsgi 的目录里执行，或使用 pidfile 的绝对路径；`ps -ef | grep uwsgi` 可以看到正在运行的实例"),
			Err:   err,
		}
		fmt.Fprintf(stderr, "\n%s\n", e.Block(lang()))
		return 1
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		fmt.Fprintf(stderr, "invalid pid in %s: %q\n", path, strings.TrimSpace(string(b)))
		return 1
	}
	if err := syscall.Kill(pid, sig); err != nil {
		fmt.Fprintf(stderr, "signal_pidfile()/kill(): %s [core/uwsgi.c line 1669]\n", cerr(err))
		return 1
	}
	return 0
}

func cerr(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		s := errno.Error()
		return strings.ToUpper(s[:1]) + s[1:]
	}
	return err.Error()
}

func uwsgiUsage(w io.Writer) {
	fmt.Fprint(w, `usage: webflow-lab uwsgi [--ini file.ini[:section] | file.ini] [options]
       webflow-lab uwsgi --stop pidfile | --reload pidfile

Options are uWSGI's, on the command line (--name value or --name=value) or in
the [uwsgi] section of an ini file:
  --socket/-s addr      uwsgi protocol socket (host:port, or a UNIX path)
  --http addr           HTTP router for browsers      --http-socket addr
  --wsgi-file/--file f  the app: hello, echo, or project/wsgi.py (the EMS)
  --module/-w mod       --callable name               --chdir dir
  --processes/-p N      --threads N                   --master/-M
  --stats addr          --stats-http                  --static-map /mnt=dir
  --pidfile f           --daemonize/-d logfile        --vacuum
  --listen/-l N         --harakiri/-t S               --buffer-size/-b N
  --env K=V             --virtualenv/-H dir (noted)   --plugins x (ignored)
Signals: SIGINT stops (graceful), SIGHUP reloads, SIGTERM is uWSGI 2.0's brutal reload.
`)
}

// uwsgiInvocation is a parsed command line.
type uwsgiInvocation struct {
	cfg          uwsgi.Config
	stop, reload string
	help         bool
}

// uwsgiFlag maps every accepted spelling to its option name.
var uwsgiFlag = map[string]string{
	"s": "socket", "socket": "socket", "uwsgi-socket": "socket", "http": "http", "http-socket": "http-socket",
	"wsgi-file": "wsgi-file", "file": "wsgi-file", "w": "module", "module": "module", "wsgi": "module",
	"callable": "callable", "chdir": "chdir", "p": "processes", "processes": "processes", "workers": "processes",
	"threads": "threads", "M": "master", "master": "master", "stats": "stats", "stats-server": "stats",
	"stats-http": "stats-http", "static-map": "static-map", "pidfile": "pidfile", "d": "daemonize",
	"daemonize": "daemonize", "vacuum": "vacuum", "l": "listen", "listen": "listen", "t": "harakiri",
	"harakiri": "harakiri", "b": "buffer-size", "buffer-size": "buffer-size", "H": "virtualenv",
	"virtualenv": "virtualenv", "venv": "virtualenv", "home": "virtualenv", "env": "env", "plugins": "plugins",
	"plugin": "plugins", "ini": "ini", "stop": "stop", "reload": "reload", "h": "help", "help": "help",
	"socket-timeout": "socket-timeout", "enable-threads": "enable-threads",
}

// boolOpts take no value on the command line.
var boolOpts = map[string]bool{"master": true, "vacuum": true, "stats-http": true, "help": true, "enable-threads": true}

type kv struct {
	key, value, where string
}

// parseUwsgiArgs reads uWSGI's command line; ini files are read with
// uWSGI's own rules (core/ini.c), options applied in order.
func parseUwsgiArgs(args []string, stderr io.Writer) (*uwsgiInvocation, error) {
	var opts []kv
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			if strings.HasSuffix(a, ".ini") || strings.Contains(a, ".ini:") {
				opts = append(opts, kv{"ini", a, "command line"})
				continue
			}
			return nil, fmt.Errorf("webflow-lab uwsgi: unexpected argument %q (try --help)", a)
		}
		name := strings.TrimLeft(a, "-")
		value, hasValue := "", false
		if k, v, ok := strings.Cut(name, "="); ok {
			name, value, hasValue = k, v, true
		}
		opt, ok := uwsgiFlag[name]
		if !ok {
			return nil, fmt.Errorf("webflow-lab uwsgi: unrecognized option '%s' (try --help)", a)
		}
		if !hasValue && !boolOpts[opt] {
			if i+1 >= len(args) {
				return nil, fmt.Errorf("webflow-lab uwsgi: option '%s' requires an argument", a)
			}
			i++
			value = args[i]
		}
		if !hasValue && boolOpts[opt] {
			value = "true"
		}
		opts = append(opts, kv{opt, value, "command line"})
	}
	inv := &uwsgiInvocation{}
	var expanded []kv
	for _, o := range opts {
		if o.key != "ini" {
			expanded = append(expanded, o)
			continue
		}
		fmt.Fprintf(stderr, "[uWSGI] getting INI configuration from %s\n", o.value)
		inv.cfg.File = o.value
		ini, err := readIni(o.value, stderr)
		if err != nil {
			return nil, err
		}
		expanded = append(expanded, ini...)
	}
	for _, o := range expanded {
		if err := applyUwsgiOpt(inv, o); err != nil {
			return nil, err
		}
	}
	return inv, nil
}

// readIni reads one section of an ini file exactly as uWSGI 2.0 does: only
// whole-line comments (; or #), no inline comments, section name = text
// after '[' minus its last character, split at the first '=', values trimmed
// but never unquoted.
func readIni(spec string, stderr io.Writer) ([]kv, error) {
	path, section := spec, "uwsgi"
	if i := strings.LastIndex(spec, ".ini:"); i >= 0 {
		path, section = spec[:i+4], spec[i+5:]
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("realpath() of %s failed: %s [core/utils.c line 3662]", path, cerr(err))
	}
	var out []kv
	cur, found := "", false
	for n, line := range strings.Split(string(b), "\n") {
		line = strings.Trim(line, " \t\r")
		if line == "" || line[0] == ';' || line[0] == '#' {
			continue
		}
		if line[0] == '[' {
			cur = line[1 : len(line)-1]
			if len(line) < 2 {
				cur = ""
			}
			found = found || cur == section
			continue
		}
		if cur != section {
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		k, v = strings.Trim(k, " \t\r"), strings.Trim(v, " \t\r")
		out = append(out, kv{k, v, fmt.Sprintf("%s:%d", path, n+1)})
	}
	if !found {
		fmt.Fprintf(stderr, "*** WARNING: Can't find section \"%s\" in INI configuration file %s ***\n", section, path)
	}
	return out, nil
}

func isFalse(v string) bool {
	switch strings.ToLower(v) {
	case "false", "off", "no", "0":
		return true
	}
	return false
}

// applyUwsgiOpt applies one option; scalars: last wins, lists append.
func applyUwsgiOpt(inv *uwsgiInvocation, o kv) error {
	c := &inv.cfg
	if o.where != "command line" && (strings.Contains(o.value, " #") || strings.Contains(o.value, " ;")) {
		c.Notes = append(c.Notes, &explain.Error{
			What:  explain.T("uwsgi: the value of "+o.key+" contains an inline comment", "uwsgi: "+o.key+" 的值里含有行内注释"),
			Where: o.where,
			Why: explain.T("uWSGI has no inline comments: the value is "+strconv.Quote(o.value)+", comment included",
				"uWSGI 不支持行内注释：这个值是 "+strconv.Quote(o.value)+"，注释也算在里面"),
			Try: explain.T("move the comment to its own line starting with # or ;", "把注释移到单独一行，以 # 或 ; 开头"),
		})
	}
	num := func() int { n, _ := strconv.Atoi(leadingInt(o.value)); return n }
	switch o.key {
	case "socket":
		c.Sockets = append(c.Sockets, o.value)
	case "http":
		c.HTTP = append(c.HTTP, o.value)
	case "http-socket":
		c.HTTPSockets = append(c.HTTPSockets, o.value)
	case "wsgi-file":
		c.WSGIFile = o.value
	case "module":
		c.Module = o.value
	case "callable":
		c.Callable = o.value
	case "chdir":
		c.Chdir = o.value
	case "processes", "threads", "listen", "harakiri", "buffer-size":
		n := num()
		if n < 0 {
			return fmt.Errorf("invalid value for option \"%s\": must be > 0", o.key)
		}
		switch o.key {
		case "processes":
			c.Processes = n
		case "threads":
			c.Threads = n
		case "listen":
			c.Listen = n
		case "harakiri":
			c.Harakiri = n
		case "buffer-size":
			c.BufferSize = n
		}
	case "socket-timeout":
		c.SocketTimeout = time.Duration(num()) * time.Second
	case "master":
		c.Master = !isFalse(o.value)
	case "vacuum":
		c.Vacuum = !isFalse(o.value)
	case "stats-http":
		c.StatsHTTP = !isFalse(o.value)
	case "stats":
		c.Stats = o.value
		c.Master = true
	case "static-map":
		c.StaticMaps = append(c.StaticMaps, o.value)
	case "pidfile":
		c.Pidfile = o.value
	case "daemonize":
		c.Daemonize = o.value
	case "virtualenv":
		c.Virtualenv = o.value
	case "env":
		c.Env = append(c.Env, o.value)
	case "stop":
		inv.stop = o.value
	case "reload":
		inv.reload = o.value
	case "help":
		inv.help = true
	}
	return nil
}

// leadingInt is C atoi's view of s: sign and leading digits ("2 # two" → "2").
func leadingInt(s string) string {
	s = strings.TrimLeft(s, " \t")
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 || i == 1 && (s[0] == '-' || s[0] == '+') {
		return "0"
	}
	return s[:i]
}
