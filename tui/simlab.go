package tui

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"webflow-lab/servers/explain"
	"webflow-lab/servers/trace"
	"webflow-lab/sim"
	"webflow-lab/tui/snap"
)

// SimLab adapts a running *sim.Lab to Lab. It is the one place the TUI
// talks to sim: it turns sim's Snapshot and Result into the screen's own
// plain values (tui/snap), and everything else passes straight through.
type SimLab struct{ lab *sim.Lab }

// NewSimLab wraps lab.
func NewSimLab(lab *sim.Lab) *SimLab { return &SimLab{lab: lab} }

// Snapshot converts the lab's snapshot.
func (s *SimLab) Snapshot() snap.Snapshot {
	return fromSim(s.lab.Snapshot(), s.lab.URL(), s.lab.Notes())
}

// Watch subscribes to the lab's events.
func (s *SimLab) Watch(buffer int) Watcher { return subscription{s.lab.Watch(buffer)} }

type subscription struct{ *trace.Subscription }

// Do runs one control of the lab's vocabulary. Two more are what signals
// to the lab's pid files do (as in serve): "reload-all" (SIGHUP: nginx.conf
// read again, every instance restarted) and "reload-logs" (SIGUSR1: the
// proxy reopens its logs).
func (s *SimLab) Do(ctx context.Context, command string) (snap.Result, error) {
	if strings.TrimSpace(command) == "reload-all" {
		if err := s.lab.Reload(ctx); err != nil {
			return snap.Result{}, err
		}
		return snap.Result{Did: explain.T("reloaded nginx.conf and restarted every app server",
			"已重新加载 nginx.conf 并重启所有应用服务器"), Equivalent: "nginx -s reload; uwsgi --reload uwsgi-N.pid"}, nil
	}
	if strings.TrimSpace(command) == "reload-logs" {
		r, err := s.lab.ReopenLogs(ctx)
		return fromResult(r), err
	}
	r, err := s.lab.Do(ctx, command)
	if err != nil {
		return snap.Result{}, err
	}
	return fromResult(r), nil
}

// Commands lists the lab's vocabulary.
func (s *SimLab) Commands() []snap.Command {
	var out []snap.Command
	for _, c := range sim.Commands() {
		out = append(out, snap.Command{Name: c.Name, Args: c.Args, Summary: c.Summary, Values: c.Values})
	}
	return out
}

// Complete returns the completions of a partial ':' line.
func (s *SimLab) Complete(line string) []string { return s.lab.Complete(line) }

// UserOf names the virtual user of a connection.
func (s *SimLab) UserOf(conn string) int { return s.lab.UserOf(conn) }

var _ Lab = (*SimLab)(nil)

func fromResult(r sim.Result) snap.Result {
	return snap.Result{At: r.At, Did: r.Did, Equivalent: r.Equivalent, Diff: r.Diff, Output: r.Output}
}

func fromSim(in sim.Snapshot, url string, notes []explain.Text) snap.Snapshot {
	out := snap.Snapshot{Dir: in.Dir, URL: url, Notes: notes,
		Proxy: snap.Proxy{Addrs: in.Proxy.Addrs, ConfFile: in.Proxy.ConfFile, Running: in.Proxy.State == sim.Running,
			LastError: in.Proxy.LastError},
		DB: snap.DB{Up: in.DB.State == sim.Running, Separate: len(in.DB.Files) > 1}}
	if len(in.DB.Files) > 0 {
		out.DB.Path = in.DB.Files[0]
	}
	for _, u := range in.Upstreams {
		up := snap.Upstream{Name: u.Name, Strategy: u.Strategy, Where: u.Where}
		for _, p := range u.Peers {
			up.Peers = append(up.Peers, snap.Peer{Addr: p.Addr, Instance: p.Instance, Weight: p.Weight,
				Backup: p.Backup, State: string(p.State), Fails: int64(p.Fails)})
		}
		out.Upstreams = append(out.Upstreams, up)
	}
	for _, i := range in.Instances {
		x := snap.Instance{Name: i.Name, Ini: i.Ini, Pidfile: i.Pidfile, State: string(i.State), Socket: i.Socket,
			HTTP: i.HTTP, Stats: i.Stats, Processes: i.Processes, Threads: i.Threads, Requests: i.Requests,
			ListenQueue: i.ListenQueue, Latency: i.Latency, LastError: i.LastError}
		for _, w := range i.Workers {
			x.Workers = append(x.Workers, snap.Worker{ID: w.ID, Busy: w.Busy > 0, Requests: w.Requests, AvgTime: w.AvgTime})
		}
		out.Instances = append(out.Instances, x)
	}
	for _, b := range in.Breakpoints {
		out.Breakpoints = append(out.Breakpoints, snap.Breakpoint{ID: b.ID, Hop: b.Hop.String(),
			PathPrefix: b.PathPrefix, Instance: b.Instance, Hits: b.Hits})
	}
	for _, h := range in.Held {
		out.Held = append(out.Held, snap.Held{ID: h.ID, ReqID: h.ReqID, Hop: h.Hop.String(), Method: h.Method,
			Path: h.Path, Instance: h.Instance, Since: h.Since, Deadline: h.Deadline})
	}
	for _, a := range in.Actions {
		out.Actions = append(out.Actions, fromResult(a))
	}
	for _, t := range in.Traffic {
		out.Traffic = append(out.Traffic, fromTraffic(t))
	}
	return out
}

// fromTraffic converts a traffic run (its maps are the snapshot's own copies).
func fromTraffic(t sim.TrafficRun) snap.TrafficRun {
	return snap.TrafficRun{ID: t.ID, Spec: t.Spec, Kind: t.Kind, Users: t.Users, From: t.From, State: string(t.State),
		Started: t.Started, Ended: t.Ended, Sent: t.Sent, Cached: t.Cached, Errors: t.Errors, Walks: t.Walks,
		Failed: t.Failed, Status: t.Status, P50: t.P50, P90: t.P90, P99: t.P99, Max: t.Max, RPS: t.RPS,
		Instances: t.Instances, Seen: t.Seen, Error: t.Error, Note: t.Note}
}

// logsDir is where the lab's logs are, given a snapshot.
func logsDir(s snap.Snapshot) string {
	if s.Dir == "" {
		d, _ := os.Getwd()
		return filepath.Join(d, "logs")
	}
	return filepath.Join(s.Dir, "logs")
}
