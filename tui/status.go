package tui

import (
	"strings"

	"webflow-lab/servers/explain"
	"webflow-lab/tui/cell"
	"webflow-lab/tui/i18n"
)

// The status line says what the last action did. A message is kept as what
// renders it (a catalog key and its arguments, a text in both languages, an
// error), not as the string it rendered, so that a language switch (L)
// re-renders it: a Chinese screen does not keep an English sentence.

// say sets the status line to what of renders, in the screen's language
// now and after a switch.
func (m *Model) say(ok bool, of func(i18n.Lang) string) {
	m.statusOf = of
	m.status, m.statusOK = of(m.lang), ok
	m.statusWas = m.status
}

// sayKey sets the status line to a catalog entry.
func (m *Model) sayKey(ok bool, key string, args ...any) {
	m.say(ok, func(l i18n.Lang) string {
		if len(args) == 0 {
			return l.T(key)
		}
		return l.F(key, args...)
	})
}

// sayText sets the status line to a text that came in both languages,
// then tail (a real equivalent, a command: the same in both).
func (m *Model) sayText(ok bool, t explain.Text, tail string) {
	m.say(ok, func(l i18n.Lang) string { return t.In(l.Code()) + tail })
}

// sayErr sets the status line to the first line of err, in the language
// of the screen when err is an explain.Error.
func (m *Model) sayErr(err error) {
	m.say(false, func(l i18n.Lang) string { return firstLine(errText(err, l.Code())) })
}

// restatus re-renders the status line in the screen's language, unless
// something wrote it directly since the last say.
func (m *Model) restatus() {
	if m.statusOf != nil && m.status == m.statusWas {
		m.status = m.statusOf(m.lang)
		m.statusWas = m.status
	}
}

// statusLines draws the bottom line, or lines: the command line (with the
// candidates of the last tab above it), else the status, on two lines when
// it does not fit on one, so that its end (the file to edit, the command to
// type) is not cut.
func (m *Model) statusLines() []string {
	if m.input != inputNone {
		m.ti.SetWidth(m.w - 2)
		prompt := m.th.Fit(m.ti.View(), m.w)
		if len(m.cands) == 0 {
			return []string{prompt}
		}
		return append(m.candidateLines(), prompt)
	}
	st := m.th.S.Status
	if !m.statusOK {
		st = m.th.S.Bad
	}
	text := m.status
	if text == "" && m.over == overError {
		text = m.lang.T("status.fixhint")
		st = m.th.S.Dim
	} else if text == "" && m.snap.Recording != nil {
		text = m.lang.T("status.replayhint")
		st = m.th.S.Dim
	} else if text == "" {
		text = m.lang.T("status.hint")
		if m.snap.URL != "" {
			text = m.lang.F("status.hinturl", m.snap.URL)
		}
		st = m.th.S.Dim
	}
	text = strings.ReplaceAll(text, "\n", " ")
	if cell.Width(" "+text) <= m.w {
		return []string{st.Render(m.fitKeepingTail(" "+text, m.w))}
	}
	// two lines: the first as wrapped, the rest kept by its tail
	ls := cell.Wrap(text, m.w-1)
	rest := strings.TrimLeft(strings.TrimPrefix(text, ls[0]), " ")
	return []string{st.Render(m.th.Fit(" "+ls[0], m.w)), st.Render(m.fitKeepingTail(" "+rest, m.w))}
}

// maxCandLines is how many lines the tab candidates may take above the
// command line; more are counted, not shown.
const maxCandLines = 3

// candidateLines lists the last tab's candidates, wrapped to the width.
func (m *Model) candidateLines() []string {
	ls := cell.Wrap(strings.Join(m.cands, "  "), m.w-1)
	if len(ls) > maxCandLines {
		ls = ls[:maxCandLines]
		ls[maxCandLines-1] = m.th.Trunc(ls[maxCandLines-1]+" "+m.th.G.Ellipsis+" ", m.w-1)
	}
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = m.th.S.Dim.Render(m.th.Fit(" "+l, m.w))
	}
	return out
}

// fitKeepingTail fits a status line into w cells; when it is too long and
// ends in a control's real equivalent ("· ≈ uwsgi --stop uwsgi-1.pid") or
// the command a key typed ("· :browse 3 …"), what was done is cut instead,
// so the equivalent stays in sight: it is what the learner takes away.
func (m *Model) fitKeepingTail(text string, w int) string {
	if cell.Width(text) <= w {
		return m.th.Fit(text, w)
	}
	i := strings.LastIndex(text, m.th.G.Dot+"≈ ")
	if i < 0 {
		i = strings.LastIndex(text, m.th.G.Dot+":")
	}
	if i <= 0 {
		return m.th.Fit(text, w)
	}
	head, tail := text[:i], text[i:]
	if room := w - cell.Width(tail); room >= 12 {
		return m.th.Fit(m.th.Trunc(head, room)+tail, w)
	}
	// the equivalent alone is already a line: it is the part to keep
	return m.th.Fit(" "+strings.TrimPrefix(tail, m.th.G.Dot), w)
}
