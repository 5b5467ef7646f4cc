package sim

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"webflow-lab/servers/explain"
	"webflow-lab/servers/trace"
	"webflow-lab/sim/load"
	"webflow-lab/sim/traffic"
)

// The machinery behind the traffic controls (traffic_control.go): the
// runs, the users and load addresses they take, the goroutines that play
// them, and the tap that counts where their requests went.

// maxEndedRuns is how many finished runs the lab remembers for the screen.
const maxEndedRuns = 20

// trafficSet is the lab's traffic: its runs, the users they number, and
// the tap that sees the proxy's events while any runs. The zero value is
// ready.
type trafficSet struct {
	mu       sync.Mutex
	closed   bool
	nextID   int
	runs     []*trafficRun // in start order: running ones and the last maxEndedRuns ended
	inflight map[string]*inflight
	wg       sync.WaitGroup
	users    traffic.Users
	rec      *recorder // whose tap is see while any run runs
}

// inflight is one of a run's requests between its arrival at the proxy and
// the proxy's answer.
type inflight struct {
	run      *trafficRun
	instance string
}

// maxInflight bounds the join table; past it new requests are not counted
// (a proxy that stopped mid-request never sends their last event).
const maxInflight = 1 << 14

type trafficRun struct {
	id          int
	item        traffic.Item
	spec, kind  string
	first, last int        // users
	from        netip.Addr // a load's source address; invalid for 127.0.0.1
	fromText    string
	note        explain.Text
	started     time.Time
	cancel      context.CancelFunc
	done        chan struct{}

	sent, cached, errs, walks, failed, seen atomic.Int64
	hist                                    *load.Histogram

	mu       sync.Mutex // guards below
	status   map[int]int64
	spread   map[string]int64
	progress *load.Progress // a load's last progress
	ended    time.Time
	state    TrafficState
	err      explain.Text
}

// start numbers the items' users, starts a run for each and returns them.
// The caller holds l.mu (and so the tap's recorder is the lab's).
func (t *trafficSet) start(items []traffic.Item, opts traffic.Options) ([]*trafficRun, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil, errors.New("lab: stopped")
	}
	own, note := traffic.OwnAddresses()
	opts.Users = &t.users
	var plan []*trafficRun
	taken := t.takenUsers()
	takenFrom := map[netip.Addr]bool{}
	for _, r := range t.runs {
		if r.running() && r.from.IsValid() {
			takenFrom[r.from] = true
		}
	}
	for _, it := range items {
		r := &trafficRun{item: it, spec: traffic.FormatItem(it), hist: load.NewHistogram(),
			status: map[int]int64{}, spread: map[string]int64{}, state: TrafficRunning, done: make(chan struct{})}
		if !own {
			r.note = note
		}
		switch it.(type) {
		case *traffic.Browse:
			r.kind = "browse"
		case *traffic.Fetch:
			r.kind = "fetch"
		case *traffic.Load:
			r.kind = "load"
			r.fromText = "127.0.0.1"
			if own {
				for k := 2; k < 255; k++ {
					a := netip.AddrFrom4([4]byte{127, 0, 0, byte(k)})
					if !takenFrom[a] {
						r.from, r.fromText, takenFrom[a] = a, a.String(), true
						break
					}
				}
			}
		}
		if n := traffic.UsersOf(it); n > 0 {
			first := freeUsers(taken, n)
			if first == 0 {
				return nil, &explain.Error{
					What: explain.T(fmt.Sprintf("lab: %d more virtual users", n), fmt.Sprintf("lab: 再要 %d 个虚拟用户", n)),
					Why: explain.T(fmt.Sprintf("the lab has %d, one loopback address each (127.0.N.1), and its running traffic uses %d", traffic.MaxUsers, len(taken)),
						fmt.Sprintf("实验最多 %d 个虚拟用户，每个一个回环地址（127.0.N.1），正在运行的流量已用 %d 个", traffic.MaxUsers, len(taken))),
					Try: explain.T("stop a run first (traffic stop ID), or use fewer users", "先停止一个流量（traffic stop ID），或减少用户数")}
			}
			r.first, r.last = first, first+n-1
			for u := r.first; u <= r.last; u++ {
				taken[u] = true
			}
			if own {
				r.fromText = traffic.SourceAddr(r.first).String()
				if n > 1 {
					r.fromText += "–" + traffic.SourceAddr(r.last).String()
				}
			} else {
				r.fromText = "127.0.0.1"
			}
		}
		plan = append(plan, r)
	}
	rec := t.rec
	for _, r := range plan {
		t.nextID++
		r.id = t.nextID
		r.started = time.Now()
		ctx, cancel := context.WithCancel(context.Background())
		r.cancel = cancel
		t.runs = append(t.runs, r)
		t.wg.Add(1)
		go func() {
			defer t.wg.Done()
			defer close(r.done)
			defer cancel()
			announce(rec, r, trace.TrafficStarted)
			r.run(ctx, opts, func() { t.settle(r) })
			t.ended()
			announce(rec, r, trace.TrafficEnded)
		}()
	}
	if len(plan) > 0 && t.rec != nil {
		t.rec.setTap(t.see)
	}
	t.trim()
	return plan, nil
}

// announce tells the lab's watchers (the screen, a recording) that run r
// started or ended, as a state event: they read the snapshot again. The
// caller does not hold t.mu (the recorder's tap takes it).
func announce(rec *recorder, r *trafficRun, kind trace.StateKind) {
	if rec == nil {
		return
	}
	v := r.view()
	subject := "traffic " + strconv.Itoa(r.id)
	en := fmt.Sprintf("traffic %d started: %s", r.id, r.spec)
	zh := fmt.Sprintf("流量 %d 已开始：%s", r.id, r.spec)
	if kind == trace.TrafficEnded {
		state := map[TrafficState]string{TrafficDone: "完成", TrafficStopped: "已停止", TrafficFailed: "失败"}[v.State]
		en = fmt.Sprintf("traffic %d %s: %s", r.id, v.State, summaryEN(v))
		zh = fmt.Sprintf("流量 %d %s：%s", r.id, state, summaryZH(v))
	}
	rec.Record(trace.Event{Phase: trace.Info, At: trace.Now(), State: true, Kind: kind, Subject: subject,
		Why: en, WhyZH: zh})
}

// ended trims the list of ended runs and takes the tap away if it is idle.
func (t *trafficSet) ended() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.trim()
	t.untapIfIdle()
}

// untapIfIdle takes the tap away once no run runs and no request of one is
// in flight (its answer is still counted), so that a lab without traffic
// pays nothing for it. The caller holds t.mu.
func (t *trafficSet) untapIfIdle() {
	if len(t.inflight) > 0 || t.rec == nil {
		return
	}
	for _, r := range t.runs {
		if r.running() {
			return
		}
	}
	t.rec.setTap(nil)
}

// takenUsers are the users of the running runs; the caller holds t.mu.
func (t *trafficSet) takenUsers() map[int]bool {
	taken := map[int]bool{}
	for _, r := range t.runs {
		if r.running() {
			for u := r.first; u > 0 && u <= r.last; u++ {
				taken[u] = true
			}
		}
	}
	return taken
}

// freeUsers is the first of n consecutive users none of which is taken,
// counting from 1, or 0 when there is no such block.
func freeUsers(taken map[int]bool, n int) int {
	for first := 1; first+n-1 <= traffic.MaxUsers; first++ {
		free := true
		for u := first; u < first+n; u++ {
			if taken[u] {
				free, first = false, u
				break
			}
		}
		if free {
			return first
		}
	}
	return 0
}

// trim forgets the oldest ended runs past maxEndedRuns; the caller holds t.mu.
func (t *trafficSet) trim() {
	ended := 0
	for _, r := range t.runs {
		if !r.running() {
			ended++
		}
	}
	if ended <= maxEndedRuns {
		return
	}
	kept := t.runs[:0]
	for _, r := range t.runs {
		if !r.running() && ended > maxEndedRuns {
			ended--
			continue
		}
		kept = append(kept, r)
	}
	clear(t.runs[len(kept):])
	t.runs = kept
}

// stop cancels run id (0: all running) and returns the runs it cancelled.
func (t *trafficSet) stop(id int) ([]*trafficRun, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []*trafficRun
	var ids []string
	for _, r := range t.runs {
		if r.running() {
			ids = append(ids, strconv.Itoa(r.id))
		}
		if (id == 0 || r.id == id) && r.running() {
			r.stopping()
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		list := strings.Join(ids, ", ")
		why := explain.T("running now: "+list, "正在运行的："+list)
		if list == "" {
			why = explain.T("no traffic runs now", "现在没有流量在运行")
		}
		what := explain.T("lab: no traffic is running", "lab: 没有正在运行的流量")
		if id != 0 {
			what = explain.T(fmt.Sprintf("lab: traffic %d is not running", id), fmt.Sprintf("lab: 流量 %d 不在运行", id))
		}
		return nil, &explain.Error{What: what, Why: why, Try: explain.T("`traffic` lists the runs", "`traffic` 列出所有流量")}
	}
	return out, nil
}

// shutdown stops every run and waits for their goroutines; the lab's
// Shutdown calls it first, and nothing starts after it.
func (t *trafficSet) shutdown() {
	t.mu.Lock()
	t.closed = true
	for _, r := range t.runs {
		if r.running() {
			r.stopping()
		}
	}
	t.mu.Unlock()
	t.wg.Wait()
}

// see is the recorder's tap: it joins the proxy's events of a request of
// the lab's traffic (arrival, the peer it was sent to, the answer) and
// counts, at the answer, which instance the run's request went to.
func (t *trafficSet) see(e trace.Event) {
	switch {
	case e.First && e.From == trace.Browser && e.To == trace.Proxy:
		client, _, _ := strings.Cut(e.Conn, "→")
		t.mu.Lock()
		defer t.mu.Unlock()
		r := t.runOf(client)
		switch {
		case r == nil:
			t.untapIfIdle()
		case len(t.inflight) < maxInflight:
			if t.inflight == nil {
				t.inflight = map[string]*inflight{}
			}
			t.inflight[e.ReqID] = &inflight{run: r}
		}
	case e.From == trace.Proxy && e.Phase == trace.Sent && e.To != trace.Disk && e.Instance != "":
		t.mu.Lock()
		defer t.mu.Unlock()
		if f := t.inflight[e.ReqID]; f != nil {
			f.instance = e.Instance // the last peer tried is the one that answered
		}
	case e.Last && e.From == trace.Proxy && e.To == trace.Browser:
		t.mu.Lock()
		f := t.inflight[e.ReqID]
		delete(t.inflight, e.ReqID)
		if f != nil && len(t.inflight) == 0 {
			t.untapIfIdle()
		}
		t.mu.Unlock()
		if f != nil {
			name := f.instance
			if name == "" {
				name = "proxy"
			}
			f.run.seen.Add(1)
			f.run.mu.Lock()
			f.run.spread[name]++
			f.run.mu.Unlock()
		}
	}
}

// settle waits, half a second at most, until the tap has seen the answer
// of every request of r it saw arrive. The proxy records an answer's event
// just after writing it, so a run's last answers can reach its browsers a
// moment before the tap counts them; a run reported done counts them all.
func (t *trafficSet) settle(r *trafficRun) {
	for deadline := time.Now().Add(500 * time.Millisecond); time.Now().Before(deadline); {
		t.mu.Lock()
		pending := false
		for _, f := range t.inflight {
			if f.run == r {
				pending = true
				break
			}
		}
		t.mu.Unlock()
		if !pending {
			return
		}
		time.Sleep(2 * time.Millisecond) // an event a moment away, bounded by the deadline
	}
}

// runOf is the running run a client address belongs to; the caller holds t.mu.
func (t *trafficSet) runOf(client string) *trafficRun {
	ap, err := netip.ParseAddrPort(client)
	if err != nil {
		return nil
	}
	a := ap.Addr().Unmap()
	n := t.users.Who(client)
	for _, r := range t.runs {
		if !r.running() {
			continue
		}
		if r.from.IsValid() && r.from == a || n > 0 && r.first <= n && n <= r.last {
			return r
		}
	}
	return nil
}

// running reports whether r still runs (its goroutine may be finishing).
func (r *trafficRun) running() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state == TrafficRunning
}

// stopping marks r stopped and cancels it.
func (r *trafficRun) stopping() {
	r.mu.Lock()
	r.state = TrafficStopped
	r.mu.Unlock()
	r.cancel()
}

// run plays the run's item until it is done or ctx ends.
func (r *trafficRun) run(ctx context.Context, opts traffic.Options, settle func()) {
	var sum traffic.Summary
	if v, ok := r.item.(*traffic.Load); ok {
		sum = r.runLoad(ctx, v, opts.Base)
	} else {
		opts.OnRequest = r.request
		opts.OnWalk = func(_ int, err error) {
			if err != nil {
				r.failed.Add(1)
			} else {
				r.walks.Add(1)
			}
		}
		sum = traffic.RunItem(ctx, r.item, r.first, opts)
		r.walks.Store(sum.Walks)
		r.failed.Store(sum.Failed)
	}
	settle()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ended = time.Now()
	if sum.Err != nil && r.err == (explain.Text{}) {
		r.err = errText(sum.Err)
	}
	if r.state != TrafficRunning {
		return // stopped
	}
	r.state = TrafficDone
	switch r.kind {
	case "load":
		if sum.Load == nil {
			r.state = TrafficFailed // it could not start
		}
	case "browse":
		if sum.Walks == 0 && sum.Failed > 0 {
			r.state = TrafficFailed
		}
	case "fetch":
		if sum.Failed > 0 && sum.Failed == sum.Requests {
			r.state = TrafficFailed
		}
	}
}

// request counts one of a browser's requests as it ends.
func (r *trafficRun) request(q traffic.Request) {
	switch {
	case q.Cached:
		r.cached.Add(1)
		return
	case q.Err != nil:
		if errors.Is(q.Err, context.Canceled) {
			return // the run was stopped under it: not the server's doing
		}
		r.sent.Add(1)
		r.errs.Add(1)
		r.mu.Lock()
		if r.err == (explain.Text{}) {
			r.err = errText(fmt.Errorf("user %d, %s %s: %w", q.Browser, q.Method, q.URL, q.Err))
		}
		r.mu.Unlock()
		return
	}
	r.sent.Add(1)
	r.hist.Record(q.Duration)
	r.mu.Lock()
	r.status[q.Status]++
	r.mu.Unlock()
}

func (r *trafficRun) runLoad(ctx context.Context, v *traffic.Load, base string) traffic.Summary {
	rep, err := load.Run(ctx, load.Spec{
		URL: strings.TrimSuffix(base, "/") + v.Path, Method: v.Method, Connections: v.Connections,
		Requests: v.Requests, Duration: v.Duration, Rate: v.Rate, LocalAddr: r.from,
		Progress: func(p load.Progress) {
			r.mu.Lock()
			r.progress = &p
			r.mu.Unlock()
		},
	})
	s := traffic.Summary{Item: v}
	if err != nil && !errors.Is(err, context.Canceled) {
		s.Err = err
		return s
	}
	s.Load = &rep
	return s
}

func errText(err error) explain.Text {
	var e *explain.Error
	if errors.As(err, &e) {
		return e.What
	}
	return explain.T(err.Error(), err.Error())
}

// status is the run as the screen shows it now.
func (r *trafficRun) view() TrafficRun {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := TrafficRun{ID: r.id, Spec: r.spec, Kind: r.kind, Users: [2]int{r.first, r.last}, From: r.fromText,
		State: r.state, Started: r.started, Ended: r.ended, Note: r.note, Error: r.err,
		Sent: r.sent.Load(), Cached: r.cached.Load(), Errors: r.errs.Load(), Walks: r.walks.Load(),
		Failed: r.failed.Load(), Seen: r.seen.Load(),
		Status: maps.Clone(r.status), Instances: maps.Clone(r.spread)}
	hist := r.hist
	if p := r.progress; p != nil {
		t.Sent, t.Errors, t.Status = p.Done+p.Errors, p.Errors, maps.Clone(p.Status)
		if p.Latency != nil {
			hist = p.Latency
		}
	}
	t.P50, t.P90, t.P99, t.Max = hist.Percentile(50), hist.Percentile(90), hist.Percentile(99), hist.Max()
	end := r.ended
	if end.IsZero() {
		end = time.Now()
	}
	answered := t.Sent - t.Errors
	if el := end.Sub(r.started); el > 0 && answered > 0 {
		t.RPS = float64(answered) / el.Seconds()
	}
	return t
}
