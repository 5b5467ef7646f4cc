package sim

import (
	"context"
	"fmt"
	"time"

	"webflow-lab/servers/explain"
	"webflow-lab/servers/trace"
)

// Breakpoints: requests held at a hop for real, listed, released.

// A BreakSpec says where a breakpoint holds requests.
type BreakSpec struct {
	Hop        trace.Hop
	PathPrefix string        // only requests whose path starts with it
	Instance   string        // only at this instance ("uwsgi-1")
	Timeout    time.Duration // 0: trace.DefaultHoldTimeout
}

// Break arms a breakpoint: requests that reach the hop are held for real —
// their client has no answer — until released, their client leaves, or the
// timeout passes. It returns the breakpoint's id.
func (l *Lab) Break(ctx context.Context, b BreakSpec) (int, Result, error) {
	var id int
	r, err := l.control(func() (Result, error) {
		if b.Hop == trace.NoHop || b.Hop == trace.Connect {
			return Result{}, stateError(explain.T("lab: no such hop for a breakpoint", "lab: 不能在这里设置断点"), explain.Text{},
				explain.T("one of: proxy, upstream, queue, app, db, db-return, app-return, uwsgi-return, response",
					"可选：proxy、upstream、queue、app、db、db-return、app-return、uwsgi-return、response"), "")
		}
		inst := b.Instance
		if inst != "" {
			in, err := l.instance(inst)
			if err != nil {
				return Result{}, err
			}
			if b.Hop == trace.ProxyToUwsgi && len(in.cfg.Sockets) > 0 {
				inst = normalizeAddr(in.cfg.Sockets[0]) // the proxy knows its peers by address
			}
		}
		id = l.points.Arm(trace.Rule{Hop: b.Hop, PathPrefix: b.PathPrefix, Instance: inst, Action: trace.Hold, Timeout: b.Timeout})
		where := b.Hop.String()
		if b.PathPrefix != "" {
			where += " for " + b.PathPrefix + "…"
		}
		if b.Instance != "" {
			where += " at " + b.Instance
		}
		return l.done(Result{Did: explain.T(fmt.Sprintf("breakpoint %d armed at %s: requests stop there, their browsers wait", id, where),
			fmt.Sprintf("断点 %d 已设在 %s：请求会停在那里，浏览器一直等待", id, where)),
			Equivalent: "a debugger's breakpoint (pdb.set_trace() in the view) — real servers have no such switch"})
	})
	return id, r, err
}

// Release lets one held request go on.
func (l *Lab) Release(ctx context.Context, heldID int) (Result, error) {
	return l.control(func() (Result, error) {
		if !l.points.Release(heldID) {
			return Result{}, stateError(explain.T(fmt.Sprintf("lab: no held request %d", heldID), fmt.Sprintf("lab: 没有编号为 %d 的暂停请求", heldID)),
				explain.Text{}, explain.T("see the held requests: held", "查看暂停的请求：held"), "")
		}
		return l.done(Result{Did: explain.T(fmt.Sprintf("released held request %d", heldID), fmt.Sprintf("已放行暂停的请求 %d", heldID))})
	})
}

// ReleaseAll lets every held request go on.
func (l *Lab) ReleaseAll(ctx context.Context) (Result, error) {
	return l.control(func() (Result, error) {
		n := l.points.ReleaseAll()
		return l.done(Result{Did: explain.T(fmt.Sprintf("released %d held request(s)", n), fmt.Sprintf("已放行 %d 个暂停的请求", n))})
	})
}

// ClearBreak disarms breakpoint id (0: every breakpoint), releasing what it
// holds.
func (l *Lab) ClearBreak(ctx context.Context, id int) (Result, error) {
	return l.control(func() (Result, error) {
		n := 0
		for _, r := range l.points.Rules() {
			if r.Action == trace.Hold && (id == 0 || r.ID == id) {
				l.points.Disarm(r.ID)
				n++
			}
		}
		if n == 0 {
			return Result{}, stateError(explain.T(fmt.Sprintf("lab: no breakpoint %d", id), fmt.Sprintf("lab: 没有编号为 %d 的断点", id)),
				explain.Text{}, explain.T("see the breakpoints: status", "查看断点：status"), "")
		}
		return l.done(Result{Did: explain.T(fmt.Sprintf("cleared %d breakpoint(s); what they held goes on", n), fmt.Sprintf("已清除 %d 个断点；被暂停的请求继续", n))})
	})
}
