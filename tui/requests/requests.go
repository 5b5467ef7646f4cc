// Package requests is the request list, like a browser's network panel: one
// row per request with its time, method, path, status, the instance that
// served it, its duration and the browser that sent it; newest at the bottom,
// filterable, with the selected request marked. Requests still in flight,
// in the lab or on the screen's slowed replay, show "…" for a status; a
// request held at a breakpoint shows "held".
package requests

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"webflow-lab/tui/cell"
	"webflow-lab/tui/flow"
	"webflow-lab/tui/i18n"
	"webflow-lab/tui/theme"
)

// Model is the request list.
type Model struct {
	th      theme.Theme
	lang    i18n.Lang
	store   *flow.Store
	filter  string
	sel     string // selected request id; "" follows the newest
	follow  bool
	top     int // first row shown
	w, h    int
	held    map[string]bool
	playing map[string]bool
	dropped int64
	skipped int64
	rows    []*flow.Request // the filtered rows of the last layout
}

// New returns a list over store, following the newest request.
func New(th theme.Theme, lang i18n.Lang, store *flow.Store) Model {
	return Model{th: th, lang: lang, store: store, follow: true}
}

// SetSize sets the inside size.
func (m *Model) SetSize(w, h int) { m.w, m.h = w, h }

// SetLang switches the language.
func (m *Model) SetLang(l i18n.Lang) { m.lang = l }

// SetTheme switches the theme.
func (m *Model) SetTheme(th theme.Theme) { m.th = th }

// SetFilter keeps only requests whose method, path, status, instance or
// browser contains f (case-insensitive); "" shows all.
func (m *Model) SetFilter(f string) { m.filter = f }

// Filter is the current filter.
func (m Model) Filter() string { return m.filter }

// SetHeld marks the requests held at breakpoints.
func (m *Model) SetHeld(ids map[string]bool) { m.held = ids }

// SetPlaying marks the requests whose replay has not yet brought the answer
// back to the browser: their status and duration wait for it, so that the
// row does not tell the end of the story the topology is still telling.
func (m *Model) SetPlaying(ids map[string]bool) { m.playing = ids }

// SetDropped sets how many events the screen lost to a full queue, and
// how many whole requests it did not follow under load.
func (m *Model) SetDropped(events, requests int64) { m.dropped, m.skipped = events, requests }

// Select selects the request with id, and stops following the newest.
func (m *Model) Select(id string) { m.sel, m.follow = id, false }

// Follow selects the newest request from now on.
func (m *Model) Follow() { m.sel, m.follow = "", true }

// Selected returns the selected request (the newest shown when following), or nil.
func (m *Model) Selected() *flow.Request {
	rows := m.visible()
	if len(rows) == 0 {
		return nil
	}
	if !m.follow {
		for _, r := range rows {
			if r.ID == m.sel {
				return r
			}
		}
		if r := m.store.Get(m.sel); r != nil {
			return r // filtered out but still kept
		}
	}
	return rows[len(rows)-1]
}

// Count is the number of rows after the filter.
func (m Model) Count() int { return len(m.visible()) }

func (m Model) visible() []*flow.Request {
	all := m.store.All()
	if m.filter == "" {
		return all
	}
	f := strings.ToLower(m.filter)
	var out []*flow.Request
	for _, r := range all {
		if matches(r, f) {
			out = append(out, r)
		}
	}
	return out
}

func matches(r *flow.Request, f string) bool {
	user := ""
	if r.User > 0 {
		user = "user " + strconv.Itoa(r.User) + " 用户 " + strconv.Itoa(r.User)
	}
	for _, s := range []string{r.Method, r.Path, strconv.Itoa(r.Status), r.Instance, r.Browser, r.ID, user} {
		if strings.Contains(strings.ToLower(s), f) {
			return true
		}
	}
	return false
}

// Update moves the selection: up/down (k/j), pgup/pgdown, home, end (back
// to following the newest), the mouse wheel.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	rows := m.visible()
	if len(rows) == 0 {
		return m, nil
	}
	idx := len(rows) - 1
	if cur := m.Selected(); cur != nil {
		for i, r := range rows {
			if r.ID == cur.ID {
				idx = i
			}
		}
	}
	move := 0
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		switch msg.String() {
		case "up", "k":
			move = -1
		case "down", "j":
			move = 1
		case "pgup":
			move = -max(m.h-1, 1)
		case "pgdown":
			move = max(m.h-1, 1)
		case "home":
			move = -len(rows)
		case "end":
			m.Follow()
			return m, nil
		}
	case tea.MouseWheelMsg:
		switch msg.Button {
		case tea.MouseWheelUp:
			move = -3
		case tea.MouseWheelDown:
			move = 3
		}
	}
	if move == 0 {
		return m, nil
	}
	idx = min(max(idx+move, 0), len(rows)-1)
	if idx == len(rows)-1 && move > 0 {
		m.Follow()
	} else {
		m.Select(rows[idx].ID)
	}
	return m, nil
}

// ClickRow selects the request drawn on row y of the panel's inside (0 is
// the column header).
func (m *Model) ClickRow(y int) {
	if y < 1 || y-1 >= len(m.rows) {
		return
	}
	r := m.rows[y-1]
	if r == nil {
		return
	}
	m.Select(r.ID)
}

// Title is the panel's title: the count, the filter, the drops.
func (m Model) Title() string {
	t := m.lang.F("req.title", m.Count())
	if m.filter != "" {
		t += "  /" + m.filter
	}
	if m.skipped > 0 {
		t += "  " + m.lang.F("req.skipped", m.skipped)
	}
	// A skipped request's later events count as dropped too (the broker
	// cannot tell them from lost ones), so under load the drops would
	// repeat the skips several times over: only drops without skips say
	// something of their own.
	if m.dropped > 0 && m.skipped == 0 {
		t += "  " + m.lang.F("req.dropped", m.dropped)
	}
	return t
}

type cols struct{ seq, tm, meth, path, st, via, ms, br int }

func (m Model) layout() cols {
	c := cols{seq: 4, meth: 4, st: 4, via: 7, ms: 7}
	if n := m.store.Len(); n > 0 {
		c.seq = max(c.seq, len(strconv.Itoa(m.store.At(n-1).Seq))) // under load numbers pass 9999
	}
	fixed := 2 + c.seq + 1 + c.meth + 1 + 1 + c.st + 1 + c.via + 1 + c.ms
	// Who sent a request ("user 3") matters more than when: in a narrow
	// list the time goes first, then the browser.
	room := m.w - fixed
	switch {
	case room-9-13 >= 40:
		c.tm, c.br = 8, 12
	case room-9-9 >= 18:
		c.tm, c.br = 8, 8
	case room-9 >= 14:
		c.br = 8
	}
	if c.tm > 0 {
		fixed += 1 + c.tm
	}
	if c.br > 0 {
		fixed += 1 + c.br
	}
	c.path = max(m.w-fixed, 6)
	return c
}

// View draws the list, w×h cells: a column header and the rows that fit,
// keeping the selected one on screen.
func (m *Model) View() string {
	rows := m.visible()
	c := m.layout()
	s, g := m.th.S, m.th.G
	lines := make([]string, 0, m.h)
	hdr := "  " + m.th.FitLeft("#", c.seq) + " "
	if c.tm > 0 {
		hdr += m.th.Fit(m.lang.T("req.time"), c.tm) + " "
	}
	hdr += m.th.Fit(m.lang.T("req.meth"), c.meth) + " " + m.th.Fit(m.lang.T("req.path"), c.path) + " " +
		m.th.FitLeft(m.lang.T("req.st"), c.st) + " " + m.th.Fit(m.lang.T("req.via"), c.via) + " " +
		m.th.FitLeft("ms", c.ms)
	if c.br > 0 {
		hdr += " " + m.th.Fit(m.lang.T("req.browser"), c.br)
	}
	lines = append(lines, s.Dim.Render(m.th.Fit(hdr, m.w)))
	n := m.h - 1
	if len(rows) == 0 {
		m.rows = nil
		msg := m.lang.T("req.empty")
		if m.filter != "" {
			msg = m.lang.F("req.nomatch", m.filter)
		}
		for _, l := range cell.Wrap(msg, m.w-2) {
			lines = append(lines, s.Dim.Render(m.th.Fit("  "+l, m.w)))
		}
		return strings.Join(pad(m.th, lines, m.w, m.h), "\n")
	}
	sel := m.Selected()
	si := len(rows) - 1
	for i, r := range rows {
		if sel != nil && r.ID == sel.ID {
			si = i
		}
	}
	// keep the selection on screen; when following, show the newest at the bottom
	top := m.top
	if m.follow {
		top = len(rows) - n
	}
	if si < top {
		top = si
	}
	if si >= top+n {
		top = si - n + 1
	}
	top = max(min(top, len(rows)-n), 0)
	m.top = top
	m.rows = rows[top:min(top+n, len(rows))]
	for _, r := range m.rows {
		mark := "  "
		if sel != nil && r.ID == sel.ID {
			mark = g.Cursor + " "
		}
		st := "…"
		stStyle := s.Busy
		dur := ms(r.Duration())
		switch {
		case m.held[r.ID]:
			st, stStyle = m.lang.T("req.held"), s.Warn
		case m.playing[r.ID] && r.Done:
			dur = "" // answered, but not yet on the screen's replay
		case r.Done:
			st, stStyle = strconv.Itoa(r.Status), s.Outcome(r.Status, r.Status == 0)
		}
		via := r.Instance
		viaStyle := s.Text
		if r.Static {
			viaStyle = s.Static
		}
		selected := sel != nil && r.ID == sel.ID
		paint := func(st theme.Style, x string) string {
			if selected {
				return x // the selected row is one reverse run: styles do not nest
			}
			return st.Render(x)
		}
		line := mark + m.th.FitLeft(strconv.Itoa(r.Seq), c.seq) + " "
		if c.tm > 0 {
			line += paint(s.Dim, m.th.Fit(r.Seen.Format("15:04:05"), c.tm)) + " "
		}
		line += m.th.Fit(r.Method, c.meth) + " " + m.th.Fit(r.Path, c.path) + " " +
			paint(stStyle, m.th.FitLeft(st, c.st)) + " " + paint(viaStyle, m.th.Fit(via, c.via)) + " " +
			m.th.FitLeft(dur, c.ms)
		if c.br > 0 {
			line += " " + paint(s.Dim, m.th.Fit(m.browser(r), c.br))
		}
		if selected {
			line = s.Selected.Render(m.th.Fit(line, m.w))
		}
		lines = append(lines, line)
	}
	return strings.Join(pad(m.th, lines, m.w, m.h), "\n")
}

// browser names who sent r: the lab's virtual "user 3", else what its
// User-Agent says.
func (m Model) browser(r *flow.Request) string {
	if r.User > 0 {
		return m.lang.F("req.user", r.User)
	}
	return r.Browser
}

func pad(th theme.Theme, lines []string, w, h int) []string {
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

// ms formats a duration in milliseconds, as the network panel does.
func ms(d time.Duration) string {
	f := float64(d) / float64(time.Millisecond)
	switch {
	case f < 10:
		return fmt.Sprintf("%.2f", f)
	case f < 1000:
		return fmt.Sprintf("%.1f", f)
	}
	return fmt.Sprintf("%.0f", f)
}
