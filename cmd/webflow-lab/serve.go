package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"webflow-lab/servers/errno"
	"webflow-lab/servers/explain"
	"webflow-lab/sim"
)

// runServe is `webflow-lab serve`: the default topology without the TUI —
// proxy :8080 (or --port) → uwsgi-1, uwsgi-2 → EMS → SQLite — built from the workspace's
// own config files, with addresses and every hop event on stdout.
func runServe(args []string, stdout, stderr io.Writer) int {
	args, stopProfile, ok := withCPUProfile(args, stderr)
	if !ok {
		return 2
	}
	defer stopProfile()
	fs := flagSet("serve", stderr)
	dir := fs.String("workspace", "workspace", "the lab's workspace folder (created from the defaults if missing)")
	quiet := fs.Bool("quiet", false, "print addresses only, not every hop event")
	port := fs.Int("port", sim.DefaultPorts.Proxy,
		"the proxy's port (nginx's listen line), written into a new workspace's conf.d/ems.conf")
	appPort := fs.Int("app-port", sim.DefaultPorts.Instances[0].HTTP,
		"the first app server's http port N, written into a new workspace: uwsgi-1 gets http N, socket N+1, stats N+2; uwsgi-2 gets N+10, N+11, N+12")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: webflow-lab serve [--workspace DIR] [--port 8080] [--app-port 9000] [--quiet]\n\n")
		fmt.Fprintf(fs.Output(), "Runs proxy → uwsgi-1, uwsgi-2 → EMS → SQLite from the workspace's own config files.\n")
		fmt.Fprintf(fs.Output(), "Ports are written into the configs when the workspace is created; in an existing\n")
		fmt.Fprintf(fs.Output(), "workspace, edit conf.d/ems.conf and uwsgi-N.ini to change them.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitCode(err)
	}
	portsSet := false
	fs.Visit(func(f *flag.Flag) { portsSet = portsSet || f.Name == "port" || f.Name == "app-port" })
	lab, err := sim.StartWith(*dir, sim.Options{Ports: sim.PortsFrom(*port, *appPort)})
	if err != nil {
		printErr(stderr, err)
		if errno.Is(err, errno.EADDRINUSE) {
			// The ports live in the workspace's files, so the way out is to
			// edit them there, or to start a new workspace elsewhere.
			cmd := fmt.Sprintf("webflow-lab serve --workspace NEW_DIR --port %d --app-port %d", *port+100, *appPort+100)
			fmt.Fprintf(stderr, "  %s\n", explain.T(
				"or change the port in "+*dir+"'s conf.d/ems.conf and uwsgi-N.ini, or start a lab in a new folder on other ports: "+cmd,
				"或修改 "+*dir+" 中 conf.d/ems.conf 与 uwsgi-N.ini 里的端口，或在新文件夹中用其他端口启动实验："+cmd).In(lang()))
		}
		return 1
	}
	fmt.Fprintf(stdout, "webflow-lab: workspace %s\n", lab.Dir())
	if portsSet && !lab.Created() {
		fmt.Fprintf(stdout, "  note: --port/--app-port apply to a new workspace; this one runs on the ports its config files name\n")
	}
	for _, a := range lab.Addrs() {
		fmt.Fprintf(stdout, "  %s\n", a)
	}
	for _, n := range lab.Notes() {
		fmt.Fprintf(stdout, "  note: %s\n", n.In(lang()))
	}
	fmt.Fprintf(stdout, "open %s/ in a browser; logs are in %s/logs; Ctrl-C stops.\n\n", lab.URL(), lab.Dir())

	// Every server of the lab is this one process, so the signals nginx and
	// uWSGI take all land here: SIGHUP (`proxy -s reload`, `uwsgi --reload`)
	// reloads the lab (unless it is the terminal hanging up), SIGUSR1 (`-s
	// reopen`) reopens the proxy's logs, and
	// SIGINT, SIGTERM and SIGQUIT (`-s quit`, `uwsgi --stop`) stop it gracefully.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGQUIT, syscall.SIGHUP, sigReopen)
	defer signal.Stop(sigs)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go func() {
		for sig := range sigs {
			switch sig {
			case syscall.SIGHUP:
				// The terminal closing sends SIGHUP too, and then nothing
				// can be written to it any more: that one ends the lab, as
				// closing the window ends any program in it; a SIGHUP sent
				// with kill while the terminal lives reloads.
				if _, err := fmt.Fprintln(stdout, "webflow-lab: reloading (nginx.conf read again, app servers restarted from their ini files)"); err != nil {
					stop()
					return
				}
				if err := lab.Reload(ctx); err != nil {
					printErr(stderr, err)
				}
				for _, w := range lab.Snapshot().Proxy.Warnings {
					fmt.Fprintf(stdout, "  note: %s\n", w)
				}
			case sigReopen:
				lab.ReopenLogs(ctx)
			default:
				stop()
				return
			}
		}
	}()
	done := make(chan struct{})
	if !*quiet {
		sub := lab.Watch(4096)
		go func() {
			defer close(done)
			for {
				e, err := sub.Next(ctx)
				if err != nil {
					return
				}
				fmt.Fprintln(stdout, sim.FormatEvent(e))
			}
		}()
		defer sub.Close()
	} else {
		close(done)
	}
	<-ctx.Done()
	<-done
	fmt.Fprintln(stdout, "\nwebflow-lab: stopping (in-flight requests finish first)")
	if err := lab.Shutdown(context.Background()); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}
