package tui

import (
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"webflow-lab/servers/explain"
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
	if cfg.Err != nil {
		m.status, m.statusOK = m.lang.T("status.lessonerr")+oneLine(cfg.Err, m.lang.Code()), false
	}
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
	return tea.Batch(cmd, m.pollLesson())
}

// lessonCommand is :lesson answer TEXT, :lesson skip and :lesson status,
// as `webflow-lab lesson` runs them in a shell.
func (m *Model) lessonCommand(sub, arg string) tea.Cmd {
	if m.lesson == nil {
		m.status, m.statusOK = m.lang.T("status.nolessons"), false
		return nil
	}
	*m.lesson, _ = m.lesson.Sync()
	var cmd tea.Cmd
	var err error
	switch sub {
	case "answer":
		*m.lesson, cmd, err = m.lesson.Answer(strings.Trim(arg, `"'“”`))
	case "skip":
		*m.lesson, cmd, err = m.lesson.Skip()
	case "status":
		m.status, m.statusOK = m.lesson.Status(), true
		return nil
	}
	if err != nil {
		m.status, m.statusOK = oneLine(err, m.lang.Code()), false
		return nil
	}
	m.lessonOn, m.focus = true, focusLesson
	return tea.Batch(cmd, m.pollLesson())
}

// oneLine is an error for the status line: an explained error's what and
// try.
func oneLine(err error, lang string) string {
	if e, ok := err.(*explain.Error); ok {
		s := e.What.In(lang)
		if t := e.Try.In(lang); t != "" {
			s += " — " + t
		}
		return s
	}
	return err.Error()
}

// lessonKeys is the footer's legend for the lesson panel: only the keys
// that act, so with no step in progress, how to start one.
func (m *Model) lessonKeys() []binding {
	switch {
	case m.lesson != nil && m.lesson.Failed():
		return []binding{{"t", "key.lesson"}}
	case m.lesson == nil || !m.lesson.Running():
		return []binding{{":lesson N", "key.lstart"}, {"t", "key.lesson"}}
	case m.lesson.Question():
		return []binding{{":lesson answer", "key.lanswer"}, {"c", "key.lcheck"}, {"h", "key.lhint"}, {"n", "key.lnext"}, {"t", "key.lesson"}}
	}
	return []binding{{"c", "key.lcheck"}, {"h", "key.lhint"}, {"n", "key.lnext"}, {"t", "key.lesson"}}
}

// lessonPolledMsg is the slow poll of the saved progress coming round.
type lessonPolledMsg struct{}

// lessonPollEvery is how often the shown panel looks at the saved progress
// for a change by `webflow-lab lesson` in a second terminal. A stat every
// 2 s only while the panel is shown, and none while it is hidden, so an
// idle screen arms no frame (TestIdleAsksForNoFrames); the panel also
// looks on each of its keys.
const lessonPollEvery = 2 * time.Second

// pollLesson arms the poll if the panel is shown and none is armed.
func (m *Model) pollLesson() tea.Cmd {
	if !m.lessonShown() || m.lessonPolling {
		return nil
	}
	m.lessonPolling = true
	return tea.Tick(lessonPollEvery, func(time.Time) tea.Msg { return lessonPolledMsg{} })
}

// onLessonPolled follows the saved progress and re-arms the poll while
// the panel is shown.
func (m *Model) onLessonPolled() tea.Cmd {
	m.lessonPolling = false
	if !m.lessonShown() {
		return nil
	}
	m.syncLesson()
	return m.pollLesson()
}

// syncLesson shows the step `webflow-lab lesson` made current, saying so.
func (m *Model) syncLesson() {
	var moved bool
	if *m.lesson, moved = m.lesson.Sync(); moved {
		if w := m.lesson.Where(); w != "" {
			m.status, m.statusOK = m.lang.F("status.lessonmoved", w), true
		}
	}
}

// lessonKey gives the focused panel its keys: check, hint, next, reset,
// scroll, and the teacher's solve. ok is false for the others.
func (m *Model) lessonKey(k tea.KeyPressMsg) (tea.Cmd, bool) {
	switch k.String() {
	case "c", "h", "n", "r", "up", "down", "j", "k", "pgup", "pgdown", "s":
		if k.String() == "s" && !m.opts.Teacher {
			return nil, false // the strategy key, for a learner
		}
		if k.String() != "n" { // n follows the saved progress itself
			m.syncLesson()
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
