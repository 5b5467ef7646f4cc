package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"

	"webflow-lab/servers/explain"
	"webflow-lab/servers/uwsgi"
)

// daemonEnv marks the process a daemonize start detached: it runs the same
// command line (so `ps -ef | grep uwsgi` shows what the learner typed, as
// with uWSGI) and knows from this variable that it is the daemon.
const daemonEnv = "WEBFLOW_LAB_UWSGI_DAEMON"

// daemonCommand is the command that runs this binary again as the daemon
// for the `webflow-lab uwsgi` arguments args. The tests replace it when the
// binary is the test binary.
var daemonCommand = func(args []string) (*exec.Cmd, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	return exec.Command(exe, append([]string{"uwsgi"}, args...)...), nil
}

// detach is `daemonize = FILE` in a standalone `webflow-lab uwsgi`, done as
// uWSGI 2.0 does it (core/utils.c daemonize, core/logging.c logto): once the
// options are read — the static-map lines and the lab's notes printed on the
// terminal, a bad static-map refused with exit 1 — the process returns to
// the shell with exit status 0 and the server goes on in the background, in
// a new session, its stdin /dev/null and its stdout and stderr the file,
// opened for appending (mode 0640). Everything after that (the banner, the
// pidfile holding the daemon's pid, a bad chdir, a busy port) is only in the
// file: a learner who does not read it sees a prompt and no server.
//
// uWSGI forks; Go cannot fork a running program, so the daemon is a new
// process of the same binary with the same arguments, marked by daemonEnv.
// uWSGI's daemon opens the file after its parent has exited 0, so a file
// that cannot be opened prints uWSGI's line on the terminal and the shell
// still sees success; here the parent opens it (to hand it to the daemon)
// and does the same.
func detach(args []string, cfg uwsgi.Config, opts uwsgi.Options, stderr io.Writer) int {
	s := uwsgi.New(cfg, opts)
	if err := s.Configure(); err != nil {
		printErr(stderr, err)
		return 1
	}
	f, err := s.OpenDaemonizeLog()
	if err != nil {
		printErr(stderr, err)
		return 0
	}
	defer f.Close()
	cmd, err := daemonCommand(args)
	if err == nil {
		if cmd.Env == nil {
			cmd.Env = os.Environ()
		}
		cmd.Env = append(cmd.Env, daemonEnv+"=1")
		cmd.Stdin = nil // os/exec opens os.DevNull
		cmd.Stdout, cmd.Stderr = f, f
		cmd.SysProcAttr = detachedAttr()
		err = cmd.Start()
	}
	if err != nil {
		fmt.Fprintf(stderr, "fork(): %v [core/utils.c line 139]\n", err) // as uWSGI when fork fails: exit 1
		return 1
	}
	pid := cmd.Process.Pid
	cmd.Process.Release()
	fmt.Fprintln(stderr, explain.T(
		fmt.Sprintf("(webflow-lab: daemonize: the server goes on in the background (pid %d), logging to %q; from here on its errors are only there. Read it: tail %q)", pid, cfg.Daemonize, cfg.Daemonize),
		fmt.Sprintf("(webflow-lab: daemonize：服务器转入后台运行 (pid %d)，日志写入 %q；此后的错误只会出现在这个文件里。查看：tail %q)", pid, cfg.Daemonize, cfg.Daemonize)).In(lang()))
	return 0
}
