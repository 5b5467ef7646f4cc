// Package waterfall draws one request's hops as a waterfall: a row per step
// (browser→nginx, nginx→uwsgi-1, the worker, the app, each SQL statement, the
// way back), a bar placed on the request's own time line, and the real time
// each step took. The balancer's reason and any failure are printed under
// their step, so "why uwsgi-2?" is answered where the eye already is.
package waterfall

import (
	"fmt"
	"strings"
	"time"

	"webflow-lab/servers/trace"
	"webflow-lab/tui/flow"
	"webflow-lab/tui/i18n"
	"webflow-lab/tui/theme"
)

// Model is the waterfall panel.
type Model struct {
	th   theme.Theme
	lang i18n.Lang
	req  *flow.Request
	w, h int
}

// New returns an empty waterfall.
func New(th theme.Theme, lang i18n.Lang) Model { return Model{th: th, lang: lang} }

// SetSize sets the inside size.
func (m *Model) SetSize(w, h int) { m.w, m.h = w, h }

// SetLang switches the language.
func (m *Model) SetLang(l i18n.Lang) { m.lang = l }

// SetTheme switches the theme.
func (m *Model) SetTheme(th theme.Theme) { m.th = th }

// SetRequest shows r (nil: none).
func (m *Model) SetRequest(r *flow.Request) { m.req = r }

// Title names the request: "#142 POST /login/ 302 uwsgi-1 31.2 ms".
func (m Model) Title() string {
	r := m.req
	if r == nil {
		return m.lang.T("wf.title")
	}
	st := "…"
	if r.Done {
		st = fmt.Sprint(r.Status)
	}
	return fmt.Sprintf("#%d  %s %s  %s  %s  %s", r.Seq, r.Method, r.Path, st, r.Instance, dur(r.Duration()))
}

// A row is one step of the waterfall.
type row struct {
	label    string
	from, to time.Duration
	note     string // printed under the row
	bad      bool
	status   int
}

// node names a hop's end the way the course does: nginx, uwsgi-1, EMS, db,
// and the browser and the disk in the screen's language.
func (m Model) node(n, inst string) string {
	switch n {
	case trace.Browser:
		return m.lang.T("node.browser")
	case trace.Disk:
		return m.lang.T("node.disk")
	case trace.Proxy:
		return "nginx"
	case trace.Uwsgi:
		if inst != "" {
			return inst
		}
		return "uwsgi"
	case trace.App:
		return "EMS"
	}
	return n
}

func (m Model) rows() []row {
	r := m.req
	var out []row
	prev := r.Start
	to := m.th.G.To
	var sqlSent []time.Duration
	note := ""
	for i, st := range r.Steps {
		lbl := m.node(st.From, st.Instance) + to + m.node(st.To, st.Instance)
		switch {
		case st.Phase == trace.Info:
			if why := m.lang.Pick(st.Why, st.WhyZH); why != "" {
				out = append(out, row{note: why, from: -1})
			}
			continue
		case st.From == trace.App && st.To == trace.DB && st.Phase == trace.Sent:
			sqlSent = append(sqlSent, st.At)
			continue
		case st.From == trace.App && st.To == trace.DB:
			from := prev
			if len(sqlSent) > 0 {
				from, sqlSent = sqlSent[0], sqlSent[1:]
			}
			out = append(out, row{label: "EMS" + to + "db", from: from, to: st.At, note: m.lang.Pick(st.Why, st.WhyZH),
				bad: st.Phase == trace.Failed})
			prev = st.At
			continue
		case st.From == trace.Uwsgi && st.To == trace.Proxy && i+1 < len(r.Steps) &&
			r.Steps[i+1].From == trace.Uwsgi && r.Steps[i+1].To == trace.Proxy:
			// the app server's side of the answer; the proxy's side follows
			// and gets the row, this one's reason goes under it
			note = m.lang.Pick(st.Why, st.WhyZH)
			continue
		}
		rw := row{label: lbl, from: prev, to: st.At, bad: st.Phase == trace.Failed, status: st.Status, note: note}
		note = ""
		why := m.lang.Pick(st.Why, st.WhyZH)
		switch {
		case st.Phase == trace.Failed:
			rw.label += " " + m.lang.T("phase.failed")
			rw.note = why
		case st.From == trace.Disk:
			rw.note = why
		case st.From == trace.Browser && st.Phase == trace.Arrived && r.Client != "":
			rw.note = m.lang.F("wf.from", r.Client, r.Browser)
		case st.To == trace.Uwsgi && st.Phase == trace.Arrived && !strings.HasPrefix(st.Why, "connection"):
			rw.label = st.Instance + " " + m.lang.T("wf.accepted")
			rw.note = why
		case st.From == trace.Uwsgi && st.To == trace.App:
			rw.note = ""
		case st.From == trace.App && st.To == trace.Uwsgi && st.Why != "":
			rw.note = why
		}
		if st.Status > 0 {
			rw.label += fmt.Sprintf(" %d", st.Status)
		}
		if st.From == trace.Browser && st.Phase == trace.Arrived {
			rw.from = st.At
		}
		out = append(out, rw)
		prev = st.At
	}
	return out
}

// View draws the waterfall, w×h cells.
func (m Model) View() string {
	s, g := m.th.S, m.th.G
	var lines []string
	if m.req == nil {
		lines = []string{s.Dim.Render(m.lang.T("wf.none"))}
		return m.fill(lines)
	}
	r := m.req
	total := r.Duration()
	if total <= 0 {
		total = 1
	}
	lw := min(max(m.w*2/5, 20), 28)
	dw := 10
	bw := max(m.w-lw-dw-2, 4)
	for _, rw := range m.rows() {
		if rw.from < 0 {
			lines = append(lines, s.Dim.Render(m.th.Fit("   "+rw.note, m.w)))
			continue
		}
		a := int(float64(rw.from-r.Start) / float64(total) * float64(bw))
		b := int(float64(rw.to-r.Start) / float64(total) * float64(bw))
		a = min(max(a, 0), bw-1)
		b = min(max(b, a), bw)
		bar := strings.Repeat(" ", a)
		if b > a {
			bar += strings.Repeat(g.Bar, b-a)
		} else {
			bar += g.Tick
		}
		st := s.Busy
		if rw.bad {
			st = s.Bad
		} else if rw.status > 0 {
			st = s.Outcome(rw.status, false)
		}
		line := m.th.Fit(rw.label, lw) + " " + st.Render(m.th.Fit(bar, bw)) + " " + m.th.FitLeft(dur(rw.to-rw.from), dw)
		lines = append(lines, line)
		if rw.note != "" {
			ns := s.Dim
			if rw.bad {
				ns = s.Bad
			}
			lines = append(lines, ns.Render(m.th.Fit("   "+rw.note, m.w)))
		}
	}
	if !r.Done {
		lines = append(lines, s.Warn.Render(m.th.Fit(m.lang.T("wf.waiting"), m.w)))
	}
	return m.fill(lines)
}

func (m Model) fill(lines []string) string {
	if len(lines) > m.h {
		// keep the end: where the request is now
		lines = append(lines[:1:1], lines[len(lines)-m.h+1:]...)
	}
	out := make([]string, m.h)
	for i := range out {
		if i < len(lines) {
			out[i] = m.th.Fit(lines[i], m.w)
		} else {
			out[i] = m.th.Fit("", m.w)
		}
	}
	return strings.Join(out, "\n")
}

// dur prints a duration in ms or µs.
func dur(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%d µs", d.Microseconds())
	case d < time.Second:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}
