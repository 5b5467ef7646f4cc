// Package breakpoints is the breakpoint pane: the hops where the lab holds
// requests (before nginx forwards, before the app server hands a request to
// the app, before the database), and the requests held there with how long
// they have waited and when their timeout ends them. A held request is
// really waiting: its browser is still waiting for the answer.
package breakpoints

import (
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"webflow-lab/tui/cell"
	"webflow-lab/tui/i18n"
	"webflow-lab/tui/snap"
	"webflow-lab/tui/theme"
)

// Model is the breakpoint pane.
type Model struct {
	th      theme.Theme
	lang    i18n.Lang
	snap    snap.Snapshot
	sel     int // selected held request
	now     time.Time
	offered bool // the lab offers breakpoints
	w, h    int
}

// New returns an empty pane.
func New(th theme.Theme, lang i18n.Lang) Model { return Model{th: th, lang: lang} }

// SetSize sets the inside size.
func (m *Model) SetSize(w, h int) { m.w, m.h = w, h }

// SetLang switches the language.
func (m *Model) SetLang(l i18n.Lang) { m.lang = l }

// SetTheme switches the theme.
func (m *Model) SetTheme(th theme.Theme) { m.th = th }

// SetSnapshot sets the state, the time now, and whether the lab offers
// breakpoints at all.
func (m *Model) SetSnapshot(s snap.Snapshot, now time.Time, offered bool) {
	m.snap, m.now, m.offered = s, now, offered
	m.sel = min(m.sel, max(len(s.Held)-1, 0))
}

// SelectedHeld returns the selected held request.
func (m Model) SelectedHeld() (snap.Held, bool) {
	if m.sel < len(m.snap.Held) {
		return m.snap.Held[m.sel], true
	}
	return snap.Held{}, false
}

// Update moves the selection among held requests.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch k.String() {
		case "up", "k":
			m.sel = max(m.sel-1, 0)
		case "down", "j":
			m.sel = min(m.sel+1, max(len(m.snap.Held)-1, 0))
		}
	}
	return m, nil
}

// View draws the breakpoints and the held requests, w×h cells.
func (m Model) View() string {
	s := m.th.S
	var lines []string
	// the advice wraps: its end (":break HOP [PATH]") is the part to act on
	wrap := func(text string, st theme.Style) {
		for _, l := range cell.Wrap(text, m.w) {
			lines = append(lines, st.Render(l))
		}
	}
	if !m.offered {
		wrap(m.lang.T("bp.notyet"), s.Dim)
	}
	if len(m.snap.Breakpoints) == 0 {
		wrap(m.lang.T("bp.none"), theme.NewStyle())
	}
	for _, b := range m.snap.Breakpoints {
		where := b.Hop
		if b.PathPrefix != "" {
			where += "  " + b.PathPrefix
		}
		if b.Instance != "" {
			where += "  " + b.Instance
		}
		lines = append(lines, fmt.Sprintf("%s #%d  %s", s.Warn.Render(m.th.G.Pause), b.ID, where))
	}
	lines = append(lines, "", s.PanelTtl.Render(m.lang.F("bp.held", len(m.snap.Held))))
	for i, h := range m.snap.Held {
		mark := "  "
		line := fmt.Sprintf("%s %s  %s  %s  %s", h.Method, h.Path, h.Hop, h.Instance,
			m.lang.F("bp.since", m.now.Sub(h.Since).Round(time.Second), h.Deadline.Sub(m.now).Round(time.Second)))
		if i == m.sel {
			mark = m.th.G.Cursor + " "
			line = s.Selected.Render(line)
		}
		lines = append(lines, mark+line)
	}
	lines = append(lines, "")
	wrap(m.lang.T("bp.keys"), s.Dim)
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
