package tui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"webflow-lab/servers/explain"
	"webflow-lab/tui/cell"
)

// The overlays that cover the screen: the help, a command's output, the
// welcome, an error in full. Help and output scroll when they are longer
// than the screen (↑/↓, pgup/pgdown, home/end).

// showOutput covers the screen with what a command printed ("status",
// "held").
func (m *Model) showOutput(title, text string) {
	m.over, m.outTitle, m.overTop = overOutput, title, 0
	m.outLines = strings.Split(strings.TrimRight(text, "\n"), "\n")
}

// textOverlay draws lines in a framed box h lines high, from the scroll
// position, saying where it is when they do not fit.
func (m *Model) textOverlay(title string, lines []string, h int) string {
	inner := max(h-2, 1)
	m.overMax = max(len(lines)-inner, 0)
	m.overTop = min(max(m.overTop, 0), m.overMax)
	if m.overMax > 0 {
		title += m.th.G.Dot + m.lang.F("over.lines", m.overTop+1, min(m.overTop+inner, len(lines)), len(lines))
	}
	return m.th.Box(title, strings.Join(lines[m.overTop:], "\n"), m.w, h, true)
}

// scrollOverlay handles a scrolling key of the help or output overlay.
func (m *Model) scrollOverlay(key string) bool {
	page := max(m.h-6, 1)
	switch key {
	case "up", "k":
		m.overTop--
	case "down", "j":
		m.overTop++
	case "pgup", "b":
		m.overTop -= page
	case "pgdown", "space", "f":
		m.overTop += page
	case "home", "g":
		m.overTop = 0
	case "end", "G":
		m.overTop = m.overMax
	default:
		return false
	}
	m.overTop = min(max(m.overTop, 0), m.overMax)
	return true
}

// overlayKey handles a key while the help or output covers the screen.
func (m *Model) overlayKey(key string) tea.Cmd {
	if m.scrollOverlay(key) {
		return nil
	}
	switch key {
	case "q":
		if m.over == overHelp {
			return tea.Quit
		}
		m.over = overNone
	case "esc", "?", "enter":
		m.over = overNone
	}
	return nil
}

func (m *Model) helpLines(w int) []string {
	s := m.th.S
	var b []string
	b = append(b, s.PanelTtl.Render(m.lang.T("help.keys")))
	all := append(append([]binding{}, globalKeys...),
		binding{"enter", "key.open"}, binding{"l", "key.loglines"}, binding{"c", "key.compare"},
		binding{"esc", "key.close"})
	half := (len(all) + 1) / 2
	colW := w/2 - 2
	for i := 0; i < half; i++ {
		l := m.th.Fit(s.Key.Render(fmt.Sprintf("%-6s", all[i].keys))+" "+m.lang.T(all[i].help), colW)
		if i+half < len(all) {
			l += "  " + s.Key.Render(fmt.Sprintf("%-6s", all[i+half].keys)) + " " + m.lang.T(all[i+half].help)
		}
		b = append(b, " "+l)
	}
	b = append(b, "", s.PanelTtl.Render(m.lang.T("help.commands")))
	type command struct{ name, help string }
	var cmds []command
	add := func(name, args, help string) {
		c := ":" + name
		if args != "" {
			c += " " + strings.ToLower(args)
		}
		cmds = append(cmds, command{c, help})
	}
	if m.lab != nil {
		for _, c := range m.lab.Commands() {
			add(c.Name, c.Args, c.Summary.In(m.lang.Code()))
		}
	}
	for _, c := range localCommands {
		if m.snap.Recording != nil && (c.name == "speed" || c.name == "pause") {
			continue // the recording's own speed and pause take these names
		}
		add(c.name, c.args, m.lang.T(c.help))
	}
	// the command column is as wide as its longest entry, up to 2/5 of the
	// screen; the help wraps beside it
	cw := 0
	for _, c := range cmds {
		cw = max(cw, cell.Width(c.name))
	}
	cw = min(cw, max(24, w*2/5))
	for _, c := range cmds {
		for i, l := range cell.Wrap(c.help, max(w-cw-3, 10)) {
			left := strings.Repeat(" ", cw)
			if i == 0 {
				left = s.Key.Render(m.th.Fit(c.name, cw))
			}
			b = append(b, " "+left+" "+l)
		}
	}
	b = append(b, "", m.lang.F("help.replay", speedText(speeds[m.speed])), m.lang.T("help.legend"))
	return b
}

func (m *Model) errorText(w int) string {
	s := m.th.S
	err := m.overErr
	var b []string
	var e *explain.Error
	if errorsAs(err, &e) {
		for _, l := range cell.Wrap(e.What.In(m.lang.Code()), w) {
			b = append(b, s.ErrTitle.Render(l))
		}
		field := func(label, v string) {
			if v == "" {
				return
			}
			lw := cell.Width(label)
			for i, l := range cell.Wrap(v, w-lw-1) {
				if i == 0 {
					b = append(b, s.Label.Render(label)+" "+l)
				} else {
					b = append(b, strings.Repeat(" ", lw+1)+l)
				}
			}
		}
		field(m.lang.T("err.where"), e.Where)
		field(m.lang.T("err.why"), e.Why.In(m.lang.Code()))
		field(m.lang.T("err.try"), e.Try.In(m.lang.Code()))
	} else if err != nil {
		b = append(b, s.ErrTitle.Render(m.lang.T("err.plain")))
		b = append(b, cell.Wrap(err.Error(), w)...)
	}
	b = append(b, "")
	if m.lab == nil {
		b = append(b, m.lang.T("err.notstarted"))
	}
	if m.offersEdit() {
		ed := m.editor()
		file := errorFile(err, m.snap)
		if ed == nil {
			b = append(b, cell.Wrap(m.lang.F("status.noeditor", file), w)...)
		} else {
			b = append(b, m.lang.F("err.edit", strings.Join(ed, " "), file))
		}
	}
	if m.lab == nil {
		b = append(b, m.lang.T("err.retry"))
	}
	return strings.Join(b, "\n")
}

// overlayWelcome draws the welcome box over the middle of body.
func (m *Model) overlayWelcome(body string, h int) string {
	w := min(m.w-4, 76)
	text := m.lang.F("welcome.body", m.snap.URL)
	lines := []string{}
	for _, para := range strings.Split(text, "\n") {
		lines = append(lines, cell.Wrap(para, w-4)...)
	}
	bh := min(len(lines)+2, h)
	box := strings.Split(m.th.Box(m.lang.T("welcome.title"), " "+strings.Join(lines, "\n "), w, bh, true), "\n")
	bl := strings.Split(body, "\n")
	top := max((h-bh)/2, 0)
	left := (m.w - w) / 2
	for i, l := range box {
		y := top + i
		if y >= len(bl) {
			break
		}
		bl[y] = strings.Repeat(" ", left) + l + strings.Repeat(" ", m.w-left-w)
	}
	return strings.Join(bl, "\n")
}

// offersEdit reports whether the error overlay offers to open a file: when
// the lab did not start, or the error names a config file; never for a
// recording, whose files are not the ones that ran.
func (m *Model) offersEdit() bool {
	if m.snap.Recording != nil {
		return false
	}
	if m.lab == nil {
		return true
	}
	var e *explain.Error
	if !errorsAs(m.overErr, &e) || e.Where == "" {
		return false
	}
	w := strings.Fields(e.Where)[0]
	return strings.Contains(w, ".conf") || strings.Contains(w, ".ini")
}
