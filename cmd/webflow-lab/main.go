// Command webflow-lab is a terminal lab for learning how a deployed web
// application answers a request: browser → nginx-like proxy → uWSGI-like app
// server → WSGI app (the EMS) → SQLite, every hop real and on loopback.
//
// This file only parses the subcommand and dispatches; each subcommand lives
// in its own file.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"webflow-lab/servers/explain"
	"webflow-lab/sim"
)

// A command is one subcommand: its name, a one-line summary and its entry point.
type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

// commands is the subcommand table, in the order --help lists them.
var commands = []command{
	{"serve", "run the default lab topology (proxy → 2 app servers → EMS → SQLite) and print hop events", runServe},
	{"uwsgi", "run the uWSGI-compatible app server (like `uwsgi --ini app.ini`)", runUwsgi},
	{"proxy", "run the nginx-compatible proxy (like `nginx -c nginx.conf`, -t, -s reload)", runProxy},
	{"db", "stop, start or check the running lab's database service (like `service mysqld stop`)", runDB},
	{"ctl", "run one of the lab's controls on the running lab (`ctl strategy ip_hash`, `ctl break app`)", runCtl},
	{"lesson", "the course as exercises on the running lab: list, start N, check, hint, teach N (in a second terminal)", runLesson},
	{"reset", "put the workspace back to the defaults, keeping a backup of what it replaces", runReset},
	{"bench", "send load to a URL and report requests/s, status codes, errors and latency percentiles (like wrk, hey)", runBench},
	{"capacity", "QPS = processes × threads ÷ time per request, predicted and measured", runCapacity},
	{"record", "run the lab as serve does and save the run (events, snapshots, configs) to one file", runRecord},
	{"replay", "play a recorded run back, on its recorded timing, without starting any server", runReplay},
	{"collectstatic", "copy the EMS's static files into STATIC_ROOT (like Django's collectstatic)", runCollectstatic},
	{"version", "print the version", runVersion},
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || len(args[0]) > 1 && args[0][0] == '-' && !isHelpOrVersion(args[0]) {
		// no command (flags only): the lab and its screen
		return runTUI(args, stdout, stderr)
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return 0
	case "-version", "--version":
		name = "version"
	}
	for _, c := range commands {
		if c.name == name {
			return c.run(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "webflow-lab: unknown command %q\n\n", name)
	usage(stderr)
	return 2
}

func isHelpOrVersion(a string) bool {
	switch a {
	case "-h", "-help", "--help", "-version", "--version":
		return true
	}
	return false
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "webflow-lab: watch, pause and break the real request path of a web application.\n\n")
	fmt.Fprintf(w, "usage: webflow-lab [--workspace DIR] [--lang en|zh] [--ascii] [--presenter]   the lab and its screen\n")
	fmt.Fprintf(w, "       webflow-lab <command> [arguments]\n\ncommands:\n")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-14s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\n`webflow-lab <command> --help` explains a command's flags.\n")
}

func runVersion(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintf(stdout, "webflow-lab %s\n", version())
	return 0
}

// version reports the module version, or the VCS revision of a local build.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := info.Main.Version
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
	}
	return v
}

// flagSet returns a FlagSet that reports errors instead of exiting.
func flagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("webflow-lab "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// exitCode maps a parse error to 0 for -h and 2 otherwise.
func exitCode(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}

// printErr prints a learner-facing error as its block (after a blank line,
// to set it apart from the server log above it), anything else as is.
func printErr(w io.Writer, err error) {
	var re *sim.RemoteError
	if errors.As(err, &re) && re.Said != "" {
		fmt.Fprintln(w, re.Said) // what the real server prints, then why
	}
	var e *explain.Error
	if errors.As(err, &e) {
		fmt.Fprintf(w, "\n%s\n", e.Block(lang()))
		return
	}
	fmt.Fprintln(w, err)
}

func lang() string {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return "en"
}
