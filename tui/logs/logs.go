// Package logs is the log pane: the lab's real log files (logs/access.log,
// logs/error.log, logs/uwsgi-N.log) tailed as they grow, and the TUI's own
// action log (each control with its real equivalent), one source at a time,
// with a filter. A request links to its lines: by its request id where the
// line carries one, else by method, path and a time within two seconds.
package logs

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"webflow-lab/tui/flow"
	"webflow-lab/tui/i18n"
	"webflow-lab/tui/theme"
)

// Keep is how many lines of each source the pane keeps.
const Keep = 2000

// Actions is the name of the TUI's own action log.
const Actions = "actions"

// Model is the log pane.
type Model struct {
	th      theme.Theme
	lang    i18n.Lang
	sources []string            // file names, then Actions
	lines   map[string][]string // newest last
	cur     int
	filter  string
	req     *flow.Request // the request whose lines are marked
	only    bool          // show only the request's lines
	scroll  int           // lines up from the end
	w, h    int
}

// New returns an empty pane.
func New(th theme.Theme, lang i18n.Lang) Model {
	return Model{th: th, lang: lang, lines: map[string][]string{}, sources: []string{"access.log", "error.log", Actions}}
}

// SetSize sets the inside size.
func (m *Model) SetSize(w, h int) { m.w, m.h = w, h }

// SetLang switches the language.
func (m *Model) SetLang(l i18n.Lang) { m.lang = l }

// SetTheme switches the theme.
func (m *Model) SetTheme(th theme.Theme) { m.th = th }

// SetFilter keeps lines containing f (case-insensitive).
func (m *Model) SetFilter(f string) { m.filter, m.scroll = f, 0 }

// Filter is the current filter.
func (m Model) Filter() string { return m.filter }

// Source is the name of the source shown.
func (m Model) Source() string { return m.sources[m.cur] }

// ShowSource shows the named source, if there is one.
func (m *Model) ShowSource(name string) {
	if i := slices.Index(m.sources, name); i >= 0 {
		m.cur, m.scroll = i, 0
	}
}

// SetRequest marks r's lines; only shows nothing else.
func (m *Model) SetRequest(r *flow.Request, only bool) { m.req, m.only = r, only }

// Only reports whether the pane shows only the selected request's lines.
func (m Model) Only() bool { return m.only }

// Append adds lines to a source, creating it.
func (m *Model) Append(source string, lines []string) {
	if !slices.Contains(m.sources, source) {
		m.sources = append(m.sources[:len(m.sources)-1], source, Actions)
		sortFiles(m.sources[:len(m.sources)-1])
	}
	l := append(m.lines[source], lines...)
	if len(l) > Keep {
		l = append([]string(nil), l[len(l)-Keep:]...)
	}
	m.lines[source] = l
}

func sortFiles(s []string) {
	rank := func(n string) int {
		switch n {
		case "access.log":
			return 0
		case "error.log":
			return 1
		}
		return 2
	}
	slices.SortStableFunc(s, func(a, b string) int {
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra - rb
		}
		return strings.Compare(a, b)
	})
}

// Update: left/right (h/l) switch source, up/down and pgup/pgdown scroll,
// end follows the newest line, o toggles "only the selected request".
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		switch msg.String() {
		case "left", "h":
			m.cur, m.scroll = (m.cur+len(m.sources)-1)%len(m.sources), 0
		case "right", "l":
			m.cur, m.scroll = (m.cur+1)%len(m.sources), 0
		case "up", "k":
			m.scroll++
		case "down", "j":
			m.scroll = max(m.scroll-1, 0)
		case "pgup":
			m.scroll += m.h - 2
		case "pgdown":
			m.scroll = max(m.scroll-(m.h-2), 0)
		case "end":
			m.scroll = 0
		case "o":
			m.only = !m.only
		}
	case tea.MouseWheelMsg:
		switch msg.Button {
		case tea.MouseWheelUp:
			m.scroll += 3
		case tea.MouseWheelDown:
			m.scroll = max(m.scroll-3, 0)
		}
	}
	return m, nil
}

// shown returns the lines after filters, and which of them belong to the request.
func (m Model) shown() ([]string, []bool) {
	src := m.lines[m.Source()]
	f := strings.ToLower(m.filter)
	var out []string
	var mine []bool
	for _, l := range src {
		if f != "" && !strings.Contains(strings.ToLower(l), f) {
			continue
		}
		is := m.req != nil && Matches(m.req, l)
		if m.only && !is {
			continue
		}
		out, mine = append(out, l), append(mine, is)
	}
	return out, mine
}

// View draws the source tabs and the newest lines that fit, w×h cells.
func (m Model) View() string {
	s := m.th.S
	var tabs []string
	for i, src := range m.sources {
		name := src
		if src == Actions {
			name = m.lang.T("logs.actions")
		}
		if i == m.cur {
			tabs = append(tabs, s.Selected.Render(" "+name+" "))
		} else {
			tabs = append(tabs, s.Dim.Render(" "+name+" "))
		}
	}
	head := strings.Join(tabs, "")
	if m.only && m.req != nil {
		head += "  " + s.Warn.Render(m.lang.F("logs.only", m.req.Seq))
	}
	if m.filter != "" {
		head += "  /" + m.filter
	}
	lines := []string{head}
	body, mine := m.shown()
	n := m.h - 1
	end := max(len(body)-m.scroll, 0)
	start := max(end-n, 0)
	if len(body) == 0 {
		msg := m.lang.T("logs.empty")
		if m.only {
			msg = m.lang.T("logs.nomatch")
		}
		lines = append(lines, s.Dim.Render(msg))
	}
	for i := start; i < end; i++ {
		l := strings.ReplaceAll(body[i], "\t", "    ")
		switch {
		case mine[i]:
			l = s.Selected.Render(m.th.Fit(m.th.G.Cursor+" "+l, m.w))
		case strings.Contains(l, "[error]") || strings.Contains(l, "[crit]") || strings.Contains(l, "[alert]"):
			l = s.Bad.Render(m.th.Fit("  "+l, m.w))
		case strings.Contains(l, "[warn]"):
			l = s.Warn.Render(m.th.Fit("  "+l, m.w))
		default:
			l = "  " + l
		}
		lines = append(lines, l)
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

// FindRequest returns the newest request that line belongs to, among rs.
func FindRequest(rs []*flow.Request, line string) *flow.Request {
	for i := len(rs) - 1; i >= 0; i-- {
		if Matches(rs[i], line) {
			return rs[i]
		}
	}
	return nil
}

// LineAt returns the line drawn on row y of the pane (0 is the tabs).
func (m Model) LineAt(y int) (string, bool) {
	body, _ := m.shown()
	n := m.h - 1
	end := max(len(body)-m.scroll, 0)
	start := max(end-n, 0)
	i := start + y - 1
	if y < 1 || i >= end {
		return "", false
	}
	return body[i], true
}

var (
	nginxTime = regexp.MustCompile(`\[(\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [-+]\d{4})\]`)
	errTime   = regexp.MustCompile(`^(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d)`)
	uwsgiTime = regexp.MustCompile(`\[([A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4})\]`)
)

// lineTime reads the time a log line was written, in nginx's access and
// error formats and uWSGI's request log format.
func lineTime(l string) (time.Time, bool) {
	if m := nginxTime.FindStringSubmatch(l); m != nil {
		t, err := time.Parse("02/Jan/2006:15:04:05 -0700", m[1])
		return t, err == nil
	}
	if m := errTime.FindStringSubmatch(l); m != nil {
		t, err := time.ParseInLocation("2006/01/02 15:04:05", m[1], time.Local)
		return t, err == nil
	}
	if m := uwsgiTime.FindStringSubmatch(l); m != nil {
		t, err := time.ParseInLocation("Mon Jan _2 15:04:05 2006", m[1], time.Local)
		return t, err == nil
	}
	return time.Time{}, false
}

// Matches reports whether log line l was written for request r: it names
// r's id, or r's method and path within two seconds of r.
func Matches(r *flow.Request, l string) bool {
	if r.ID != "" && strings.Contains(l, r.ID) {
		return true
	}
	if r.Path == "" || r.Method == "" {
		return false
	}
	if !strings.Contains(l, r.Method+" "+r.Path+" ") && !strings.Contains(l, r.Method+" "+r.Path+"\"") &&
		!strings.Contains(l, "request: \""+r.Method+" "+r.Path) {
		return false
	}
	t, ok := lineTime(l)
	if !ok {
		return false
	}
	d := t.Sub(r.Seen)
	return d > -2*time.Second && d < 2*time.Second
}

// maxRead is the most Read takes of one file at a time: about Keep lines.
const maxRead = 128 << 10

// Tail is where reading each file got to.
type Tail map[string]int64

// Read reads what was appended to the *.log files in dir since t, at most
// the last 128 KiB of each, and returns new lines by file name and the new
// positions. A file that shrank (rotated, truncated) is read from its start.
func Read(dir string, t Tail) (map[string][]string, Tail, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.log"))
	if err != nil {
		return nil, t, err
	}
	next := Tail{}
	maps := map[string][]string{}
	for _, p := range names {
		name := filepath.Base(p)
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			continue
		}
		off := t[name]
		if st.Size() < off {
			off = 0
		}
		if st.Size()-off > maxRead {
			off = st.Size() - maxRead // the pane keeps the newest lines only
		}
		f.Seek(off, io.SeekStart)
		data, _ := io.ReadAll(io.LimitReader(f, st.Size()-off))
		f.Close()
		// only whole lines; the rest waits for its newline
		cut := bytes.LastIndexByte(data, '\n') + 1
		next[name] = off + int64(cut)
		if _, ok := maps[name]; !ok {
			maps[name] = nil
		}
		sc := bufio.NewScanner(bytes.NewReader(data[:cut]))
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			maps[name] = append(maps[name], sc.Text())
		}
	}
	return maps, next, nil
}
