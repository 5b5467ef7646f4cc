// Package traffic is the traffic pane: the lab's own traffic, run by run —
// virtual browsers walking a journey (each a real HTTP client with its own
// cookies, connecting from its own address, so the lab can say "user 3"),
// plain requests from users, and the load generator (webflow-lab bench) —
// with what each sent, its latency percentiles as it goes, the status codes
// it got and how the proxy spread its requests over the instances. The
// selected run is drawn in full, the others on one line each.
package traffic

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"webflow-lab/tui/cell"
	"webflow-lab/tui/i18n"
	"webflow-lab/tui/snap"
	"webflow-lab/tui/theme"
)

// The traffic the screen's single keys start, as the lab's ':' commands:
// what a teacher shows most often. A journey that logs in needs the
// instances to answer a fixed captcha (CaptchaCommand), since a virtual
// browser reads no pictures.
const (
	WalkCommand    = "browse 3 login-list every 2s 5 times"
	LoadCommand    = "load /employees/ -c 10 -d 10s --rate 200"
	CaptchaCommand = "captcha fixed:1234"
)

// Model is the traffic pane.
type Model struct {
	th   theme.Theme
	lang i18n.Lang
	runs []snap.TrafficRun
	now  time.Time
	sel  int // the selected run's ID; 0 follows the newest
	w, h int
}

// New returns an empty pane.
func New(th theme.Theme, lang i18n.Lang) Model { return Model{th: th, lang: lang} }

// SetSize sets the inside size.
func (m *Model) SetSize(w, h int) { m.w, m.h = w, h }

// SetLang switches the language.
func (m *Model) SetLang(l i18n.Lang) { m.lang = l }

// SetTheme switches the theme.
func (m *Model) SetTheme(th theme.Theme) { m.th = th }

// SetRuns sets the runs (in start order) and the time now (for how long
// each has run).
func (m *Model) SetRuns(runs []snap.TrafficRun, now time.Time) { m.runs, m.now = runs, now }

// Selected returns the selected run: the one chosen with ↑/↓ while it is
// listed, else the newest running one, else the newest.
func (m Model) Selected() (snap.TrafficRun, bool) {
	i := m.selIndex()
	if i < 0 {
		return snap.TrafficRun{}, false
	}
	return m.runs[i], true
}

func (m Model) selIndex() int {
	if len(m.runs) == 0 {
		return -1
	}
	if m.sel != 0 {
		for i, r := range m.runs {
			if r.ID == m.sel {
				return i
			}
		}
	}
	for i := len(m.runs) - 1; i >= 0; i-- {
		if m.runs[i].Running() {
			return i
		}
	}
	return len(m.runs) - 1
}

// Update moves the selection: up/down (k/j), the mouse wheel.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	i := m.selIndex()
	if i < 0 {
		return m, nil
	}
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		switch msg.String() {
		case "up", "k":
			i--
		case "down", "j":
			i++
		}
	case tea.MouseWheelMsg:
		switch msg.Button {
		case tea.MouseWheelUp:
			i--
		case tea.MouseWheelDown:
			i++
		}
	}
	m.sel = m.runs[min(max(i, 0), len(m.runs)-1)].ID
	return m, nil
}

// View draws the runs, w×h cells, keeping the selected one in sight.
func (m Model) View() string {
	var lines []string
	if len(m.runs) == 0 {
		for _, p := range strings.Split(m.lang.F("traffic.none", LoadCommand), "\n") {
			lines = append(lines, cell.Wrap(p, m.w)...)
		}
		return m.block(lines, 0)
	}
	selAt, selEnd := 0, 0
	si := m.selIndex()
	for i, r := range m.runs {
		if i == si {
			selAt = len(lines)
			lines = append(lines, m.full(r)...)
			selEnd = len(lines)
			continue
		}
		lines = append(lines, "  "+m.oneLine(r))
	}
	top := 0
	if selEnd > m.h {
		top = min(selAt, selEnd-m.h)
	}
	if len(lines)-top < m.h {
		top = max(len(lines)-m.h, 0)
	}
	return m.block(lines, top)
}

func (m Model) block(lines []string, top int) string {
	out := make([]string, m.h)
	for i := range out {
		if top+i < len(lines) {
			out[i] = m.th.Fit(lines[top+i], m.w)
		} else {
			out[i] = m.th.Fit("", m.w)
		}
	}
	return strings.Join(out, "\n")
}

// head is "#1 running  SPEC", the spec cut to fit before right (what is
// drawn at the end of the line).
func (m Model) head(r snap.TrafficRun, w int, right string) string {
	st := m.stateStyle(r).Render(m.th.Fit(m.lang.T("traffic.state."+r.State), stateW(m.lang)))
	id := m.th.FitLeft("#"+strconv.Itoa(r.ID), 3)
	rest := w - cell.Width(id) - 1 - stateW(m.lang) - 2
	if right != "" {
		rest -= cell.Width(right) + 2
	}
	line := id + " " + st + "  " + m.th.Fit(r.Spec, max(rest, 4))
	if right != "" {
		line += "  " + right
	}
	return line
}

func stateW(l i18n.Lang) int {
	w := 0
	for _, s := range []string{snap.TrafficRunning, snap.TrafficDone, snap.TrafficStopped, snap.TrafficFailed} {
		w = max(w, cell.Width(l.T("traffic.state."+s)))
	}
	return w
}

func (m Model) stateStyle(r snap.TrafficRun) theme.Style {
	switch r.State {
	case snap.TrafficRunning:
		return m.th.S.Busy
	case snap.TrafficFailed:
		return m.th.S.Bad
	case snap.TrafficStopped:
		return m.th.S.Warn
	}
	return m.th.S.OK
}

// oneLine is an unselected run: its head and three figures.
func (m Model) oneLine(r snap.TrafficRun) string {
	right := m.lang.F("traffic.short", r.Sent, r.RPS, dur(r.P99))
	return m.head(r, m.w-2, right)
}

// full is the selected run, one fact a line.
func (m Model) full(r snap.TrafficRun) []string {
	s := m.th.S
	lines := []string{m.th.G.Cursor + " " + m.head(r, m.w-2, m.elapsed(r))}
	ind := "     "
	label := func(key string) string { return s.Dim.Render(m.th.Fit(m.lang.T(key), labelW(m.lang))) + " " }
	// who sends
	who := m.lang.F("traffic.from", r.From)
	if r.Users[0] > 0 {
		who = m.lang.F("traffic.users", r.Users[0], r.Users[1], r.From)
		if r.Users[0] == r.Users[1] {
			who = m.lang.F("traffic.user", r.Users[0], r.From)
		}
	}
	lines = append(lines, ind+label("traffic.who")+who)
	// how much
	parts := []string{m.lang.F("traffic.sent", r.Sent)}
	if r.Cached > 0 {
		parts = append(parts, m.lang.F("traffic.cached", r.Cached))
	}
	if r.Kind == "browse" {
		parts = append(parts, m.lang.F("traffic.walks", r.Walks))
	}
	if r.Failed > 0 {
		parts = append(parts, s.Bad.Render(m.lang.F("traffic.failed", r.Failed)))
	}
	errs := m.lang.F("traffic.errors", r.Errors)
	if r.Errors > 0 {
		errs = s.Bad.Render(errs)
	}
	parts = append(parts, errs, m.lang.F("traffic.rps", r.RPS))
	lines = append(lines, m.flow(ind+label("traffic.count"), parts)...)
	// how fast
	lines = append(lines, m.flow(ind+label("traffic.latency"), []string{"p50 " + dur(r.P50), "p90 " + dur(r.P90),
		"p99 " + dur(r.P99), "max " + dur(r.Max)})...)
	// what came back
	var sts []string
	for _, code := range slices.Sorted(maps.Keys(r.Status)) {
		sts = append(sts, s.Outcome(code, false).Render(strconv.Itoa(code))+" ×"+strconv.FormatInt(r.Status[code], 10))
	}
	if len(sts) == 0 {
		sts = append(sts, s.Dim.Render("-"))
	}
	lines = append(lines, ind+label("traffic.status")+strings.Join(sts, "   "))
	// where it went
	lines = append(lines, m.spread(r, ind, label("traffic.spread"))...)
	if r.Error.EN != "" {
		lines = append(lines, ind+s.Bad.Render(m.lang.F("traffic.error", r.Error.In(m.lang.Code()))))
	}
	if r.Note.EN != "" {
		lines = append(lines, ind+s.Dim.Render(r.Note.In(m.lang.Code())))
	}
	return lines
}

// flow lays parts out after lead, joined by dots, on as many lines as the
// width needs; the lines after the first are indented under the first part.
func (m Model) flow(lead string, parts []string) []string {
	indent := strings.Repeat(" ", cell.Width(lead))
	var out []string
	line := lead
	for i, p := range parts {
		if i > 0 {
			if cell.Width(line)+cell.Width(m.th.G.Dot)+cell.Width(p) > m.w {
				out = append(out, line)
				line = indent + p
				continue
			}
			line += m.th.G.Dot
		}
		line += p
	}
	return append(out, line)
}

func labelW(l i18n.Lang) int {
	w := 0
	for _, k := range []string{"traffic.who", "traffic.count", "traffic.latency", "traffic.status", "traffic.spread"} {
		w = max(w, cell.Width(l.T(k)))
	}
	return w
}

// spread draws one bar per place the proxy sent the run's requests: the
// instances by name, then nginx for what the proxy answered itself.
func (m Model) spread(r snap.TrafficRun, ind, label string) []string {
	s, g := m.th.S, m.th.G
	if r.Seen == 0 || len(r.Instances) == 0 {
		return []string{ind + label + s.Dim.Render(m.lang.T("traffic.nospread"))}
	}
	names := slices.Sorted(maps.Keys(r.Instances))
	if i := slices.Index(names, "proxy"); i >= 0 {
		names = append(slices.Delete(names, i, i+1), "proxy")
	}
	nameW := 0
	for _, n := range names {
		nameW = max(nameW, cell.Width(shown(n)))
	}
	count := len(strconv.FormatInt(r.Seen, 10))
	barW := max(m.w-cell.Width(ind)-cell.Width(label)-nameW-1-1-count-1-4, 4)
	var out []string
	for i, n := range names {
		c := r.Instances[n]
		fill := int(float64(c)/float64(r.Seen)*float64(barW) + 0.5)
		bar := s.Busy.Render(strings.Repeat(g.Bar, fill)) + s.Dim.Render(strings.Repeat(g.Track, barW-fill))
		pre := ind + label
		if i > 0 {
			pre = ind + strings.Repeat(" ", cell.Width(label))
		}
		out = append(out, pre+m.th.Fit(shown(n), nameW)+" "+bar+" "+m.th.FitLeft(strconv.FormatInt(c, 10), count)+
			" "+m.th.FitLeft(strconv.Itoa(int(float64(c)*100/float64(r.Seen)+0.5))+"%", 4))
	}
	return out
}

// shown is how the screen names a place: the proxy is nginx, as in the
// topology and the request list.
func shown(name string) string {
	if name == "proxy" {
		return "nginx"
	}
	return name
}

// elapsed is how long r has run ("12s"), or ran.
func (m Model) elapsed(r snap.TrafficRun) string {
	end := r.Ended
	if end.IsZero() {
		end = m.now
	}
	if r.Started.IsZero() || end.Before(r.Started) {
		return ""
	}
	d := end.Sub(r.Started)
	switch {
	case d < 10*time.Second:
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + "s"
	case d < time.Minute:
		return strconv.Itoa(int(d.Seconds())) + "s"
	}
	return d.Truncate(time.Second).String()
}

// dur formats a latency as the load generator's report does: three
// significant figures, in the unit that reads best.
func dur(d time.Duration) string {
	switch {
	case d <= 0:
		return "-"
	case d < time.Millisecond:
		return strconv.FormatInt(d.Microseconds(), 10) + "µs"
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/1e6)
	case d < 100*time.Millisecond:
		return fmt.Sprintf("%.1fms", float64(d)/1e6)
	case d < time.Second:
		return fmt.Sprintf("%.0fms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.2fs", d.Seconds())
}
