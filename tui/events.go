package tui

import (
	"sort"
	"time"

	tea "charm.land/bubbletea/v2"

	"webflow-lab/servers/explain"
	"webflow-lab/servers/trace"
	"webflow-lab/tui/flow"
	"webflow-lab/tui/i18n"
	"webflow-lab/tui/logs"
	"webflow-lab/tui/topology"
)

// Messages, named for what happened.
type (
	// eventArrivedMsg carries the first event of a batch; the rest are
	// drained from the stream in Update.
	eventArrivedMsg struct {
		e   trace.Event
		err error
		at  time.Time
	}
	// frameMsg advances the replay while something moves.
	frameMsg time.Time
	// liveMsg asks for a fresh snapshot while something plays that the
	// screen's own events do not tell of: a recording's position, the
	// figures of a traffic run.
	liveMsg struct{}
	// logsReadMsg carries lines appended to the log files.
	logsReadMsg struct {
		lines map[string][]string
		tail  logs.Tail
	}
)

// frameEvery is the animation's frame interval, and the least time between
// two deliveries of events: the screen draws at most ~30 times a second
// however busy the lab is.
const frameEvery = time.Second / 30

// busyBatch is how many events in one delivery mean the lab is under load;
// then deliveries come busyEvery apart, the animation draws busyFrame
// apart, and the log files are read busyLogs apart: under load the screen
// samples, and each frame it skips is CPU the servers get (and a key
// pressed meanwhile waits behind less work).
const (
	busyBatch = 200
	busyEvery = time.Second / 5
	busyFrame = time.Second / 5
	busyLogs  = time.Second
)

// maxAnims is how many requests move at once; beyond, new ones are counted
// as skipped (they are still in the list, with their waterfall).
const maxAnims = 60

// liveEvery is how often the snapshot is read while something plays.
const liveEvery = time.Second / 2

// startLive arms the live refresh if something plays and it is not armed:
// an idle lab asks for nothing.
func (m *Model) startLive() tea.Cmd {
	if m.living || !m.live() || m.busy {
		return nil // under load each delivery reads the snapshot anyway
	}
	m.living = true
	return tea.Tick(liveEvery, func(time.Time) tea.Msg { return liveMsg{} })
}

// live reports whether a recording plays, the lab's traffic runs, or a
// request is held (its countdown to the timeout runs).
func (m *Model) live() bool {
	if r := m.snap.Recording; r != nil && !r.Paused && !r.Ended {
		return true
	}
	if len(m.snap.Held) > 0 && m.snap.Recording == nil {
		return true
	}
	for _, t := range m.snap.Traffic {
		if t.Running() {
			return true
		}
	}
	return false
}

// waitEvents waits for the next hop event, no sooner than one frame after
// the last delivery (last).
func (m *Model) waitEvents(last time.Time) tea.Cmd {
	w, ctx := m.watch, m.ctx
	if w == nil {
		return nil
	}
	return func() tea.Msg {
		e, err := w.Next(ctx)
		if err == nil {
			if d := frameEvery - time.Since(last); d > 0 {
				t := time.NewTimer(d)
				select {
				case <-ctx.Done():
				case <-t.C:
				}
				t.Stop()
			}
		}
		return eventArrivedMsg{e: e, err: err, at: time.Now()}
	}
}

// onEvents files the batch: requests into the store, new requests into the
// replay, state changes into the status line and a fresh snapshot.
func (m *Model) onEvents(msg eventArrivedMsg) tea.Cmd {
	if msg.err != nil {
		return nil // the stream ended (quit, or a lab restart re-armed a new one)
	}
	m.buf = append(m.buf[:0], msg.e)
	m.buf = m.watch.DrainTo(m.buf)
	m.dropped = m.watch.Dropped()
	state, done := false, false
	for _, e := range m.buf {
		if e.State {
			state = true
			m.logState(e.Why, e.WhyZH)
			continue
		}
		r := m.store.Add(e)
		if r == nil {
			continue
		}
		done = done || r.Done
		if len(r.Steps) == 1 {
			if m.over == overWelcome {
				// The welcome asked for a first request (g, or one from a
				// browser): here it comes, so step aside and let it be seen.
				m.over = overNone
			}
			m.startAnim(r)
			if r.Browser != "" && r.Browser != "-" {
				m.seeBrowser(r.Browser)
			}
		}
	}
	n := len(m.buf)
	clear(m.buf) // drop the PDUs' references
	skipped := m.skippedReqs
	m.skippedReqs = m.watch.Skipped()
	m.busy = n > busyBatch || m.skippedReqs > skipped
	m.refreshSnap(state || done)
	// Under load the screen reads less often: the lab's servers share the
	// machine's CPUs with it, and a frame a fifth of a second is still live.
	next := msg.at
	logsAfter := 150 * time.Millisecond
	if m.busy {
		next = next.Add(busyEvery - frameEvery)
		logsAfter = busyLogs
	}
	cmds := []tea.Cmd{m.waitEvents(next), m.startTicking(), m.startLive()}
	if !m.reading {
		cmds = append(cmds, m.readLogs(logsAfter))
	}
	return tea.Batch(cmds...)
}

func (m *Model) seeBrowser(b string) {
	for _, x := range m.browsers {
		if x == b {
			return
		}
	}
	m.browsers = append(m.browsers, b)
	if len(m.browsers) > 4 {
		m.browsers = m.browsers[1:]
	}
}

func (m *Model) startAnim(r *flow.Request) {
	if len(m.anims) >= maxAnims {
		m.skipped++
		return
	}
	m.anims = append(m.anims, anim{id: r.ID, start: m.clock})
}

// startTicking arms the frame clock if something moves and it is not armed.
func (m *Model) startTicking() tea.Cmd {
	if m.ticking || m.paused || !m.moving() {
		return nil
	}
	m.ticking = true
	m.lastTick = m.opts.Now()
	every := frameEvery
	if m.busy {
		every = busyFrame
	}
	return tea.Tick(every, func(t time.Time) tea.Msg { return frameMsg(t) })
}

// onFrame advances the replay clock by the time that passed, times the
// speed, drops finished replays, and re-arms only while something moves.
func (m *Model) onFrame(t time.Time) tea.Cmd {
	m.ticking = false
	now := m.opts.Now()
	if !m.paused {
		m.clock += time.Duration(float64(now.Sub(m.lastTick)) * speeds[m.speed])
	}
	m.lastTick = now
	m.prune()
	return m.startTicking()
}

// prune drops replays that are over, and those of requests the store let go.
func (m *Model) prune() {
	kept := m.anims[:0]
	for _, a := range m.anims {
		r := m.store.Get(a.id)
		if r == nil {
			continue
		}
		p, _ := m.replay.At(r.Stops(), m.clock-a.start, r.Done)
		if p.Done {
			continue
		}
		kept = append(kept, a)
	}
	m.anims = kept
}

// moving reports whether any replay has screen time left to play: a request
// that waits for its next event (held, or slow) does not move, so it costs
// no frames.
func (m *Model) moving() bool {
	for _, a := range m.anims {
		r := m.store.Get(a.id)
		if r == nil {
			continue
		}
		_, end := m.replay.At(r.Stops(), 0, r.Done)
		if m.clock-a.start < end || r.Done {
			return true
		}
	}
	return false
}

// playing lists the requests whose replay has not reached its end (the
// answer back at the browser), by id.
func (m *Model) playing() map[string]bool {
	out := map[string]bool{}
	for _, a := range m.anims {
		r := m.store.Get(a.id)
		if r == nil {
			continue
		}
		if p, _ := m.replay.At(r.Stops(), m.clock-a.start, r.Done); !p.Done {
			out[r.ID] = true
		}
	}
	return out
}

// step moves the paused replay to the next stop of any moving request.
func (m *Model) step() {
	var next time.Duration = -1
	for _, a := range m.anims {
		r := m.store.Get(a.id)
		if r == nil {
			continue
		}
		for _, b := range m.replay.Bounds(r.Stops()) {
			t := a.start + b
			if t > m.clock && (next < 0 || t < next) {
				next = t
			}
		}
	}
	if next >= 0 {
		m.clock = next
	}
	m.prune()
}

// frame computes what the topology draws now.
func (m *Model) frame() ([]topology.Glyph, map[string]int, string) {
	held := m.heldIDs()
	sel := m.reqs.Selected()
	busy := map[string]int{}
	var gs []topology.Glyph
	for _, a := range m.anims {
		r := m.store.Get(a.id)
		if r == nil {
			continue
		}
		p, _ := m.replay.At(r.Stops(), m.clock-a.start, r.Done)
		if p.Done {
			continue
		}
		status := 0
		if r.Done {
			status = r.Status
		}
		gs = append(gs, topology.Glyph{ID: r.ID, Pos: p, Status: status, Failed: r.Failed, Held: held[r.ID],
			Selected: sel != nil && sel.ID == r.ID})
		if inst := busyIn(p); inst != "" {
			busy[inst]++
		}
	}
	// the selected request drawn last, on top
	sort.SliceStable(gs, func(i, j int) bool { return !gs[i].Selected && gs[j].Selected })
	pick := ""
	for i := m.store.Len() - 1; i >= 0 && i >= m.store.Len()-50; i-- {
		if r := m.store.At(i); r.Pick != "" {
			// the instance first: the reason numbers peers by their server
			// lines ("peer 1"), and a narrow screen cuts the reason's end
			pick = m.lang.Pick(r.Pick, r.PickZH)
			if m.isAppServer(r.Instance) {
				pick = r.Instance + " · " + pick
			}
			break
		}
	}
	return gs, busy, pick
}

// isAppServer reports whether name is one of the lab's app servers: a
// request no peer answered has the proxy ("nginx") as its Instance, and
// "nginx · peer 1 skipped" would name the proxy as the balancer's pick.
func (m *Model) isAppServer(name string) bool {
	for _, in := range m.snap.Instances {
		if in.Name == name {
			return true
		}
	}
	return false
}

// busyIn names the instance whose worker a request occupies at p: from
// arriving at the instance until it leaves it on the way back.
func busyIn(p flow.Pos) string {
	inst := func(n string) string {
		switch flow.Rank(n) {
		case 2:
			return n
		case 3:
			return n[len("app@"):]
		}
		return ""
	}
	if p.From == p.To {
		return inst(p.From)
	}
	a, b := inst(p.From), inst(p.To)
	if a != "" && b != "" {
		return a
	}
	if flow.Rank(p.From) >= 3 {
		return a
	}
	if flow.Rank(p.To) >= 3 {
		return b
	}
	return ""
}

func (m *Model) heldIDs() map[string]bool {
	if len(m.snap.Held) == 0 {
		return nil
	}
	out := map[string]bool{}
	for _, h := range m.snap.Held {
		out[h.ReqID] = true
	}
	return out
}

// readLogs reads what the log files gained, after delay (one shot: the
// writes that follow a burst of events land together).
func (m *Model) readLogs(delay time.Duration) tea.Cmd {
	if m.lab == nil || m.snap.Recording != nil {
		return nil // a recording holds no log files, and its workspace's are not its
	}
	m.reading = true
	dir := logsDir(m.snap)
	tail := make(logs.Tail, len(m.tail))
	for k, v := range m.tail {
		tail[k] = v
	}
	ctx := m.ctx
	return func() tea.Msg {
		if delay > 0 {
			t := time.NewTimer(delay)
			select {
			case <-ctx.Done():
			case <-t.C:
			}
			t.Stop()
		}
		lines, next, _ := logs.Read(dir, tail)
		return logsReadMsg{lines: lines, tail: next}
	}
}

func (m *Model) onLogs(msg logsReadMsg) {
	m.reading = false
	m.refreshSnap(true) // counters the servers bumped after their last event
	m.tail = msg.tail
	for name, lines := range msg.lines {
		m.logs.Append(name, lines)
	}
}

// logState records a state change the servers reported ("upstream server
// temporarily disabled"); the status line shows it unless a control's result
// is there from the last few seconds (that one names its real equivalent).
func (m *Model) logState(why, whyZH string) {
	stamp := m.opts.Now().Format("15:04:05")
	m.logs.Append(logs.Actions, []string{stamp + "  " + m.lang.Pick(why, whyZH)})
	if m.opts.Now().Sub(m.statusAt) > 3*time.Second {
		m.say(true, func(l i18n.Lang) string { return l.Pick(why, whyZH) })
	}
}

// logAction records a control and its real equivalent ("≈ uwsgi --stop
// uwsgi-1.pid"); a control with none that a single key sent names the
// ':' command the key typed.
func (m *Model) logAction(did explain.Text, equivalent, typed string) {
	tail := ""
	switch {
	case equivalent != "":
		tail = m.th.G.Dot + "≈ " + equivalent
	case typed != "":
		tail = m.th.G.Dot + ":" + typed
	}
	m.sayText(true, did, tail)
	m.statusAt = m.opts.Now()
	stamp := m.opts.Now().Format("15:04:05")
	m.logs.Append(logs.Actions, []string{stamp + "  " + m.status})
}
