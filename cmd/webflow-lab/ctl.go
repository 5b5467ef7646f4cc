package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"webflow-lab/servers/explain"
	"webflow-lab/sim"
)

// tellLab hands a real command (`uwsgi --stop uwsgi-1.pid`, `proxy -s
// reload`) to the running lab that owns dir, when one does: the lab's
// servers are goroutines of one process, so a signal would reach them all,
// and Windows has no signals. pid, when not 0, must be the lab's (the
// pidfile's pid). handled is false when no lab answers: the caller then
// does what the real tool does (a signal, on systems that have them).
func tellLab(dir string, pid int, args []string, stdout, stderr io.Writer) (code int, handled bool) {
	cf, _, ok := sim.FindControl(dir, pid)
	if !ok {
		return 0, false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r, err := sim.Send(ctx, cf, args)
	if errors.Is(err, sim.ErrNoLab) {
		return 0, false // a stale control file: the lab is gone
	}
	if err != nil {
		printErr(stderr, err)
		return 1, true
	}
	printResult(stdout, r)
	return 0, true
}

// printResult shows what the lab did and the real command it stands for.
func printResult(w io.Writer, r sim.Result) {
	if r.Did.EN != "" {
		fmt.Fprintf(w, "webflow-lab: %s\n", r.Did.In(lang()))
	}
	if r.Equivalent != "" {
		fmt.Fprintf(w, "  ≈ %s\n", r.Equivalent)
	}
	if r.Diff != "" {
		fmt.Fprint(w, indent(r.Diff))
	}
	if r.Output != "" {
		fmt.Fprint(w, indent(r.Output))
	}
}

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	return "  " + strings.ReplaceAll(s, "\n", "\n  ") + "\n"
}

// runCtl is `webflow-lab ctl COMMAND…`: any of the lab's controls, typed in
// a second terminal, run by the lab running in the workspace.
func runCtl(args []string, stdout, stderr io.Writer) int {
	fs := flagSet("ctl", stderr)
	dir := fs.String("workspace", "workspace", "the running lab's workspace folder")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: webflow-lab ctl [--workspace DIR] COMMAND [ARGS…]\n\nCommands (the same as the screen's ':' line):\n")
		for _, c := range sim.Commands() {
			fmt.Fprintf(fs.Output(), "  %-10s %-28s %s\n", c.Name, c.Args, c.Summary.In(lang()))
		}
		fmt.Fprintln(fs.Output())
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitCode(err)
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	return sendToLab(*dir, fs.Args(), stdout, stderr)
}

// runDB is `webflow-lab db stop|start|status`: the lab's database service,
// as `service mysqld stop|start|status` is a real one's.
func runDB(args []string, stdout, stderr io.Writer) int {
	fs := flagSet("db", stderr)
	dir := fs.String("workspace", "workspace", "the running lab's workspace folder")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: webflow-lab db [--workspace DIR] stop|start|status\n\n")
		fmt.Fprintf(fs.Output(), "The lab's database service, like `service mysqld stop|start|status`.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitCode(err)
	}
	if fs.NArg() != 1 || !strings.Contains("stop start status", fs.Arg(0)) {
		fs.Usage()
		return 2
	}
	return sendToLab(*dir, []string{"db", fs.Arg(0)}, stdout, stderr)
}

func sendToLab(dir string, args []string, stdout, stderr io.Writer) int {
	if code, ok := tellLab(dir, 0, args, stdout, stderr); ok {
		return code
	}
	printErr(stderr, noLabError(dir))
	return 1
}

func noLabError(dir string) error {
	return &explain.Error{
		What:  explain.T("webflow-lab: no lab is running in "+dir, "webflow-lab: "+dir+" 中没有正在运行的实验"),
		Where: sim.ControlPath(dir),
		Why: explain.T("a running lab writes .webflow-lab/control.json into its workspace; there is none (or it is stale)",
			"运行中的实验会在工作区写入 .webflow-lab/control.json；现在没有（或已失效）"),
		Try: explain.T("start the lab first (webflow-lab, or webflow-lab serve), or pass --workspace DIR",
			"请先启动实验（webflow-lab 或 webflow-lab serve），或用 --workspace 指定目录"),
	}
}

// runReset is `webflow-lab reset`: the workspace back to the shipped
// defaults. What it replaces is moved to .webflow-lab/backup/<time>/ inside
// the workspace first, so nothing a learner wrote is lost.
func runReset(args []string, stdout, stderr io.Writer) int {
	fs := flagSet("reset", stderr)
	dir := fs.String("workspace", "workspace", "the workspace folder to reset")
	if err := fs.Parse(args); err != nil {
		return exitCode(err)
	}
	if cf, _, found := sim.FindControl(*dir, 0); found {
		if pingLab(cf) {
			printErr(stderr, &explain.Error{
				What: explain.T("webflow-lab reset: the lab is running in "+*dir, "webflow-lab reset: "+*dir+" 中的实验正在运行"),
				Why:  explain.T("resetting the files under a running lab would leave it serving configs that are gone", "在实验运行时重置文件，会让它继续使用已被删除的配置"),
				Try:  explain.T("quit the lab (q in the screen, Ctrl-C for serve), then reset", "先退出实验（界面中按 q，serve 按 Ctrl-C），再重置"),
			})
			return 1
		}
	}
	backup, err := sim.Reset(*dir, sim.Options{})
	if err != nil {
		printErr(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "webflow-lab: %s is back to the defaults\n", *dir)
	if backup != "" {
		fmt.Fprintf(stdout, "  what was there is kept in %s\n", backup)
	}
	return 0
}

func pingLab(cf sim.ControlFile) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_, err := sim.Send(ctx, cf, []string{"db", "status"})
	return !errors.Is(err, sim.ErrNoLab)
}

// absPath is path made absolute, for a message to another process.
func absPath(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}
