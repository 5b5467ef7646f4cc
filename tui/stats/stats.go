// Package stats is the per-instance view uwsgitop gives of real uWSGI: for
// each instance its state, requests served, requests per second and listen
// queue, and for each worker its status, requests and average response time
// — read from the instance's own stats server (the same JSON `curl
// 127.0.0.1:9002` prints).
package stats

import (
	"fmt"
	"strings"
	"time"

	"webflow-lab/tui/cell"
	"webflow-lab/tui/i18n"
	"webflow-lab/tui/snap"
	"webflow-lab/tui/theme"
)

// Model is the stats panel.
type Model struct {
	th   theme.Theme
	lang i18n.Lang
	snap snap.Snapshot
	rps  map[string]float64
	w, h int
}

// New returns an empty panel.
func New(th theme.Theme, lang i18n.Lang) Model { return Model{th: th, lang: lang} }

// SetSize sets the inside size.
func (m *Model) SetSize(w, h int) { m.w, m.h = w, h }

// SetLang switches the language.
func (m *Model) SetLang(l i18n.Lang) { m.lang = l }

// SetTheme switches the theme.
func (m *Model) SetTheme(th theme.Theme) { m.th = th }

// SetSnapshot sets the state and each instance's requests per second.
func (m *Model) SetSnapshot(s snap.Snapshot, rps map[string]float64) { m.snap, m.rps = s, rps }

// View draws one block per instance, w×h cells.
func (m Model) View() string {
	s := m.th.S
	var lines []string
	for _, in := range m.snap.Instances {
		q := "?"
		if in.ListenQueue >= 0 {
			q = fmt.Sprint(in.ListenQueue)
		}
		st := s.OK
		if in.State != snap.Running {
			st = s.Bad
		}
		head := s.PanelTtl.Render(in.Name) + "  " + st.Render(m.lang.T("state."+in.State)) + "  " +
			m.lang.F("stats.line", in.Requests, m.rps[in.Name])
		more := m.lang.F("stats.line2", q, in.Processes, max(in.Threads, 1))
		if cell.Width(head)+2+cell.Width(more) <= m.w {
			lines = append(lines, head+"  "+more)
		} else {
			lines = append(lines, head, "  "+more)
		}
		if len(in.Workers) > 0 {
			lines = append(lines, s.Dim.Render("  "+m.th.FitLeft("WID", 4)+"  "+m.th.Fit(m.lang.T("stats.status"), 8)+
				m.th.FitLeft(m.lang.T("stats.reqs"), 9)+m.th.FitLeft(m.lang.T("stats.avg"), 12)))
		}
		for _, w := range in.Workers {
			status, ws := m.lang.T("stats.idle"), s.OK
			if w.Busy {
				status, ws = m.lang.T("stats.busy"), s.Busy
			}
			lines = append(lines, "  "+m.th.FitLeft(fmt.Sprint(w.ID), 4)+"  "+ws.Render(m.th.Fit(status, 8))+
				m.th.FitLeft(fmt.Sprint(w.Requests), 9)+m.th.FitLeft(avg(w.AvgTime), 12))
		}
		lines = append(lines, "")
	}
	if len(lines) == 0 {
		lines = append(lines, s.Dim.Render(m.lang.T("stats.none")))
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

func avg(d time.Duration) string {
	if d < time.Millisecond {
		return fmt.Sprintf("%d µs", d.Microseconds())
	}
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}
