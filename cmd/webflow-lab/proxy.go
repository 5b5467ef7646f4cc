package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"webflow-lab/servers/errno"
	"webflow-lab/servers/explain"
	"webflow-lab/servers/proxy"
	"webflow-lab/servers/proxy/config"
)

// runProxy is `webflow-lab proxy`, used like nginx:
//
//	webflow-lab proxy -c nginx.conf [-p prefix]   run in the foreground
//	webflow-lab proxy -c nginx.conf -t            test the configuration
//	webflow-lab proxy -c nginx.conf -T            test and dump it
//	webflow-lab proxy -c nginx.conf -s reload     signal the running proxy (stop|quit|reload|reopen)
//
// Signals, as nginx's master takes them: SIGHUP reloads (a broken config
// leaves the old one running), SIGQUIT shuts down gracefully, SIGTERM and
// SIGINT stop at once, SIGUSR1 reopens the log files.
func runProxy(args []string, stdout, stderr io.Writer) int {
	fs := flagSet("proxy", stderr)
	confPath := fs.String("c", "conf/nginx.conf", "the configuration `file`")
	prefix := fs.String("p", "", "the prefix `path` relative paths resolve against (default: the config file's directory)")
	test := fs.Bool("t", false, "test the configuration and exit")
	dump := fs.Bool("T", false, "test the configuration, dump it and exit")
	sig := fs.String("s", "", "send `signal` to the running proxy: stop, quit, reopen, reload")
	if err := fs.Parse(args); err != nil {
		return exitCode(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "webflow-lab proxy: invalid option: \"%s\"\n", fs.Arg(0))
		return 2
	}
	path := *confPath
	if !filepath.IsAbs(path) && *prefix != "" {
		path = filepath.Join(*prefix, path)
	}
	opts := proxy.Options{Prefix: *prefix, ConfFile: path}
	if opts.Prefix == "" {
		opts.Prefix = filepath.Dir(path)
	}

	switch {
	case *test || *dump:
		return proxyTest(path, opts, *dump, stdout, stderr)
	case *sig != "":
		return proxySignal(path, opts, *sig, stderr)
	}
	return proxyRun(path, opts, stderr)
}

// loadProxy parses the config and compiles it, as nginx does before -t's
// verdict, -s's signal, or starting.
func loadProxy(path string, opts proxy.Options) (*config.Config, *proxy.Server, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return cfg, nil, err
	}
	srv, err := proxy.New(cfg, opts)
	return cfg, srv, err
}

func proxyTest(path string, opts proxy.Options, dump bool, stdout, stderr io.Writer) int {
	if !proxy.CheckConfig(path, opts, dump, lang(), stdout, stderr) {
		return 1
	}
	return 0
}

// proxySignal is nginx -s: the config is parsed first (to find the pid
// file), so a broken config signals nothing.
func proxySignal(path string, opts proxy.Options, name string, stderr io.Writer) int {
	signals := map[string]syscall.Signal{"stop": syscall.SIGTERM, "quit": syscall.SIGQUIT,
		"reload": syscall.SIGHUP, "reopen": sigReopen}
	s, ok := signals[name]
	if !ok {
		fmt.Fprintf(stderr, "webflow-lab proxy: invalid option: \"-s %s\"\n", name)
		return 1
	}
	// The lab's proxy is one goroutine of the lab's process: the command
	// goes to the lab, which acts on the proxy only (and, for a reload it
	// refuses, writes nginx's [emerg] line to error.log, as nginx does).
	if code, ok := tellLab(opts.Prefix, 0, []string{"proxy", "-s", name}, os.Stdout, stderr); ok {
		return code
	}
	cfg, srv, err := loadProxy(path, opts)
	if err != nil {
		fmt.Fprint(stderr, config.Transcript(path, cfg, err, lang()))
		return 1
	}
	pidFile := srv.PidFile()
	srv.Close()
	b, err := os.ReadFile(pidFile)
	if err != nil {
		fmt.Fprintf(stderr, "nginx: [error] open() \"%s\" failed (%s)\n", pidFile, errno.Format(err))
		printErr(stderr, &explain.Error{
			What:  explain.T("proxy: no pid file, so no running proxy to signal", "proxy: 没有 pid 文件，找不到正在运行的 proxy"),
			Where: pidFile,
			Why:   explain.T("the proxy is not running, or runs with another config (pid directive, -p prefix)", "proxy 没有运行，或者用的是另一个配置文件 (pid 指令、-p 前缀)"),
			Try:   explain.T("start it: webflow-lab proxy -c "+path, "先启动它：webflow-lab proxy -c "+path),
			Err:   err,
		})
		return 1
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		fmt.Fprintf(stderr, "nginx: [error] invalid PID number \"%s\" in \"%s\"\n", strings.TrimSpace(string(b)), pidFile)
		return 1
	}
	if err := kill(pid, s); err != nil {
		fmt.Fprintf(stderr, "nginx: [alert] kill(%d, %d) failed (%s)\n", pid, int(s), errno.Format(err))
		return 1
	}
	return 0
}

func proxyRun(path string, opts proxy.Options, stderr io.Writer) int {
	cfg, srv, err := loadProxy(path, opts)
	if err != nil {
		fmt.Fprint(stderr, config.Transcript(path, cfg, err, lang()))
		return 1
	}
	for _, w := range srv.Warnings() {
		fmt.Fprintln(stderr, w.String())
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGTERM, syscall.SIGINT, sigReopen)
	defer signal.Stop(sigs)
	if err := srv.Start(); err != nil {
		printErr(stderr, err)
		srv.Close()
		return 1
	}
	pidFile := srv.PidFile()
	if err := os.MkdirAll(filepath.Dir(pidFile), 0o755); err == nil {
		err = os.WriteFile(pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
		if err != nil {
			fmt.Fprintf(stderr, "nginx: [emerg] open() \"%s\" failed (%s)\n", pidFile, errno.Format(err))
		}
	}
	defer os.Remove(pidFile)
	for _, a := range srv.Addrs() {
		fmt.Fprintf(stderr, "webflow-lab proxy: listening on http://%s (pid %d, config %s)\n", a, os.Getpid(), path)
	}
	for s := range sigs {
		switch s {
		case syscall.SIGHUP:
			cfg, err := config.Load(path)
			if err == nil {
				err = srv.Reload(cfg)
			}
			if err != nil {
				fmt.Fprint(stderr, config.Transcript(path, cfg, err, lang()))
				fmt.Fprintln(stderr, "webflow-lab proxy: reload failed, the old configuration keeps running")
				continue
			}
			for _, w := range srv.Warnings() {
				fmt.Fprintln(stderr, w.String())
			}
			fmt.Fprintln(stderr, "webflow-lab proxy: configuration reloaded")
		case sigReopen:
			srv.ReopenLogs()
		case syscall.SIGQUIT:
			fmt.Fprintln(stderr, "webflow-lab proxy: gracefully shutting down")
			srv.Shutdown(context.Background())
			return 0
		default: // SIGTERM, SIGINT: fast shutdown
			fmt.Fprintln(stderr, "webflow-lab proxy: exiting")
			srv.Close()
			return 0
		}
	}
	return 0
}
