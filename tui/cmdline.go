package tui

import (
	"slices"
	"sort"
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"

	"webflow-lab/tui/i18n"
)

// The screen's own commands, beside the lab's controls.
var localCommands = []struct{ name, args, help string }{
	{"lang", "en|zh", "cmd.lang"},
	{"speed", "0.25|0.5|1|2|4", "cmd.speed"},
	{"pause", "", "cmd.pause"},
	{"send", "PATH", "cmd.send"},
	{"edit", "FILE", "cmd.edit"},
	{"logs", "FILE", "cmd.logs"},
	{"lesson", "[N]", "cmd.lesson"},
	{"lesson", "answer TEXT", "cmd.lanswer"},
	{"lesson", "skip", "cmd.lskip"},
	{"lesson", "status", "cmd.lstatus"},
	{"help", "", "cmd.help"},
	{"quit", "", "cmd.quit"},
}

func (m *Model) openInput(kind input, value string) {
	m.input = kind
	m.ti.Reset()
	m.ti.Prompt = ":"
	if kind == inputFilter {
		m.ti.Prompt = "/"
	}
	m.ti.SetValue(value)
	m.ti.CursorEnd()
	m.ti.Focus()
}

func (m *Model) closeInput() {
	m.input = inputNone
	m.cands = nil
	m.ti.Blur()
}

func (m *Model) onInputKey(k tea.KeyPressMsg) tea.Cmd {
	m.cands = nil // the candidates answer the last tab only
	switch k.String() {
	case "esc":
		if m.input == inputFilter {
			m.setFilter("")
		}
		m.closeInput()
		return nil
	case "enter":
		v := strings.TrimSpace(m.ti.Value())
		kind := m.input
		m.closeInput()
		if kind == inputFilter {
			m.setFilter(v)
			return nil
		}
		return m.command(v)
	case "tab":
		if m.input == inputCommand {
			m.ti.SetValue(m.complete(m.ti.Value()))
			m.ti.CursorEnd()
		}
		return nil
	}
	var cmd tea.Cmd
	m.ti, cmd = m.ti.Update(k)
	if m.input == inputFilter {
		m.setFilter(m.ti.Value()) // filter as one types
	}
	return cmd
}

// names lists every command name: the lab's and the screen's.
func (m *Model) names() []string {
	var out []string
	if m.lab != nil {
		for _, c := range m.lab.Commands() {
			out = append(out, c.Name)
		}
	}
	for _, c := range localCommands {
		out = append(out, c.name)
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// argsFor lists what may follow a command name: the screen's own lists for
// its commands, the lab's completion for the lab's.
func (m *Model) argsFor(name string) []string {
	var insts []string
	for _, in := range m.snap.Instances {
		insts = append(insts, in.Name)
	}
	switch name {
	case "lang":
		return []string{"en", "zh"}
	case "speed":
		return []string{"0.25", "0.5", "1", "2", "4"}
	case "logs":
		return append([]string{"access.log", "error.log"}, fileNames(insts, ".log")...)
	case "edit":
		return append([]string{"nginx.conf", "conf.d/ems.conf"}, fileNames(insts, ".ini")...)
	case "lesson":
		return []string{"answer", "skip", "status"}
	}
	if m.lab == nil {
		return nil
	}
	var out []string
	for _, line := range m.lab.Complete(name + " ") {
		if _, arg, ok := strings.Cut(line, " "); ok {
			out = append(out, arg)
		}
	}
	return out
}

func fileNames(names []string, ext string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = n + ext
	}
	return out
}

// complete extends what was typed to the longest common prefix of the
// candidates; a complete word gets a space.
func (m *Model) complete(v string) string {
	fields := strings.Fields(v)
	trailing := strings.HasSuffix(v, " ")
	var cands []string
	prefix := ""
	head := ""
	switch {
	case len(fields) == 0:
		cands = m.names()
	case len(fields) == 1 && !trailing:
		cands, prefix = m.names(), fields[0]
	default:
		head = fields[0] + " "
		cands = m.argsFor(fields[0])
		if !trailing && len(fields) > 1 {
			prefix = fields[len(fields)-1]
			head = strings.Join(fields[:len(fields)-1], " ") + " "
		} else {
			head = strings.Join(fields, " ") + " "
		}
	}
	var match []string
	for _, c := range cands {
		if strings.HasPrefix(c, prefix) {
			match = append(match, c)
		}
	}
	if len(match) == 0 {
		return v
	}
	common := match[0]
	for _, c := range match[1:] {
		for !strings.HasPrefix(c, common) {
			common = common[:len(common)-1]
		}
	}
	if len(match) == 1 {
		return head + common + " "
	}
	// several fit: the status line is hidden under the prompt, so they are
	// listed above it until the next key
	m.cands = match
	return head + common
}

// command runs a line of the command line.
func (m *Model) command(line string) tea.Cmd {
	f := strings.Fields(line)
	if len(f) == 0 {
		return nil
	}
	arg := ""
	if len(f) > 1 {
		arg = f[1]
	}
	if m.snap.Recording != nil {
		switch f[0] {
		case "speed", "pause", "resume", "restart":
			return m.run(line) // the recording's own, not the slow motion's
		}
	}
	switch f[0] {
	case "q", "quit":
		return tea.Quit
	case "help":
		m.over = overHelp
		return nil
	case "lang":
		switch {
		case arg == "":
			m.setLang(m.lang.Other())
		default:
			m.setLang(i18n.Parse(arg))
		}
		return nil
	case "pause":
		m.paused = !m.paused
		return m.startTicking()
	case "speed":
		x, err := strconv.ParseFloat(strings.TrimSuffix(arg, "x"), 64)
		if i := slices.Index(speeds, x); err == nil && i >= 0 {
			m.speed = i
			return nil
		}
		m.sayKey(false, "status.badspeed", arg)
		return nil
	case "send", "get":
		p := arg
		if p == "" {
			p = firstPath
		}
		if !strings.HasPrefix(p, "/") {
			p = "/" + p
		}
		return m.sendRequest(p)
	case "edit":
		if arg == "" {
			return m.editConfig()
		}
		if m.snap.Dir != "" && !strings.HasPrefix(arg, "/") {
			arg = m.snap.Dir + "/" + arg
		}
		return m.editFile(arg)
	case "lesson":
		switch arg {
		case "answer", "skip", "status":
			rest := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line[len(f[0]):]), arg))
			return m.lessonCommand(arg, rest)
		}
		if n, err := strconv.Atoi(arg); err == nil {
			return m.startLesson(n)
		}
		m.toggleLesson()
		return m.pollLesson()
	case "logs":
		m.showDetail(detLogs)
		if arg != "" {
			m.logs.ShowSource(arg)
		}
		return nil
	}
	return m.run(line)
}
