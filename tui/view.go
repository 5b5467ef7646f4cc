package tui

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"webflow-lab/tui/cell"
	"webflow-lab/tui/lesson"
	"webflow-lab/tui/snap"
	"webflow-lab/tui/topology"
)

// MinW and MinH are the smallest terminal the screen draws in.
const (
	MinW = 80
	MinH = 24
)

type rect struct{ x, y, w, h int }

func (r rect) has(x, y int) bool { return x >= r.x && x < r.x+r.w && y >= r.y && y < r.y+r.h }

// layoutAreas are where the panels were drawn, for the mouse.
type layoutAreas struct {
	topo, list, detail, lesson rect
	band                       int // lines per instance in the topology
	split                      bool
}

func cellWidth(s string) int { return cell.Width(s) }

// Update handles one message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.w, m.h = msg.Width, msg.Height
	case tea.KeyPressMsg:
		return m, m.onKey(msg)
	case tea.MouseClickMsg:
		m.onClick(msg.Mouse())
	case tea.MouseWheelMsg:
		m.onWheel(msg)
	case tea.PasteMsg:
		if m.input != inputNone {
			var cmd tea.Cmd
			m.ti, cmd = m.ti.Update(msg)
			return m, cmd
		}
	case eventArrivedMsg:
		return m, m.onEvents(msg)
	case frameMsg:
		return m, m.onFrame(time.Time(msg))
	case logsReadMsg:
		m.onLogs(msg)
	case controlDoneMsg:
		return m, m.onControl(msg)
	case controlsDoneMsg:
		var cmds []tea.Cmd
		for _, c := range msg {
			cmds = append(cmds, m.onControl(c))
		}
		return m, tea.Batch(cmds...)
	case requestSentMsg:
		m.onSent(msg)
	case editorClosedMsg:
		return m, m.afterEdit(msg)
	case labStartedMsg:
		return m, m.onStarted(msg)
	case liveMsg:
		m.living = false
		m.refreshSnap(true)
		return m, m.startLive()
	case RunCommandMsg:
		return m, m.run(msg.Command)
	case lesson.CheckedMsg:
		return m, m.lessonChecked(msg)
	case lessonPolledMsg:
		return m, m.onLessonPolled()
	default:
		// the lesson panel's own commands report back to it
		if m.lesson != nil {
			var cmd tea.Cmd
			*m.lesson, cmd = m.lesson.Update(msg)
			return m, cmd
		}
	}
	return m, nil
}

func (m *Model) onClick(p tea.Mouse) {
	a := m.areas
	switch {
	case a.list.has(p.X, p.Y):
		m.focus = focusRequests
		m.reqs.ClickRow(p.Y - a.list.y - 1)
	case a.detail.has(p.X, p.Y):
		m.focus = focusDetail
		if p.Y == a.detail.y+1 { // the tab line
			x := p.X - a.detail.x - 1
			for i, w := range m.tabWidths() {
				if x < w {
					m.showDetail(detail(i))
					break
				}
				x -= w
			}
		}
	case a.lesson.has(p.X, p.Y) && m.lessonShown():
		m.focus = focusLesson
	case a.topo.has(p.X, p.Y):
		m.focus = focusTopology
		if i := (p.Y - a.topo.y - 1) / max(a.band, 1); i >= 0 && i < len(m.snap.Instances) {
			m.inst = i
		}
	}
}

func (m *Model) onWheel(w tea.MouseWheelMsg) {
	p := w.Mouse()
	switch {
	case m.areas.list.has(p.X, p.Y):
		m.reqs, _ = m.reqs.Update(w)
	case m.areas.detail.has(p.X, p.Y):
		switch m.det {
		case detLogs:
			m.logs, _ = m.logs.Update(w)
		case detHTTP, detUwsgi, detEnviron, detSQL:
			m.insp, _ = m.insp.Update(w)
		case detTraffic:
			m.traffic, _ = m.traffic.Update(w)
		}
	}
}

// View draws the screen.
func (m *Model) View() tea.View {
	v := tea.NewView(m.th.Fold(m.Render()))
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	v.WindowTitle = "webflow-lab"
	if m.input != inputNone {
		v.Cursor = nil // the text input draws its own
	}
	return v
}

// Render draws the screen as text, m.w×m.h cells.
func (m *Model) Render() string {
	if m.w == 0 || m.h == 0 {
		return ""
	}
	if m.w < MinW || m.h < MinH {
		return m.tooSmall()
	}
	header := m.header()
	status := m.statusLines()
	footer := m.footer()
	bodyH := m.h - 1 - len(status) - lines(footer)
	var body string
	switch {
	case m.over == overHelp:
		body = m.textOverlay(m.lang.T("help.title"), m.helpLines(m.w-2), bodyH)
	case m.over == overOutput:
		body = m.textOverlay(m.outTitle, m.outLines, bodyH)
	case m.over == overError:
		body = m.th.Box(m.lang.T("err.title"), m.errorText(m.w-4), m.w, bodyH, true)
	default:
		body = m.main(bodyH)
		if m.over == overWelcome {
			body = m.overlayWelcome(body, bodyH)
		}
	}
	return strings.Join([]string{header, body, strings.Join(status, "\n"), footer}, "\n")
}

func lines(s string) int { return strings.Count(s, "\n") + 1 }

func (m *Model) tooSmall() string {
	msg := m.lang.F("small", MinW, MinH, m.w, m.h)
	var out []string
	for _, l := range strings.Split(msg, "\n") {
		out = append(out, cell.Trunc(l, m.w, m.th.G.Ellipsis))
	}
	for len(out) < m.h {
		out = append(out, "")
	}
	return strings.Join(out[:m.h], "\n")
}

// main draws the topology and, under it, the request list and the detail
// (side by side from 120 columns; at 80 one of them, tab switches). With
// the lesson panel shown, it sits beside the topology from 120 columns
// (the topology narrower, the strip taller), and under it, in place of the
// list and the detail, below. Beside from lessonBesideFrom columns: the
// topology on one line a box needs about 80.
func (m *Model) main(h int) string {
	w := m.w
	lessonBeside := m.lessonShown() && w >= lessonBesideFrom
	tw := w
	if lessonBeside {
		tw = w - lessonWidth(w)
	}
	n := max(len(m.snap.Instances), 1)
	boxed := tw >= 118 && m.h >= 34
	th := topology.Height(n, boxed) + 2
	if th > h/2 && boxed {
		boxed = false
		th = topology.Height(n, false) + 2
	}
	band := 1
	if boxed {
		band = 3
	}
	m.topo.SetBoxed(boxed)
	m.topo.SetSize(tw-2, th-2)
	m.topo.SetSnapshot(m.snap)
	gs, busy, pick := m.frame()
	m.topo.SetFrame(gs, busy, m.browsers, pick)
	m.topo.SetTraffic(trafficNow(m.snap.Traffic))
	m.topo.SetSelected(-1)
	if m.focus == focusTopology {
		m.topo.SetSelected(m.inst)
	}
	topoTitle := m.lang.T("topo.title")
	if m.focus == focusTopology && len(m.snap.Instances) > 0 {
		topoTitle += m.th.G.Dot + m.lang.F("topo.selected", m.snap.Instances[min(m.inst, len(m.snap.Instances)-1)].Name)
	}
	topH := th
	if lessonBeside {
		topH = max(th, min(h*11/20, 20)) // the lesson's text needs the height more than the topology
	}
	topo := m.th.Box(topoTitle, m.topo.View(), tw, topH, m.focus == focusTopology)
	m.areas = layoutAreas{topo: rect{0, 1, tw, topH}, band: band}
	if lessonBeside {
		topo = joinH(topo, m.lessonBox(w-tw, topH))
		m.areas.lesson = rect{tw, 1, w - tw, topH}
	}
	th = topH

	bh := h - th
	sel := m.reqs.Selected()
	m.wf.SetRequest(sel)
	m.insp.SetRequest(sel)
	if m.logs.Only() {
		m.logs.SetRequest(sel, true)
	} else {
		m.logs.SetRequest(sel, false)
	}
	m.reqs.SetHeld(m.heldIDs())
	m.reqs.SetPlaying(m.playing())
	m.reqs.SetDropped(m.dropped, m.skippedReqs)
	m.stats.SetSnapshot(m.snap, m.rps)
	m.bps.SetSnapshot(m.snap, m.opts.Now(), m.breakOffered())
	m.traffic.SetRuns(m.snap.Traffic, m.opts.Now())

	switch {
	case m.lessonShown() && !lessonBeside && m.focus == focusLesson:
		m.areas.lesson = rect{0, 1 + th, w, bh}
		return topo + "\n" + m.lessonBox(w, bh)
	case m.opts.Presenter:
		m.areas.detail = rect{0, 1 + th, w, bh}
		return topo + "\n" + m.detailBox(w, bh)
	case w >= 120:
		lw := w * 11 / 20
		switch {
		case m.insp.Pinned() != nil && m.det >= detHTTP && m.det <= detSQL:
			lw = w * 2 / 5 // room for two requests side by side
		case m.det >= detHTTP && m.det <= detLogs:
			lw = w * 9 / 20 // bytes and log lines need the width more than the list
		}
		list := m.listBox(lw, bh)
		det := m.detailBox(w-lw, bh)
		m.areas.list = rect{0, 1 + th, lw, bh}
		m.areas.detail = rect{lw, 1 + th, w - lw, bh}
		m.areas.split = true
		return topo + "\n" + joinH(list, det)
	case m.focus == focusDetail:
		m.areas.detail = rect{0, 1 + th, w, bh}
		return topo + "\n" + m.detailBox(w, bh)
	}
	m.areas.list = rect{0, 1 + th, w, bh}
	return topo + "\n" + m.listBox(w, bh)
}

// trafficNow counts the virtual users and load runs of the lab's running traffic.
func trafficNow(runs []snap.TrafficRun) (users, loads int) {
	for _, r := range runs {
		switch {
		case !r.Running():
		case r.Kind == "load":
			loads++
		case r.Users[0] > 0:
			users += r.Users[1] - r.Users[0] + 1
		}
	}
	return users, loads
}

func (m *Model) breakOffered() bool {
	if m.lab == nil {
		return false
	}
	for _, c := range m.lab.Commands() {
		if c.Name == "break" {
			return true
		}
	}
	return false
}

func joinH(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	out := make([]string, max(len(al), len(bl)))
	for i := range out {
		if i < len(al) {
			out[i] = al[i]
		}
		if i < len(bl) {
			out[i] += bl[i]
		}
	}
	return strings.Join(out, "\n")
}

func (m *Model) listBox(w, h int) string {
	m.reqs.SetSize(w-2, h-2)
	title := m.reqs.Title()
	if w < 120 {
		title += m.th.G.Dot + m.lang.T("tab.hint")
	}
	return m.th.Box(title, m.reqs.View(), w, h, m.focus == focusRequests)
}

// tabLabels are the detail tabs as drawn in w cells: " 1 waterfall "
// each when they all fit; tighter ("1 waterfall") when not; and when even
// that is too wide, the unselected ones by their number alone.
func (m *Model) tabLabels(w int) []string {
	full := make([]string, len(detailTabs))
	total := 0
	for i, k := range detailTabs {
		full[i] = fmt.Sprintf(" %d %s ", i+1, m.lang.T(k))
		total += cell.Width(full[i])
	}
	if total <= w {
		return full
	}
	tight, total := make([]string, len(detailTabs)), 0
	for i, k := range detailTabs {
		tight[i] = fmt.Sprintf("%d %s ", i+1, m.lang.T(k))
		total += cell.Width(tight[i])
	}
	// still too wide: the names farthest from the selected tab go, their
	// numbers stay, so the names left are the selected one's neighbours
	for total > w {
		far := -1
		for i, t := range tight {
			d := abs(i - int(m.det))
			if d > 0 && cell.Width(t) > 2 && (far < 0 || d > abs(far-int(m.det))) {
				far = i
			}
		}
		if far < 0 {
			break
		}
		total -= cell.Width(tight[far]) - 2
		tight[far] = fmt.Sprintf("%d ", far+1)
	}
	return tight
}

func abs(x int) int { return max(x, -x) }

// tabWidths are the cells each detail tab takes on the tab line.
func (m *Model) tabWidths() []int {
	labels := m.tabLabels(m.areas.detail.w - 2)
	out := make([]int, len(labels))
	for i, l := range labels {
		out[i] = cell.Width(l)
	}
	return out
}

func (m *Model) detailBox(w, h int) string {
	iw, ih := w-2, h-3
	var tabs strings.Builder
	for i, t := range m.tabLabels(iw) {
		if detail(i) == m.det {
			tabs.WriteString(m.th.S.Selected.Render(t))
		} else {
			tabs.WriteString(m.th.S.Dim.Render(t))
		}
	}
	var body, title string
	switch m.det {
	case detWaterfall:
		m.wf.SetSize(iw, ih)
		body, title = m.wf.View(), m.wf.Title()
	case detHTTP, detUwsgi, detEnviron, detSQL:
		m.insp.SetSize(iw, ih)
		body, title = m.insp.View(), m.wf.Title()
	case detLogs:
		m.logs.SetSize(iw, ih)
		body, title = m.logs.View(), m.lang.T("det.logs")
	case detStats:
		m.stats.SetSize(iw, ih)
		body, title = m.stats.View(), m.lang.T("det.stats")
	case detBreakpoints:
		m.bps.SetSize(iw, ih)
		body, title = m.bps.View(), m.lang.T("det.breakpoints")
	case detTraffic:
		m.traffic.SetSize(iw, ih)
		body, title = m.traffic.View(), m.lang.T("det.traffic")
	}
	return m.th.Box(title, tabs.String()+"\n"+body, w, h, m.focus == focusDetail)
}

// inFlight counts the requests not yet answered as the screen shows them:
// those the lab still works on, and those whose slowed replay has not yet
// brought the answer back (a ● still moving is a request in flight).
func (m *Model) inFlight() int {
	n := 0
	playing := m.playing()
	for i := m.store.Len() - 1; i >= 0 && i >= m.store.Len()-500; i-- {
		if r := m.store.At(i); !r.Done || playing[r.ID] {
			n++
		}
	}
	return n
}

func (m *Model) header() string {
	s := m.th.S
	left := " " + s.Title.Render("webflow-lab") + "  " + m.lang.T("hdr.sub")
	rec := m.snap.Recording
	if rec != nil {
		left = " " + s.Title.Render("webflow-lab") + "  " + s.Warn.Render(m.lang.F("hdr.replay", filepath.Base(rec.File)))
	}
	sp := m.lang.F("hdr.speed", speedText(speeds[m.speed]))
	if m.paused && (rec == nil || !rec.Paused) { // a paused recording says so once, by its position
		sp = s.Warn.Render(m.lang.T("hdr.paused"))
	}
	// screen order, each with a priority: the lowest goes first when short
	type part struct {
		text string
		prio int
	}
	var parts []part
	if rec != nil {
		pos := m.lang.F("hdr.position", clockText(rec.Position), clockText(rec.Length), rec.Speed)
		switch {
		case rec.Ended:
			pos += " " + s.Warn.Render(m.lang.T("hdr.ended"))
		case rec.Paused:
			pos += " " + s.Warn.Render(m.lang.T("hdr.rpaused"))
		}
		parts = append(parts, part{pos, 6})
	}
	if len(m.snap.Upstreams) > 0 {
		u := m.snap.Upstreams[0]
		parts = append(parts, part{"upstream " + u.Name + ": " + m.lang.Strategy(u.Strategy), 1})
	}
	parts = append(parts, part{sp, 5}, part{m.lang.F("hdr.inflight", m.inFlight()), 4})
	if m.skipped > 0 {
		parts = append(parts, part{m.lang.F("hdr.skipped", m.skipped), 2})
	}
	parts = append(parts, part{"?:" + m.lang.T("key.help"), 3}, part{s.Key.Render("L") + ":" + m.lang.T("hdr.lang"), 3})
	for floor := 0; floor <= 6; floor++ {
		var keep []string
		for _, p := range parts {
			if p.prio > floor {
				keep = append(keep, p.text)
			}
		}
		r := strings.Join(keep, "   ") + " "
		if gap := m.w - cell.Width(left) - cell.Width(r); gap >= 2 {
			return left + strings.Repeat(" ", gap) + r
		}
	}
	return m.th.Fit(left, m.w)
}

// clockText is a position in a recording: "12.3s", "2m05s".
func clockText(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
}

func speedText(x float64) string {
	switch x {
	case 0.25:
		return "¼×"
	case 0.5:
		return "½×"
	}
	return fmt.Sprintf("%g×", x)
}

func (m *Model) footer() string {
	ks := m.footerKeys()
	if m.opts.Presenter {
		// the key legend always on: the focus's keys, then every key on
		// at most three more lines
		first, n := m.keyLegendN(ks, m.w-1)
		out := []string{m.th.Fit(" "+first, m.w)}
		shown := map[string]bool{}
		for _, b := range ks[:n] {
			shown[b.keys] = true
		}
		var rest []binding
		for _, b := range globalKeys {
			if !shown[b.keys] {
				rest = append(rest, b)
			}
		}
		for len(rest) > 0 && len(out) < 4 {
			line, n := m.keyLegendN(rest, m.w-1)
			if n == 0 {
				break
			}
			out = append(out, m.th.Fit(" "+line, m.w))
			rest = rest[n:]
		}
		return strings.Join(out, "\n")
	}
	return m.th.Fit(" "+m.keyLegend(ks, m.w-1), m.w)
}
