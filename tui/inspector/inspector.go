// Package inspector shows what crossed one hop of one request, byte for
// byte: the HTTP head the proxy read and the one the app server sent back,
// the uwsgi packet as an annotated hex dump (the header's fields, each var's
// key and value lengths and bytes, the body), the environ the app received,
// and the SQL the app ran with its arguments and times. Selecting a var
// highlights its bytes in the dump and its line in the environ.
//
// The bytes are the servers' own snapshots (trace.PDU), taken only while the
// screen watches; a request from before that has none, and the inspector says
// so rather than showing anything made up.
package inspector

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"webflow-lab/tui/cell"

	"webflow-lab/servers/trace"
	"webflow-lab/tui/flow"
	"webflow-lab/tui/i18n"
	"webflow-lab/tui/theme"
)

// Tab is what the inspector shows.
type Tab int

const (
	HTTP Tab = iota
	Uwsgi
	Environ
	SQL
)

// Model is the inspector panel.
type Model struct {
	th     theme.Theme
	lang   i18n.Lang
	req    *flow.Request
	pinned *flow.Request // shown beside req, to compare (a failed request beside a healthy one)
	tab    Tab
	sel    int // selected var, in the uwsgi and environ tabs
	scroll int
	w, h   int
}

// New returns an inspector showing nothing yet.
func New(th theme.Theme, lang i18n.Lang) Model { return Model{th: th, lang: lang} }

// SetSize sets the inside size of the panel.
func (m *Model) SetSize(w, h int) { m.w, m.h = w, h }

// SetLang switches the language.
func (m *Model) SetLang(l i18n.Lang) { m.lang = l }

// SetTheme switches the theme.
func (m *Model) SetTheme(th theme.Theme) { m.th = th }

// SetTab shows tab.
func (m *Model) SetTab(t Tab) { m.tab, m.scroll = t, 0 }

// Tab is the tab shown.
func (m Model) Tab() Tab { return m.tab }

// SetRequest shows r (nil: none). The selection stays when r is the same request.
func (m *Model) SetRequest(r *flow.Request) {
	if m.req == nil || r == nil || m.req.ID != r.ID {
		m.sel, m.scroll = 0, 0
	}
	m.req = r
}

// Pin keeps the shown request beside whichever is selected next; pinning
// it again (or nil) unpins.
func (m *Model) Pin() {
	if m.pinned != nil && m.req != nil && m.pinned.ID == m.req.ID {
		m.pinned = nil
		return
	}
	m.pinned = m.req
}

// Pinned is the request kept beside the selected one, or nil.
func (m Model) Pinned() *flow.Request { return m.pinned }

// Selected is the selected var's index.
func (m Model) Selected() int { return m.sel }

// Select selects var i.
func (m *Model) Select(i int) { m.sel = max(i, 0) }

// Update moves the selection (up/down, j/k) and scrolls (pgup/pgdown).
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		if w, ok := msg.(tea.MouseWheelMsg); ok {
			switch w.Button {
			case tea.MouseWheelUp:
				m.scroll = max(m.scroll-3, 0)
			case tea.MouseWheelDown:
				m.scroll += 3
			}
		}
		return m, nil
	}
	switch k.String() {
	case "up", "k":
		if m.tab == Uwsgi || m.tab == Environ {
			m.sel = max(m.sel-1, 0)
		} else {
			m.scroll = max(m.scroll-1, 0)
		}
	case "down", "j":
		if m.tab == Uwsgi || m.tab == Environ {
			m.sel++
		} else {
			m.scroll++
		}
	case "pgup":
		m.scroll = max(m.scroll-m.h, 0)
	case "pgdown":
		m.scroll += m.h
	case "home", "g":
		m.sel, m.scroll = 0, 0
	}
	return m, nil
}

// View renders the tab, w×h cells, lines fitted by display width; with a
// pinned request and room for both, the pinned one on the left.
func (m Model) View() string {
	if m.pinned != nil && m.req != nil && m.pinned.ID != m.req.ID {
		if m.w < 90 {
			v := m
			v.pinned = nil
			v.h--
			note := m.th.S.Dim.Render(m.th.Fit(m.lang.F("insp.pinnednarrow", m.pinned.Seq), m.w))
			return note + "\n" + v.View()
		}
		lw := (m.w - 3) / 2
		left, right := m, m
		left.pinned, right.pinned = nil, nil
		left.req, left.w = m.pinned, lw
		right.w = m.w - 3 - lw
		left.h, right.h = m.h-1, m.h-1
		ll, rl := strings.Split(left.View(), "\n"), strings.Split(right.View(), "\n")
		head := m.th.Fit(m.lang.F("insp.pinned", m.pinned.Seq, m.pinned.Status), lw) + " " + m.th.G.V + " " +
			m.th.Fit(m.lang.F("insp.selected", m.req.Seq, m.req.Status), right.w)
		out := []string{m.th.S.Dim.Render(head)}
		for i := range ll {
			out = append(out, ll[i]+" "+m.th.S.Border.Render(m.th.G.V)+" "+rl[i])
		}
		return strings.Join(out, "\n")
	}
	var lines []string
	focusLine := -1
	switch m.tab {
	case HTTP:
		lines = m.httpLines()
	case Uwsgi:
		lines, focusLine = m.uwsgiLines()
	case Environ:
		lines, focusLine = m.environLines()
	case SQL:
		lines = m.sqlLines()
	}
	scroll := m.scroll
	if focusLine >= 0 {
		// keep the selected var on screen
		if focusLine < scroll {
			scroll = focusLine
		}
		if focusLine >= scroll+m.h-1 {
			scroll = focusLine - m.h + 2
		}
	}
	scroll = min(scroll, max(len(lines)-m.h, 0))
	if scroll > 0 && scroll < len(lines) {
		lines = lines[scroll:]
	}
	return strings.Join(fitAll(m.th, lines, m.w, m.h), "\n")
}

func fitAll(th theme.Theme, lines []string, w, h int) []string {
	out := make([]string, h)
	for i := range out {
		if i < len(lines) {
			out[i] = th.Fit(lines[i], w)
		} else {
			out[i] = th.Fit("", w)
		}
	}
	return out
}

// pdus returns the request's snapshots of kind, with the step they came with.
func (m Model) pdus(kind trace.PDUKind) []flow.Step {
	if m.req == nil {
		return nil
	}
	var out []flow.Step
	for _, st := range m.req.Steps {
		if st.PDU != nil && st.PDU.Kind == kind {
			out = append(out, st)
		}
	}
	return out
}

func (m Model) none(what string) []string {
	if m.req == nil {
		return []string{m.th.S.Dim.Render(m.lang.T("insp.noreq"))}
	}
	return []string{m.th.S.Dim.Render(m.lang.F("insp.nopdu", what))}
}

func (m Model) httpLines() []string {
	heads := m.pdus(trace.HTTPHead)
	if len(heads) == 0 {
		return m.none("HTTP")
	}
	var out []string
	for i, st := range heads {
		if i > 0 {
			out = append(out, "")
		}
		title := m.lang.T("insp.reqhead")
		if st.To == trace.Proxy && st.From != trace.Browser {
			title = m.lang.F("insp.resphead", st.Instance)
		} else if st.From == trace.Proxy {
			title = m.lang.F("insp.sentto", st.Instance)
		}
		out = append(out, m.th.S.PanelTtl.Render(fmt.Sprintf("%s  %d B", title, len(st.PDU.Data))))
		for _, l := range strings.Split(strings.TrimRight(string(st.PDU.Data), "\r\n"), "\n") {
			out = append(out, Printable(strings.TrimRight(l, "\r")))
		}
	}
	return out
}

func (m Model) sqlLines() []string {
	qs := m.pdus(trace.SQL)
	if len(qs) == 0 {
		if m.req != nil && !m.req.Static {
			return []string{m.th.S.Dim.Render(m.lang.T("insp.nosql"))}
		}
		return m.none("SQL")
	}
	var out []string
	for i, st := range qs {
		if i > 0 {
			out = append(out, "")
		}
		head := fmt.Sprintf("#%d  %s%s%s  %s", i+1, "EMS", m.th.G.To, "db", st.Instance)
		if st.Phase == trace.Failed {
			head += "  " + m.th.S.Bad.Render(m.lang.T("failed"))
		}
		out = append(out, m.th.S.PanelTtl.Render(head))
		for _, l := range strings.Split(strings.TrimRight(string(st.PDU.Data), "\n"), "\n") {
			// the statement and its arguments are what this tab is for:
			// wrapped, never cut; a comment's continuation lines under its
			// text ("-- args: " hangs), the statement's indented
			indent := 4
			if c, _, ok := strings.Cut(l, ": "); ok && strings.HasPrefix(c, "-- ") && !strings.Contains(c[3:], " ") {
				indent = cellW(c) + 2
			}
			out = append(out, hang(l, m.w, indent)...)
		}
		if st.Phase == trace.Failed {
			for _, l := range hang(m.lang.Pick(st.Why, st.WhyZH), m.w, 4) {
				out = append(out, m.th.S.Bad.Render(l))
			}
		}
	}
	return out
}

// packet returns the uwsgi packet the instance received (or, failing that,
// the one the proxy sent) and where it went.
func (m Model) packet() (flow.Step, bool) {
	ps := m.pdus(trace.UwsgiPacket)
	for _, st := range ps {
		if st.Phase == trace.Arrived {
			return st, true
		}
	}
	if len(ps) > 0 {
		return ps[0], true
	}
	return flow.Step{}, false
}

func (m Model) uwsgiLines() ([]string, int) {
	st, ok := m.packet()
	if !ok {
		return m.none("uwsgi"), -1
	}
	fields := Fields(st.PDU.Data)
	nvars := 0
	for _, f := range fields {
		if f.Var >= nvars {
			nvars = f.Var + 1
		}
	}
	sel := min(m.sel, max(nvars-1, 0))
	limit := 8
	switch {
	case m.w >= 110:
		limit = 16
	case m.w < 66:
		limit = 4
	}
	hexW := 3*limit + 1
	g := m.th.G
	body := 0
	for _, f := range fields {
		if f.Kind == "body" {
			body = f.Len
		}
	}
	title := m.lang.F("insp.packet", st.Instance, len(st.PDU.Data)-body, body)
	if body == 0 {
		title = m.lang.F("insp.packetnobody", st.Instance, len(st.PDU.Data))
		// the servers snapshot the header and vars; the body follows on the wire
		for i, f := range fields {
			if f.Kind == "key" && f.Text == "CONTENT_LENGTH" && i+1 < len(fields) && fields[i+1].Text != "" && fields[i+1].Text != "0" {
				title = m.lang.F("insp.packetbodyafter", st.Instance, len(st.PDU.Data), fields[i+1].Text)
			}
		}
	}
	out := []string{m.th.S.PanelTtl.Render(title)}
	focus := -1
	// offset, hex, label, length, then the text; its column is what is left
	pre := 2 + 4 + 2 + hexW + 1 + 6 + 1 + 4 + 2
	textW := max(m.w-pre, 12)
	for _, f := range fields {
		label := m.lang.T("insp." + f.Kind)
		var texts []string // the text column, line by line
		switch f.Kind {
		case "key":
			texts = cell.Wrap(Printable(f.Text), textW)
		case "value":
			texts = cell.Wrap(`"`+Printable(f.Text)+`"`, textW)
		case "body":
			texts = cell.Wrap(fmt.Sprintf("%s  %s", m.lang.F("insp.bytes", f.Len), f.Text), textW)
		case "header":
			// one header field a line when they do not fit on one
			if cellW(f.Text) > textW {
				for _, p := range strings.Split(f.Text, "  ") {
					texts = append(texts, cell.Wrap(p, textW)...)
				}
			} else {
				texts = []string{f.Text}
			}
		default:
			texts = cell.Wrap(f.Text, textW)
		}
		ln := ""
		if f.Kind == "key" || f.Kind == "value" {
			ln = fmt.Sprintf("%4d", f.Len)
		}
		// as a hex dump does: limit bytes a line, each line at its offset,
		// so that every byte is shown; the 2 length bytes set apart by |
		rows := max((len(f.Bytes)+limit-1)/limit, 1)
		selected := f.Var >= 0 && f.Var == sel
		for r := 0; r < max(rows, len(texts)); r++ {
			var line string
			switch {
			case r < rows:
				lo, hi := r*limit, min((r+1)*limit, len(f.Bytes))
				hex := hexRun(f.Bytes[lo:hi], lenBytes(f.Kind)-lo, limit, "|", "")
				line = fmt.Sprintf("%04x  %s ", f.Offset+lo, m.th.Fit(hex, hexW))
			default:
				line = strings.Repeat(" ", 6+hexW+1)
			}
			if r == 0 {
				line += m.th.Fit(label, 6) + " " + m.th.FitLeft(ln, 4) + "  "
			} else {
				line += strings.Repeat(" ", 6+1+4+2)
			}
			if r < len(texts) {
				line += texts[r]
			}
			mark := "  "
			switch {
			case selected:
				mark = g.Cursor + " "
				line = m.th.S.Highlt.Render(line)
				if focus < 0 {
					focus = len(out)
				}
			case f.Kind == "bad":
				line = m.th.S.Bad.Render(line)
			}
			out = append(out, mark+line)
		}
	}
	return out, focus
}

// hang wraps line to w cells, its continuation lines indented by indent.
func hang(line string, w, indent int) []string {
	if cellW(line) <= w || w <= indent+8 {
		return []string{line}
	}
	first := cell.Wrap(line, w)[0]
	rest := strings.TrimLeft(strings.TrimPrefix(line, first), " ")
	out := []string{first}
	for _, l := range cell.Wrap(rest, w-indent) {
		out = append(out, strings.Repeat(" ", indent)+l)
	}
	return out
}

func lenBytes(kind string) int {
	if kind == "key" || kind == "value" {
		return 2
	}
	return -1
}

func (m Model) environLines() ([]string, int) {
	envs := m.pdus(trace.Environ)
	if len(envs) == 0 {
		return m.none("environ"), -1
	}
	st := envs[0]
	var keys, vals []string
	kw := 0
	for _, l := range strings.Split(strings.TrimRight(string(st.PDU.Data), "\n"), "\n") {
		k, v, _ := strings.Cut(l, "=")
		keys, vals = append(keys, k), append(vals, v)
		kw = max(kw, len(k))
	}
	kw = min(kw, 22)
	sel := min(m.sel, max(len(keys)-1, 0))
	out := []string{m.th.S.PanelTtl.Render(m.lang.F("insp.environ", st.Instance, len(keys)))}
	focus := -1
	for i := range keys {
		line := m.th.Fit(Printable(keys[i]), kw) + " = " + Printable(vals[i])
		mark := "  "
		if i == sel {
			mark = m.th.G.Cursor + " "
			line = m.th.S.Highlt.Render(line)
			focus = len(out)
		}
		out = append(out, mark+line)
	}
	return out, focus
}

func cellW(s string) int { return cell.Width(s) }
