package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"

	"webflow-lab/servers/errno"
	"webflow-lab/servers/explain"
	"webflow-lab/servers/uwsgi"
	"webflow-lab/servers/uwsgi/ini"
	"webflow-lab/sim"
)

// runUwsgi is `webflow-lab uwsgi`, used like uwsgi itself:
//
//	webflow-lab uwsgi --ini app.ini            (also: webflow-lab uwsgi app.ini)
//	webflow-lab uwsgi --http :9000 --wsgi-file hello --static-map /static=static
//	webflow-lab uwsgi --stop app.pid           (SIGINT: graceful shutdown)
//	webflow-lab uwsgi --reload app.pid         (SIGHUP: graceful reload)
//
// `--explain` (the lab's extension) prints what each option does and exits.
// It runs in the foreground unless the options say `daemonize` (see
// detach). Signals: SIGINT (Ctrl-C) shuts down gracefully, in-flight
// requests finished (a second SIGINT stops waiting); SIGHUP reloads
// gracefully, reading the ini files again (see reload); SIGTERM does what
// uWSGI 2.0 does, a brutal reload (requests in flight are cut, the instance
// keeps running) — uWSGI 2.1 and `die-on-term` stop instead, so the lab
// prints a note saying so.
func runUwsgi(args []string, stdout, stderr io.Writer) int {
	// The daemon a daemonize start detached runs this same command line.
	daemon := os.Getenv(daemonEnv) == "1"
	if daemon {
		os.Unsetenv(daemonEnv) // nothing it starts should take itself for one
	}
	var rest []string
	explainOnly := false
	for _, a := range args {
		switch a {
		case "-h", "--help", "-help":
			uwsgiUsage(stdout)
			return 0
		case "--explain", "-explain": // the lab's extension: say what each line does
			explainOnly = true
			continue
		}
		rest = append(rest, a)
	}
	if !daemon {
		// The process that detached printed this on the terminal already.
		announceInis(rest, stderr)
	}
	c, err := ini.ParseArgs(rest, os.LookupEnv)
	if err != nil {
		printErr(stderr, err)
		return 1
	}
	switch c.Action {
	case "stop":
		return signalPidfile(c.ActionArg, syscall.SIGINT, stderr)
	case "reload":
		return signalPidfile(c.ActionArg, syscall.SIGHUP, stderr)
	}
	if explainOnly {
		fmt.Fprint(stdout, ini.Explain(c, lang()))
		return 0
	}
	// `uwsgi --ini workspace/uwsgi-2.ini` while the lab runs: the lab's
	// instance is a goroutine of the lab, so the lab starts it (or, when
	// it runs, shows the second copy's busy-port failure, as uWSGI would).
	if code, ok := iniOfLab(c.Files, stdout, stderr); ok {
		return code
	}
	in := &standalone{args: rest, cfg: uwsgi.FromINI(c), stderr: stderr,
		// The server logs the notes, in the learner's language.
		opts: uwsgi.Options{Logger: stderr, Loader: sim.Loader, Lang: lang(), Detached: daemon}}
	if in.cfg.Daemonize != "" && !daemon {
		return detach(rest, in.cfg, in.opts, stderr)
	}
	// Signals are caught before the pidfile exists, so `--stop` never finds
	// an instance that would die of an uncaught SIGINT.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGHUP, syscall.SIGTERM)
	defer signal.Stop(sigs)
	if code := in.start(false); code != 0 {
		return code
	}
	for sig := range sigs {
		if sig == syscall.SIGHUP || sig == syscall.SIGTERM && !in.cfg.DieOnTerm {
			if code, ended := in.reload(sig == syscall.SIGTERM); ended {
				return code
			}
			continue
		}
		// SIGINT, or SIGTERM with die-on-term: graceful shutdown.
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- in.s.Shutdown(ctx) }()
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
	return 0
}

// announceInis prints what uWSGI prints as it reads each ini file named on
// the command line.
func announceInis(args []string, w io.Writer) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--ini" && i+1 < len(args) {
			fmt.Fprintf(w, "[uWSGI] getting INI configuration from %s\n", args[i+1])
			i++
		} else if v, ok := strings.CutPrefix(a, "--ini="); ok {
			fmt.Fprintf(w, "[uWSGI] getting INI configuration from %s\n", v)
		} else if !strings.HasPrefix(a, "-") && (strings.HasSuffix(a, ".ini") || strings.Contains(a, ".ini:")) {
			fmt.Fprintf(w, "[uWSGI] getting INI configuration from %s\n", a)
		}
	}
}

// standalone is the one instance `webflow-lab uwsgi` runs, with the command
// line it reads again on reload.
type standalone struct {
	args   []string
	cfg    uwsgi.Config
	opts   uwsgi.Options
	s      *uwsgi.Server
	stderr io.Writer
}

// start builds and starts the server from in.cfg; non-zero is the exit
// status. reloaded is a start from a reload: as after uWSGI's re-exec
// (is_a_reload), daemonize neither detaches nor moves the log again, which
// stays where it was (the terminal, or the daemon's file), and the lines
// of the options read go there.
func (in *standalone) start(reloaded bool) int {
	cfg, opts := in.cfg, in.opts
	if reloaded {
		cfg.Daemonize, opts.Detached = "", false
	}
	in.s = uwsgi.New(cfg, opts)
	if err := in.s.Start(); err != nil {
		printErr(in.stderr, err)
		if errors.Is(err, uwsgi.ErrNoApp) {
			return 22 // uWSGI's exit status for need-app
		}
		return 1
	}
	if e := in.s.AppError(); e != nil {
		fmt.Fprintf(in.stderr, "\n%s\n\n", e.Block(lang()))
	}
	return 0
}

// reload is SIGHUP (graceful) or, in uWSGI 2.0, SIGTERM (brutal). uWSGI
// reloads by executing its binary again with the same command line, so it
// reads its options again: an edited ini file takes effect, its notes are
// logged again, and an ini file that no longer reads ends the instance.
// When the options read the same, the server reloads in place on its
// sockets (Server.Reload logs the ini files, notes and static-map lines
// again). When they changed, the lab starts a new server from them: its
// sockets are closed and bound again (uWSGI hands its sockets to the new
// binary; the lab's servers cannot), which the lab says. ended reports
// that the instance is gone, with code its exit status.
func (in *standalone) reload(brutal bool) (code int, ended bool) {
	if brutal {
		fmt.Fprintln(in.stderr, "(webflow-lab: SIGTERM is a brutal reload in uWSGI 2.0, not a stop; use SIGINT, --stop or die-on-term to stop)")
	}
	c, err := ini.ParseArgs(in.args, os.LookupEnv)
	if err == nil && uwsgi.FromINI(c).Same(in.cfg) {
		if brutal {
			err = in.s.BrutalReload()
		} else {
			err = in.s.Reload(context.Background())
		}
		if err != nil {
			fmt.Fprintf(in.stderr, "reload: %v\n", err)
		}
		return 0, false
	}
	if err == nil {
		fmt.Fprintln(in.stderr, explain.T(
			"(webflow-lab: the options changed since the start; the instance starts again from them, its sockets closed and bound again — uWSGI would keep them)",
			"(webflow-lab: 配置自启动以来有改动；实例按新配置重新启动，socket 会关闭后重新绑定——真实的 uWSGI 会保留它们)").In(lang()))
	}
	if brutal {
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // requests in flight are cut…
		in.s.Shutdown(ctx)
	}
	in.s.Shutdown(context.Background()) // …and waited for, as a graceful stop's are
	announceInis(in.args, in.stderr)
	if err != nil {
		printErr(in.stderr, err)
		return 1, true
	}
	in.cfg = uwsgi.FromINI(c)
	if code := in.start(true); code != 0 {
		return code, true
	}
	return 0, false
}

// signalPidfile is `uwsgi --stop/--reload pidfile`, with uWSGI's messages.
func signalPidfile(path string, sig syscall.Signal, stderr io.Writer) int {
	b, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintf(stderr, "open(\"%s\"): %s [core/io.c line 525]\n", path, errno.Strerror(err))
		e := &explain.Error{
			What:  explain.T("uwsgi: cannot read the pidfile "+path, "uwsgi: 无法读取 pidfile "+path),
			Where: path,
			Why:   explain.T("the instance was not started with this pidfile, already stopped (vacuum removes it), or the path is relative to another directory", "实例没有用这个 pidfile 启动、已经停止 (vacuum 会删除它)，或者相对路径是相对于另一个目录的"),
			Try:   explain.T("run the command from the directory uwsgi was started in, or use the pidfile's absolute path; `"+explain.ProcessesCmd("uwsgi")+"` shows what runs", "在启动 uwsgi 的目录里执行，或使用 pidfile 的绝对路径；`"+explain.ProcessesCmd("uwsgi")+"` 可以看到正在运行的实例"),
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
	// An instance of the running lab is a goroutine of the lab's process:
	// the lab stops or reloads that instance alone.
	action := "--stop"
	if sig == syscall.SIGHUP {
		action = "--reload"
	}
	if code, ok := tellLab(filepath.Dir(absPath(path)), pid, []string{"uwsgi", action, absPath(path)}, os.Stdout, stderr); ok {
		return code
	}
	if err := kill(pid, sig); err != nil {
		fmt.Fprintf(stderr, "signal_pidfile()/kill(): %s [core/uwsgi.c line 1669]\n", errno.Strerror(err))
		return 1
	}
	return 0
}

func uwsgiUsage(w io.Writer) {
	fmt.Fprint(w, `usage: webflow-lab uwsgi [--ini file.ini[:section] | file.ini] [options]
       webflow-lab uwsgi --stop pidfile | --reload pidfile

Options are uWSGI's, on the command line (--name value or --name=value) or in
the [uwsgi] section of an ini file (read with uWSGI 2.0's own rules). The lab adds
--explain: print what each option line does, then exit.
  --socket/-s addr      uwsgi protocol socket (host:port, or a UNIX path)
  --http addr           HTTP router for browsers      --http-socket addr
  --wsgi-file/--file f  the app: hello, echo, sleep (env SLEEP_MS), or project/wsgi.py (the EMS)
  --module/-w mod       --callable name               --chdir dir
  --processes/-p N      --threads N                   --master/-M
  --stats addr          --stats-http                  --static-map /mnt=dir
  --pidfile f           --daemonize/-d logfile        --vacuum
  --listen/-l N         --harakiri/-t S               --buffer-size/-b N
  --env K=V             --virtualenv/-H dir (noted)   --plugins x (ignored)
Signals: SIGINT stops (graceful), SIGHUP reloads, SIGTERM is uWSGI 2.0's brutal reload.
`)
}

var labIni = regexp.MustCompile(`^uwsgi-[0-9]+\.ini$`)

// iniOfLab hands `--ini FILE` to the running lab when FILE is one of its
// instances (uwsgi-N.ini at the top of its workspace).
func iniOfLab(files []string, stdout, stderr io.Writer) (code int, handled bool) {
	if len(files) != 1 || !labIni.MatchString(filepath.Base(files[0])) {
		return 0, false
	}
	abs := absPath(files[0])
	_, ws, ok := sim.FindControl(filepath.Dir(abs), 0)
	if !ok || !sameDir(ws, filepath.Dir(abs)) {
		return 0, false
	}
	return tellLab(ws, 0, []string{"uwsgi", "--ini", abs}, stdout, stderr)
}

func sameDir(a, b string) bool {
	ia, err1 := os.Stat(a)
	ib, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(ia, ib)
}
