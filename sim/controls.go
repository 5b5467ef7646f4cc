package sim

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"webflow-lab/servers/explain"
	"webflow-lab/servers/trace"
)

// A Result is what a control did, in both languages, and the command or
// config line that does the same on real servers: the lab teaches the real
// vocabulary as it goes.
type Result struct {
	At         time.Time
	Did        explain.Text
	Equivalent string // "uwsgi --stop uwsgi-1.pid", "service mysqld stop", "iptables -A INPUT …"
	Diff       string // a config edit, as a unified diff
	Output     string // what the real server printed, when that is the point (a refused start)
}

// maxActions is how many results the action log keeps.
const maxActions = 50

// done logs r in the action log, with a state event, and returns it. The
// caller holds l.mu.
func (l *Lab) done(r Result) (Result, error) {
	r.At = time.Now()
	l.actions = append(l.actions, r)
	if len(l.actions) > maxActions {
		l.actions = append(l.actions[:0], l.actions[len(l.actions)-maxActions:]...)
	}
	return r, nil
}

// state records a typed state event (always delivered to watchers).
func (l *Lab) state(kind trace.StateKind, subject string, why explain.Text) {
	l.rec.Record(trace.Event{Phase: trace.Info, At: trace.Now(), State: true, Kind: kind, Subject: subject,
		Instance: subject, Why: why.EN, WhyZH: why.ZH})
}

// control runs f with the lab locked, refusing once the lab has stopped.
func (l *Lab) control(f func() (Result, error)) (Result, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return Result{}, &explain.Error{What: explain.T("lab: the lab has stopped", "lab: 实验已经停止"),
			Try: explain.T("start it again: webflow-lab", "重新启动：webflow-lab")}
	}
	defer l.publish()
	return f()
}

func (l *Lab) rel(path string) string { return relTo(l.dir, path) }

func stateError(what, why, try explain.Text, where string) error {
	return &explain.Error{What: what, Why: why, Try: try, Where: where}
}

func notRunning(in *instance) error {
	return stateError(explain.T("lab: "+in.name+" is not running ("+string(in.state)+")", "lab: "+in.name+" 没有在运行（"+zhState(in.state)+"）"),
		explain.Text{}, explain.T("start it: start "+in.name, "先启动它：start "+in.name), in.ini)
}

func zhState(s RunState) string {
	switch s {
	case Running:
		return "运行中"
	case Stopped:
		return "已停止"
	case Killed:
		return "已被杀死"
	case Failed:
		return "启动失败"
	}
	return string(s)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// Reload is what a reload signal sent to the lab's process does: every
// server of the lab is this one process, so a bare SIGHUP (kill -HUP on
// nginx.pid or a uwsgi pidfile alike) reaches them all. The proxy reads
// nginx.conf again and each running instance restarts from its ini file.
// The commands that name one component (`proxy -s reload`, `uwsgi --reload
// uwsgi-1.pid`) reach only it, through the control endpoint.
func (l *Lab) Reload(ctx context.Context) error {
	var errs []error
	_, err := l.ReloadProxy(ctx)
	errs = append(errs, err)
	for _, in := range l.Snapshot().Instances {
		if in.State == Running {
			if _, err := l.ReloadInstance(ctx, in.Name); err != nil {
				errs = append(errs, fmt.Errorf("%s.ini: %w", in.Name, err))
			}
		}
	}
	return errors.Join(errs...)
}
