package tui

import (
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"webflow-lab/tui/lesson"
	"webflow-lab/tui/theme"
)

// The lesson panel (tui/lesson): the step a learner is on, its checks
// against the live lab and hints, beside the topology (t shows and hides
// it, :lesson N starts lesson N). It is built by whoever started the lab
// (Options.Lesson), since its runner works on the lab itself; a recording
// has none.

// lessonShown reports whether the lesson panel is on screen.
func (m *Model) lessonShown() bool { return m.lesson != nil && m.lessonOn }

// lessonBesideFrom is the width from which the lesson sits beside the
// topology; below, it takes the list's place (tab switches).
const lessonBesideFrom = 140

// lessonWidth is the lesson panel's width beside the topology.
func lessonWidth(w int) int { return min(max(w*2/5, 50), 72) }

// openLesson builds the panel for the lab now running, if there is one.
func (m *Model) openLesson() {
	m.lesson = nil
	if m.opts.Lesson == nil || m.lab == nil {
		return
	}
	cfg, ok := m.opts.Lesson()
	if !ok {
		return
	}
	cfg.Lang = m.lang.Code()
	cfg.ASCII = m.th.ASCII
	cfg.Styles = lessonStyles(m.th)
	p := lesson.New(cfg)
	m.lesson = &p
}

// toggleLesson shows or hides the panel.
func (m *Model) toggleLesson() {
	if m.lesson == nil {
		m.status, m.statusOK = m.lang.T("status.nolessons"), false
		return
	}
	m.lessonOn = !m.lessonOn
	switch {
	case m.lessonOn:
		m.focus = focusLesson
	case m.focus == focusLesson:
		m.focus = focusRequests
	}
}

// startLesson shows the panel on lesson n.
func (m *Model) startLesson(n int) tea.Cmd {
	if m.lesson == nil {
		m.status, m.statusOK = m.lang.T("status.nolessons"), false
		return nil
	}
	m.lessonOn, m.focus = true, focusLesson
	var cmd tea.Cmd
	*m.lesson, cmd = m.lesson.Start(n)
	return cmd
}

// lessonKey gives the focused panel its keys: check, hint, next, reset,
// scroll, and the teacher's solve. ok is false for the others.
func (m *Model) lessonKey(k tea.KeyPressMsg) (tea.Cmd, bool) {
	switch k.String() {
	case "c", "h", "n", "r", "up", "down", "j", "k", "pgup", "pgdown", "s":
		if k.String() == "s" && !m.opts.Teacher {
			return nil, false // the strategy key, for a learner
		}
		var cmd tea.Cmd
		*m.lesson, cmd = m.lesson.Update(k)
		return cmd, true
	}
	return nil, false
}

// lessonBox frames the panel.
func (m *Model) lessonBox(w, h int) string {
	m.lesson.SetSize(w-2, h-2)
	return m.th.Box(m.lang.T("lesson.title"), m.lesson.View(), w, h, m.focus == focusLesson)
}

// lessonStyles are the panel's looks from the screen's theme.
func lessonStyles(th theme.Theme) lesson.Styles {
	p := th.Palette
	st := func(hex string) lipgloss.Style {
		s := lipgloss.NewStyle()
		if hex != "" {
			s = s.Foreground(lipgloss.Color(hex))
		}
		return s
	}
	return lesson.Styles{
		Title: lipgloss.NewStyle().Bold(true),
		Text:  lipgloss.NewStyle().Bold(th.Presenter),
		Dim:   st(p.Dim),
		Pass:  st(p.OK),
		Fail:  st(p.Bad).Bold(true),
		Hint:  st(p.Warn),
		Key:   st(p.Key).Bold(true),
		Error: st(p.Bad),
	}
}

// lessonChecked shows a check's results in the panel and counts them in
// the status line: at 80×24 the panel is short, and a learner who pressed
// c must see that it did something.
func (m *Model) lessonChecked(msg lesson.CheckedMsg) tea.Cmd {
	if m.lesson == nil {
		return nil
	}
	var cmd tea.Cmd
	*m.lesson, cmd = m.lesson.Update(msg)
	m.status, m.statusOK = m.lesson.Summary()
	return cmd
}
