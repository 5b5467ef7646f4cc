package tui

import (
	"strings"

	tea "charm.land/bubbletea/v2"

	"webflow-lab/tui/inspector"
	"webflow-lab/tui/snap"
	"webflow-lab/tui/traffic"
)

// A binding is one key and what it does, for the footer and the help.
type binding struct {
	keys string // as shown: "space", "+/-", "1-8"
	help string // catalog key
}

// Keys that work everywhere (but in the command line), the ones a
// teacher uses most first: the presenter's legend shows what fits.
var globalKeys = []binding{
	{"g", "key.send"}, {"w", "key.walk"}, {"u", "key.load"}, {"s", "key.strategy"}, {"k", "key.stopstart"},
	{"K", "key.kill"}, {"d", "key.db"}, {"f", "key.static"}, {"b", "key.break"}, {"R", "key.releaseall"},
	{"space", "key.pause"}, {".", "key.step"}, {"+/-", "key.speed"}, {"e", "key.edit"}, {":", "key.command"},
	{"t", "key.lesson"}, {"/", "key.filter"}, {"tab", "key.focus"}, {"1-9", "key.views"}, {"L", "key.lang"}, {"?", "key.help"},
	{"q", "key.quit"},
}

// footer lists the keys that work where the focus is, most useful first.
func (m *Model) footerKeys() []binding {
	switch {
	case m.over == overHelp:
		return []binding{{"↑/↓", "key.scroll"}, {"esc", "key.close"}, {"q", "key.quit"}}
	case m.over == overOutput:
		return []binding{{"↑/↓", "key.scroll"}, {"esc", "key.close"}}
	case m.over == overWelcome:
		return []binding{{"g", "key.send"}, {"esc", "key.close"}, {"?", "key.help"}, {"q", "key.quit"}}
	case m.over == overError && m.lab == nil:
		return []binding{{"e", "key.edit"}, {"r", "key.retry"}, {"q", "key.quit"}}
	case m.over == overError && m.offersEdit():
		return []binding{{"e", "key.edit"}, {"esc", "key.close"}}
	case m.over == overError:
		return []binding{{"esc", "key.close"}}
	case m.input != inputNone:
		return []binding{{"enter", "key.run"}, {"tab", "key.complete"}, {"esc", "key.cancel"}}
	}
	var ks []binding
	switch m.focus {
	case focusLesson:
		ks = m.lessonKeys()
	case focusTopology:
		ks = []binding{{"↑/↓", "key.instance"}, {"k", "key.stopstart"}, {"e", "key.editini"}}
	case focusRequests:
		ks = []binding{{"↑/↓", "key.select"}, {"enter", "key.open"}, {"/", "key.filter"}, {"l", "key.loglines"}}
	case focusDetail:
		switch m.det {
		case detUwsgi, detEnviron:
			ks = []binding{{"↑/↓", "key.var"}, {"c", "key.compare"}}
		case detHTTP, detSQL:
			ks = []binding{{"↑/↓", "key.scroll"}, {"c", "key.compare"}}
		case detLogs:
			ks = []binding{{"←/→", "key.source"}, {"o", "key.only"}, {"enter", "key.fromlog"}, {"/", "key.filter"}}
		case detBreakpoints:
			ks = []binding{{"b", "key.break"}, {"r", "key.release"}, {"R", "key.releaseall"}, {"x", "key.clearbreak"}}
		case detTraffic:
			ks = []binding{{"w", "key.walk"}, {"u", "key.load"}, {"↑/↓", "key.selectrun"}, {"x", "key.stoprun"},
				{"X", "key.stopall"}}
			if m.snap.Recording != nil {
				ks = []binding{{"↑/↓", "key.selectrun"}}
			}
		default:
			ks = []binding{{"↑/↓", "key.scroll"}}
		}
		ks = append(ks, binding{"1-9", "key.views"})
	}
	if m.snap.Recording != nil {
		// a recording: nothing to send, its playback to pause
		return append(ks, binding{"space", "key.pausereplay"}, binding{"tab", "key.focus"},
			binding{":", "key.command"}, binding{"?", "key.help"}, binding{"q", "key.quit"})
	}
	ks = append(ks, binding{"g", "key.send"}, binding{"space", "key.pause"}, binding{"tab", "key.focus"},
		binding{":", "key.command"}, binding{"?", "key.help"}, binding{"q", "key.quit"})
	return ks
}

// detailTabs name the detail views by their number key.
var detailTabs = []string{"det.waterfall", "det.http", "det.uwsgi", "det.environ", "det.sql", "det.logs", "det.stats",
	"det.breakpoints", "det.traffic"}

// onKey handles a key press.
func (m *Model) onKey(k tea.KeyPressMsg) tea.Cmd {
	key := k.String()
	if key == "ctrl+c" {
		return tea.Quit
	}
	if m.input != inputNone {
		return m.onInputKey(k)
	}
	switch m.over {
	case overHelp, overOutput:
		return m.overlayKey(key)
	case overWelcome:
		switch key {
		case "q":
			return tea.Quit
		case "g", "enter":
			m.over = overNone
			return m.sendRequest(firstPath)
		case "?":
			m.over = overHelp
		case "esc", "space":
			m.over = overNone
		}
		return nil
	case overError:
		switch key {
		case "q":
			return tea.Quit
		case "e":
			if m.offersEdit() {
				return m.editFile(errorFile(m.overErr, m.snap))
			}
		case "r":
			if m.lab == nil {
				return m.retry()
			}
		case "esc":
			if m.lab != nil {
				m.over, m.overErr = overNone, nil
			}
		case "L":
			m.setLang(m.lang.Other())
		}
		return nil
	}

	// keys of the focused panel first
	if m.focus == focusLesson && m.lessonShown() {
		if cmd, ok := m.lessonKey(k); ok {
			return cmd
		}
	}
	if cmd, ok := m.panelKey(k); ok {
		return cmd
	}
	switch key {
	case "q":
		return tea.Quit
	case "?":
		m.over, m.overTop = overHelp, 0
	case ":":
		m.openInput(inputCommand, "")
	case "/":
		m.openInput(inputFilter, m.currentFilter())
	case "esc":
		switch {
		case m.currentFilter() != "":
			m.setFilter("")
		case m.focus == focusDetail || m.focus == focusLesson:
			m.focus = focusRequests
		}
	case "tab":
		m.focus = (m.focus + 1) % m.panels()
	case "shift+tab":
		m.focus = (m.focus + m.panels() - 1) % m.panels()
	case "t":
		m.toggleLesson()
		return m.pollLesson()
	case "L":
		m.setLang(m.lang.Other())
	case "space":
		m.paused = !m.paused
		m.lastTick = m.opts.Now()
		if m.snap.Recording != nil {
			// a recording stops with its slow motion, so nothing piles up
			if m.paused {
				return tea.Batch(m.runKey("pause"), m.startTicking())
			}
			return tea.Batch(m.runKey("resume"), m.startTicking())
		}
		return m.startTicking()
	case ".":
		m.paused = true
		m.step()
	case "+", "=":
		m.speed = min(m.speed+1, len(speeds)-1)
	case "-", "_":
		m.speed = max(m.speed-1, 0)
	case "g":
		return m.sendRequest(firstPath)
	case "w":
		return m.walk()
	case "u":
		m.det = detTraffic
		return m.runKey(traffic.LoadCommand)
	case "k":
		return m.toggleInstance()
	case "K":
		return m.killInstance()
	case "f":
		return m.toggleStatic()
	case "e":
		return m.editConfig()
	case "b":
		if len(m.snap.Breakpoints) > 0 {
			return m.runKey("clear all") // off again: what it held goes on
		}
		return m.runKey("break app")
	case "s":
		return m.runKey("strategy " + nextStrategy(m.snap))
	case "d":
		if m.snap.DB.Up {
			return m.runKey("db stop")
		}
		return m.runKey("db start")
	case "R":
		return m.runKey("release all")
	default:
		if len(key) == 1 && key[0] >= '1' && key[0] <= '9' {
			m.showDetail(detail(key[0] - '1'))
		}
	}
	return nil
}

// showDetail shows d in the detail panel (and, at 80 columns, switches to it).
func (m *Model) showDetail(d detail) {
	m.det = d
	m.focus = focusDetail
	switch d {
	case detHTTP:
		m.insp.SetTab(inspector.HTTP)
	case detUwsgi:
		m.insp.SetTab(inspector.Uwsgi)
	case detEnviron:
		m.insp.SetTab(inspector.Environ)
	case detSQL:
		m.insp.SetTab(inspector.SQL)
	case detStats:
		m.refreshSnap(true)
	}
}

// panelKey gives k to the focused panel; ok is false when the panel has no
// use for it.
func (m *Model) panelKey(k tea.KeyPressMsg) (tea.Cmd, bool) {
	key := k.String()
	switch m.focus {
	case focusTopology:
		switch key {
		case "up":
			m.inst = max(m.inst-1, 0)
			return nil, true
		case "down", "j":
			m.inst = min(m.inst+1, max(len(m.snap.Instances)-1, 0))
			return nil, true
		}
	case focusRequests:
		switch key {
		case "up", "down", "j", "pgup", "pgdown", "home", "end":
			m.reqs, _ = m.reqs.Update(k)
			return nil, true
		case "enter":
			m.showDetail(detWaterfall)
			return nil, true
		case "l":
			m.showDetail(detLogs)
			m.logs.SetRequest(m.reqs.Selected(), true)
			return nil, true
		}
	case focusDetail:
		switch m.det {
		case detHTTP, detUwsgi, detEnviron, detSQL:
			switch key {
			case "up", "down", "j", "pgup", "pgdown", "home":
				m.insp, _ = m.insp.Update(k)
				return nil, true
			case "c":
				m.insp.SetRequest(m.reqs.Selected())
				m.insp.Pin()
				return nil, true
			}
		case detLogs:
			switch key {
			case "left", "right", "h", "l", "up", "down", "j", "pgup", "pgdown", "end", "o":
				m.logs, _ = m.logs.Update(k)
				return nil, true
			case "enter":
				// from the newest line shown to its request
				if line, ok := m.logs.LineAt(m.areas.detail.h - 2); ok {
					m.selectFromLog(line)
				}
				return nil, true
			}
		case detBreakpoints:
			switch key {
			case "up", "down", "j":
				m.bps, _ = m.bps.Update(k)
				return nil, true
			case "r":
				if h, ok := m.bps.SelectedHeld(); ok {
					return m.run("release " + itoa(h.ID)), true
				}
				return nil, true
			case "x":
				if len(m.snap.Breakpoints) > 0 {
					return m.run("clear " + itoa(m.snap.Breakpoints[0].ID)), true
				}
				return nil, true
			}
		case detTraffic:
			switch key {
			case "up", "down", "j":
				m.traffic, _ = m.traffic.Update(k)
				return nil, true
			case "x":
				if r, ok := m.traffic.Selected(); ok && r.Running() {
					return m.runKey("traffic stop " + itoa(r.ID)), true
				}
				m.sayKey(false, "status.norun")
				return nil, true
			case "X":
				return m.runKey("traffic stop all"), true
			}
		}
	}
	return nil, false
}

func (m *Model) currentFilter() string {
	if m.focus == focusDetail && m.det == detLogs {
		return m.logs.Filter()
	}
	return m.reqs.Filter()
}

func (m *Model) setFilter(f string) {
	if m.focus == focusDetail && m.det == detLogs {
		m.logs.SetFilter(f)
		return
	}
	m.reqs.SetFilter(f)
}

// keyLegend renders bindings as "key:help  key:help", cut to w cells.
func (m *Model) keyLegend(ks []binding, w int) string {
	s, _ := m.keyLegendN(ks, w)
	return s
}

// keyLegendN is keyLegend, and how many bindings fitted.
func (m *Model) keyLegendN(ks []binding, w int) (string, int) {
	var parts []string
	for _, b := range ks {
		parts = append(parts, m.th.S.Key.Render(b.keys)+":"+m.th.S.Footer.Render(m.lang.T(b.help)))
	}
	var out strings.Builder
	used := 0
	for i, p := range parts {
		pw := cellWidth(p)
		if i > 0 {
			pw += 2
		}
		if used+pw > w {
			return out.String(), i
		}
		if i > 0 {
			out.WriteString("  ")
		}
		out.WriteString(p)
		used += pw
	}
	return out.String(), len(parts)
}

// strategies are what s cycles through: the course's three, in its order.
var strategies = []string{"round-robin", "ip_hash", "least_conn"}

// nextStrategy is the strategy after the first upstream's current one.
func nextStrategy(s snap.Snapshot) string {
	cur := ""
	if len(s.Upstreams) > 0 {
		cur = strings.ReplaceAll(s.Upstreams[0].Strategy, " ", "-")
	}
	for i, x := range strategies {
		if x == cur {
			return strategies[(i+1)%len(strategies)]
		}
	}
	return strategies[1]
}

// panels is how many panels tab cycles through: the lesson's when shown.
func (m *Model) panels() focus {
	if m.lessonShown() {
		return 4
	}
	return 3
}
