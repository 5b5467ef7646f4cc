package lessons

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"webflow-lab/servers/explain"
	"webflow-lab/sim"
)

// Lab is the running lab as a lesson sees it: the controls a learner types,
// the state `status` shows, and requests followed hop by hop. The screen
// and the tests hold the lab in their own process (Local); `webflow-lab
// lesson` in a second terminal reaches it through its control endpoint
// (Remote). Checks read files and logs straight from Dir.
type Lab interface {
	Dir() string
	Do(ctx context.Context, line string) (sim.Result, error)
	Snapshot(ctx context.Context) (sim.Snapshot, error)
	Probe(ctx context.Context, p sim.ProbeRequest) (sim.ProbeResult, error)
}

// Local is a lab running in this process.
func Local(l *sim.Lab) Lab { return local{l} }

type local struct{ l *sim.Lab }

func (l local) Dir() string { return l.l.Dir() }
func (l local) Do(ctx context.Context, line string) (sim.Result, error) {
	return l.l.Do(ctx, line)
}
func (l local) Snapshot(context.Context) (sim.Snapshot, error) { return l.l.Snapshot(), nil }
func (l local) Probe(ctx context.Context, p sim.ProbeRequest) (sim.ProbeResult, error) {
	return l.l.Probe(ctx, p)
}

// Remote finds the lab running in the workspace dir (or a folder above
// it) and talks to it through its control endpoint.
func Remote(dir string) (Lab, error) {
	cf, ws, ok := sim.FindControl(dir, 0)
	if !ok {
		return nil, &explain.Error{
			What:  explain.T("lesson: no lab is running in "+dir, "课程："+dir+" 中没有正在运行的实验"),
			Where: sim.ControlPath(dir),
			Why:   explain.T("a lesson checks the live lab, and none answers for this workspace", "课程要检查正在运行的实验，但这个工作区没有实验在运行"),
			Try: explain.T("start the lab in another terminal first (webflow-lab, or webflow-lab serve), or pass --workspace DIR",
				"先在另一个终端中启动实验（webflow-lab 或 webflow-lab serve），或用 --workspace 指定目录"),
		}
	}
	return remote{cf: cf, dir: ws}, nil
}

type remote struct {
	cf  sim.ControlFile
	dir string
}

func (r remote) Dir() string { return r.dir }
func (r remote) Do(ctx context.Context, line string) (sim.Result, error) {
	return sim.Send(ctx, r.cf, strings.Fields(line))
}

func (r remote) Snapshot(ctx context.Context) (sim.Snapshot, error) {
	var s sim.Snapshot
	res, err := sim.Send(ctx, r.cf, []string{"snapshot"})
	if err == nil {
		err = json.Unmarshal([]byte(res.Output), &s)
	}
	return s, err
}

func (r remote) Probe(ctx context.Context, p sim.ProbeRequest) (sim.ProbeResult, error) {
	var out sim.ProbeResult
	b, _ := json.Marshal(p)
	res, err := sim.Send(ctx, r.cf, []string{"probe", "--json", string(b)})
	if err == nil {
		err = json.Unmarshal([]byte(res.Output), &out)
	}
	return out, err
}

// env is what actions and checks run with: the lab, the variables taken
// when the step began, and the step's own state.
type env struct {
	lab     Lab
	dir     string
	vars    map[string]string
	lang    string
	state   *StepState
	captcha string
	browser *browser
}

// labVars are the variables lesson texts, actions and checks may name,
// taken from the running lab:
//
//	{url}                         http://127.0.0.1:8080, the proxy
//	{proxy}  {proxy.port}         127.0.0.1:8080, 8080
//	{uwsgi-1.http} {uwsgi-1.socket} {uwsgi-1.stats}   and each with .port
//	{workspace} {cmd}             the workspace and the command, as the learner types them
func labVars(s sim.Snapshot, workspace, cmd string) map[string]string {
	v := map[string]string{"workspace": workspace, "cmd": cmd}
	if len(s.Proxy.Addrs) > 0 {
		v["proxy"] = s.Proxy.Addrs[0]
		v["url"] = "http://" + s.Proxy.Addrs[0]
		v["proxy.port"] = portOf(s.Proxy.Addrs[0])
	}
	for _, in := range s.Instances {
		for k, a := range map[string]string{"http": in.HTTP, "socket": in.Socket, "stats": in.Stats} {
			if a != "" {
				v[in.Name+"."+k] = a
				v[in.Name+"."+k+".port"] = portOf(a)
			}
		}
	}
	return v
}

func portOf(addr string) string {
	_, p, err := net.SplitHostPort(strings.TrimPrefix(addr, "tcp:"))
	if err != nil {
		return ""
	}
	return p
}

var varRE = regexp.MustCompile(`\$?\{([a-z][a-z0-9-]*(?:\.[a-z0-9-]+)*)\}`)

// expand fills in {name} variables; nginx's ${name} is left alone.
func (e *env) expand(s string) string { return expandVars(s, e.vars) }

func expandVars(s string, vars map[string]string) string {
	if !strings.Contains(s, "{") {
		return s
	}
	return varRE.ReplaceAllStringFunc(s, func(m string) string {
		if m[0] == '$' {
			return m
		}
		if v, ok := vars[m[1:len(m)-1]]; ok {
			return v
		}
		return m
	})
}

// knownVar says whether name is a variable a lesson may use.
func knownVar(name string) bool {
	switch name {
	case "url", "proxy", "proxy.port", "workspace", "cmd":
		return true
	}
	return regexp.MustCompile(`^uwsgi-[0-9]+\.(http|socket|stats)(\.port)?$`).MatchString(name)
}

// unknownVars lists the {names} of s that are no variable.
func unknownVars(s string) []string {
	var out []string
	for _, m := range varRE.FindAllStringSubmatch(s, -1) {
		if m[0][0] != '$' && !knownVar(m[1]) {
			out = append(out, "{"+m[1]+"}")
		}
	}
	return out
}

// logSizes is how long each log file is now: a step's log checks read
// only what comes after.
func logSizes(dir string) map[string]int64 {
	out := map[string]int64{}
	entries, _ := os.ReadDir(filepath.Join(dir, "logs"))
	for _, en := range entries {
		if info, err := en.Info(); err == nil && info.Mode().IsRegular() {
			out[en.Name()] = info.Size()
		}
	}
	return out
}

// A logLine is one line of a log file.
type logLine struct{ file, text string }

// newLogLines returns the lines written to the logs matching pattern since
// the step began, and the files' names.
func (e *env) newLogLines(pattern string) ([]logLine, []string) {
	matches, _ := filepath.Glob(filepath.Join(e.dir, "logs", pattern))
	sort.Strings(matches)
	var lines []logLine
	var names []string
	for _, m := range matches {
		name := filepath.Base(m)
		names = append(names, name)
		b, err := os.ReadFile(m)
		if err != nil {
			continue
		}
		off := e.state.Logs[name]
		if off > int64(len(b)) { // rotated or truncated: all of it is new
			off = 0
		}
		for _, l := range strings.Split(string(b[off:]), "\n") {
			if l != "" && !strings.Contains(l, `"`+sim.ProbeAgent+`"`) { // not the checks' own requests
				lines = append(lines, logLine{name, l})
			}
		}
	}
	if len(names) == 0 {
		names = []string{pattern}
	}
	return lines, names
}

var _ = fmt.Sprint
