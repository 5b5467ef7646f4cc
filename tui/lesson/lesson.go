// Package lesson is the screen's lesson panel: the step a learner is on, what
// to do, its checks against the live lab (what each one saw), and hints one
// key at a time — the same lessons, runner and saved progress as
// `webflow-lab lesson` in a shell. A teacher can apply a step's solution
// from it, so the class sees the lab before and after.
//
// It is a self-contained panel (New, Update, View, SetSize): the root model
// forwards messages to it and places its View. Lab work (preparing a step,
// running checks, applying a solution) runs in tea.Cmds, never in Update, so
// the screen never waits for the lab. Widths are display widths (lipgloss),
// so Chinese text keeps its lines inside the panel.
package lesson

import (
	"context"
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"webflow-lab/lessons"
	"webflow-lab/lessons/prose"
	"webflow-lab/servers/explain"
	"webflow-lab/tui/cell"
)

// Styles are the panel's looks, by purpose; the root fills them from its
// theme. The zero value draws plain text.
type Styles struct {
	Title lipgloss.Style // lesson and step titles
	Text  lipgloss.Style // instructions
	Dim   lipgloss.Style // secondary text: what a check saw, the progress
	Pass  lipgloss.Style // a passing check's mark
	Fail  lipgloss.Style // a failing check's mark
	Hint  lipgloss.Style // a hint
	Key   lipgloss.Style // a key in the legend
	Error lipgloss.Style // the lab's error
}

// Config is what the panel works with.
type Config struct {
	Runner     *lessons.Runner
	Curriculum *lessons.Curriculum
	Progress   *lessons.Progress // saved in the workspace after each change
	// Err is why the curriculum did not load (a --lessons folder with a
	// mistake): the panel shows it, where and how to fix it.
	Err error
	// Workspace is the folder whose saved progress the panel writes and
	// follows; "" means the runner's lab's.
	Workspace string
	Lang      string // "en" or "zh"
	Styles    Styles
	Teacher   bool // the `s` key applies the step's solution
	// ASCII draws the panel's own marks with ASCII only (ok/X, -, >, *):
	// ✓ ✗ · ▸ • ↑↓ “” are East-Asian-ambiguous, two cells wide in some
	// Chinese terminals, as the screen's --ascii says.
	ASCII bool
}

// Model is the lesson panel.
type Model struct {
	cfg     Config
	w, h    int
	lesson  *lessons.Lesson
	step    *lessons.Step
	state   *lessons.StepState
	results []lessons.Result
	before  []lessons.Result // teacher mode: the checks before the solution
	did     []string         // what the last action did
	busy    string           // what is running, "" when idle
	err     error
	scroll  int
	seen    stamp // the saved progress as last read or written
}

// New returns the panel. With a step in progress (saved by `webflow-lab
// lesson`), it shows that step.
func New(cfg Config) Model {
	m := Model{cfg: cfg}
	if p := cfg.Progress; p != nil && p.Current != nil && cfg.Curriculum != nil {
		if l, err := cfg.Curriculum.Find(p.Current.Lesson); err == nil && p.Current.Step >= 1 && p.Current.Step <= len(l.Steps) {
			m.lesson, m.step, m.state = l, l.Steps[p.Current.Step-1], p.Current
		}
	}
	if m.dir() != "" {
		m.seen = m.fileStamp()
	}
	return m
}

// SetSize sets the panel's inside size.
func (m *Model) SetSize(w, h int) { m.w, m.h = w, h }

// SetLang switches the language ("en" or "zh").
func (m *Model) SetLang(lang string) { m.cfg.Lang = lang }

// The messages the panel's commands send back to it.
type (
	begunMsg struct {
		lesson *lessons.Lesson
		step   *lessons.Step
		state  *lessons.StepState
		did    []string
		err    error
	}
	solvedMsg struct {
		did    []string
		before []lessons.Result
		after  []lessons.Result
		err    error
	}
)

// CheckedMsg is the step's checks run: the panel shows what each saw,
// scrolled into view, and the screen says how many passed in its status
// line (Summary), since the panel may be too short to show them whole.
type CheckedMsg struct{ Results []lessons.Result }

// Summary is one line on the last check: "2 of 3 checks pass — see the
// panel", and whether all passed; "" before any check.
func (m Model) Summary() (string, bool) {
	if m.results == nil {
		return "", false
	}
	n := 0
	for _, r := range m.results {
		if r.Pass {
			n++
		}
	}
	if n == len(m.results) {
		return fmt.Sprintf(m.tr("All %d checks pass — n for the next step", "全部 %d 项检查通过——按 n 进入下一步"), n), true
	}
	return fmt.Sprintf(m.tr("%d of %d checks pass — see the lesson panel", "%d/%d 项检查通过——请看课程面板"), n, len(m.results)), false
}

// Start prepares lesson n (from 1) at its first step not done yet, as
// `webflow-lab lesson start n` does.
func (m Model) Start(n int) (Model, tea.Cmd) {
	if m.cfg.Curriculum == nil || n < 1 || n > len(m.cfg.Curriculum.Lessons) {
		return m, nil
	}
	l := m.cfg.Curriculum.Lessons[n-1]
	st := l.Steps[0]
	if m.cfg.Progress != nil {
		if next := m.cfg.Progress.Record(l).Next(l); next != nil {
			st = next
		}
	}
	return m.begin(l, st)
}

func (m Model) begin(l *lessons.Lesson, st *lessons.Step) (Model, tea.Cmd) {
	if m.cfg.Runner == nil || m.busy != "" {
		return m, nil
	}
	m.busy, m.err = m.tr("preparing the lab…", "正在准备实验环境……"), nil
	r := m.cfg.Runner
	return m, func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		state, did, err := r.Begin(ctx, l, st)
		return begunMsg{lesson: l, step: st, state: state, did: did, err: err}
	}
}

// next goes on to step st of l: a step already current in the saved
// progress (`webflow-lab lesson check` in a second terminal prepared it)
// is shown as it is, not prepared again.
func (m Model) next(l *lessons.Lesson, st *lessons.Step) (Model, tea.Cmd) {
	if m.cfg.Progress == nil {
		return m.begin(l, st)
	}
	if cur := m.cfg.Progress.Current; cur != nil && cur.Lesson == l.ID && cur.Step == st.N && !cur.Began.IsZero() && !cur.Same(m.state) {
		m, _ = m.follow(cur)
		return m, nil
	}
	return m.begin(l, st)
}

func (m Model) check() (Model, tea.Cmd) {
	if m.step == nil || m.cfg.Runner == nil || m.busy != "" {
		return m, nil
	}
	m.busy, m.err = m.tr("checking…", "正在检查……"), nil
	r, st, state := m.cfg.Runner, m.step, m.state
	return m, func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		return CheckedMsg{Results: r.Check(ctx, st, state)}
	}
}

func (m Model) solve() (Model, tea.Cmd) {
	if m.step == nil || m.cfg.Runner == nil || m.busy != "" {
		return m, nil
	}
	m.busy, m.err = m.tr("applying the solution…", "正在应用参考做法……"), nil
	r, st, state := m.cfg.Runner, m.step, m.state
	return m, func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		before := r.Check(ctx, st, state)
		did, err := r.Solve(ctx, st, state)
		return solvedMsg{did: did, before: before, after: r.Check(ctx, st, state), err: err}
	}
}

// Update handles the panel's keys and its commands' results.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case begunMsg:
		m.busy, m.err, m.did = "", msg.err, msg.did
		if msg.err == nil {
			m.lesson, m.step, m.state = msg.lesson, msg.step, msg.state
			m.results, m.before, m.scroll = nil, nil, 0
			m.save(func(p *lessons.Progress) { p.Record(msg.lesson); p.Current = msg.state })
		}
	case CheckedMsg:
		m.busy, m.results = "", msg.Results
		m.scrollTo(func(a anchors) (int, int) { return a.checks, a.checksEnd })
		if lessons.Passed(msg.Results) {
			l, st := m.lesson, m.step
			m.save(func(p *lessons.Progress) { p.Record(l).Mark(l, st.N, true) })
		}
	case solvedMsg:
		m.busy, m.did, m.before, m.results = "", msg.did, msg.before, msg.after
		if msg.err != nil && !lessons.IsNeedsBrowser(msg.err) {
			m.err = msg.err
		}
		// the class watches before and after: show them, as c does
		m.scrollTo(func(a anchors) (int, int) { return a.checks, a.checksEnd })
	case tea.KeyPressMsg:
		return m.key(msg.String())
	}
	return m, nil
}

func (m Model) key(k string) (Model, tea.Cmd) {
	switch k {
	case "c":
		return m.check()
	case "h":
		if m.step != nil && m.state != nil && m.state.Hints < len(m.step.Hints)+1 {
			m.state.Hints++
			l := m.lesson
			m.save(func(p *lessons.Progress) { p.Record(l).Hints++ })
			m.scrollTo(func(a anchors) (int, int) { return a.hint, a.hintEnd })
		}
	case "n":
		var moved bool
		if m, moved = m.Sync(); moved || m.busy != "" {
			return m, nil // `webflow-lab lesson` moved on: n shows where to
		}
		if m.step != nil {
			l, st := m.lesson, m.step
			if lessons.Passed(m.results) || m.cfg.Teacher {
				m.save(func(p *lessons.Progress) { p.Record(l).Mark(l, st.N, lessons.Passed(m.results)) })
			}
			if st.N < len(l.Steps) {
				return m.next(l, l.Steps[st.N])
			}
			if l.N < len(m.cfg.Curriculum.Lessons) {
				return m.Start(l.N + 1)
			}
		}
	case "r":
		if m.step != nil {
			return m.begin(m.lesson, m.step)
		}
	case "s":
		if m.cfg.Teacher {
			return m.solve()
		}
	case "up", "k":
		m.scroll = max(0, m.scroll-1)
	case "down", "j":
		m.scroll++
	case "pgup":
		m.scroll = max(0, m.scroll-m.h/2)
	case "pgdown":
		m.scroll += m.h / 2
	}
	return m, nil
}

func (m Model) zh() bool { return strings.HasPrefix(m.cfg.Lang, "zh") }

func (m Model) tr(en, zh string) string {
	if m.zh() {
		return zh
	}
	return en
}

func (m Model) t(t explain.Text) string {
	s := m.inScreen(t.In(m.cfg.Lang))
	if m.state != nil {
		s = m.inScreen(m.state.Expand(s))
	}
	return s
}

// show is what a line of the solution does, as the panel's learner does it.
func (m Model) show(a *lessons.Action) string {
	return m.inScreen(a.Show(m.state).In(m.cfg.Lang))
}

// inScreen rewrites the shell's `webflow-lab lesson answer …` in a
// lesson's text as the screen's own command, `:lesson answer …`: the
// learner reading the panel types it here, not in a second terminal.
func (m Model) inScreen(s string) string {
	if !strings.Contains(s, "lesson answer") {
		return s
	}
	cmd := "webflow-lab"
	if m.state != nil && m.state.Vars["cmd"] != "" {
		cmd = m.state.Vars["cmd"]
	}
	var pairs []string
	for _, c := range []string{cmd, "webflow-lab", "{cmd}"} {
		pairs = append(pairs, "run: "+c+" lesson answer", "type :lesson answer",
			"运行："+c+" lesson answer", "输入 :lesson answer", c+" lesson answer", ":lesson answer")
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

// glyph returns the panel's mark g, or its ASCII stand-in.
func (m Model) glyph(g string) string {
	if !m.cfg.ASCII {
		return g
	}
	return asciiGlyphs.Replace(g)
}

var asciiGlyphs = strings.NewReplacer("✓", "ok", "✗", "X", "·", "-", "▸", ">", "•", "*", "↑↓", "up/dn", "“", `"`, "”", `"`, "…", "...", "—", "--", "→", "->")

// View renders the panel in its size: a fixed head (the step), a body that
// scrolls (what to do, the checks, the hints), and the key legend.
func (m Model) View() string {
	if !m.cfg.ASCII {
		return m.view()
	}
	return fit(strings.Split(m.ascii(m.view()), "\n"), max(m.w, 20), max(m.h, 6))
}

func (m Model) view() string {
	w, h := max(m.w, 20), max(m.h, 6)
	st := m.cfg.Styles
	if m.step == nil {
		return fit(m.listLines(w), w, h)
	}
	count := fmt.Sprintf(" %d/%d", m.step.N, len(m.lesson.Steps))
	head := ansi.Truncate(fmt.Sprintf("%d.%d %s", m.lesson.N, m.step.N, m.t(m.step.Title)), w-lipgloss.Width(count), "…")
	gap := strings.Repeat(" ", max(0, w-lipgloss.Width(head)-lipgloss.Width(count)))
	top := []string{
		st.Title.Render(head) + gap + st.Dim.Render(count),
		st.Dim.Render(ansi.Truncate(m.t(m.lesson.Title), w, "…")),
	}
	body, _ := m.body(w)
	foot := m.legend(w)
	room := h - len(top) - 1
	scroll := min(m.scroll, max(0, len(body)-room))
	body = body[scroll:]
	if len(body) > room {
		body = body[:room]
	}
	lines := append(top, body...)
	for len(lines) < h-1 {
		lines = append(lines, "")
	}
	return fit(append(lines, foot), w, h)
}

// anchors are where the body's parts begin and end, in lines: what a check
// or a hint scrolls into view.
type anchors struct {
	checks, checksEnd int // the checks' title and results
	hint, hintEnd     int // the last hint shown (or the solution)
}

// headLines is how many lines the fixed head above the body takes.
const headLines = 2

// scrollTo scrolls the body so the part span picks is in view: its end if
// it fits below the top, its start always.
func (m *Model) scrollTo(span func(anchors) (from, to int)) {
	_, a := m.body(max(m.w, 20))
	from, to := span(a)
	room := max(m.h, 6) - headLines - 1
	if from < m.scroll || to > m.scroll+room {
		m.scroll = max(0, min(from, to-room))
	}
}

// body is the part of the panel that scrolls: what to do, the checks, the
// hints, what the last action did.
func (m Model) body(w int) ([]string, anchors) {
	st := m.cfg.Styles
	var a anchors
	var body []string
	body = append(body, wrapProse(m.t(m.step.Text), w, st.Text)...)
	body = append(body, "")
	a.checks = len(body)
	if len(m.before) > 0 {
		body = append(body, st.Title.Render(m.tr("Before the solution", "应用参考做法之前")))
		body = append(body, m.checkLines(m.before, w)...)
		body = append(body, st.Title.Render(m.tr("After", "之后")))
	} else {
		body = append(body, st.Title.Render(m.tr("Checks", "检查")))
	}
	body = append(body, m.checkLines(m.results, w)...)
	a.checksEnd = len(body)
	if m.state != nil && m.state.Hints > 0 {
		body = append(body, "")
		for i := 0; i < m.state.Hints && i < len(m.step.Hints); i++ {
			label := fmt.Sprintf(m.tr("Hint %d/%d: ", "提示 %d/%d："), i+1, len(m.step.Hints))
			a.hint = len(body)
			body = append(body, wrapProse(label+m.t(m.step.Hints[i]), w, st.Hint)...)
		}
		if m.state.Hints > len(m.step.Hints) {
			a.hint = len(body)
			body = append(body, st.Hint.Render(m.tr("The solution:", "参考做法：")))
			for _, act := range m.step.Solution {
				body = append(body, wrapStyled("• "+m.show(act), w, st.Hint)...)
			}
		}
		a.hintEnd = len(body)
	}
	if lessons.Passed(m.results) && m.step.Done.EN != "" {
		body = append(body, "")
		body = append(body, wrapProse("✓ "+m.t(m.step.Done), w, st.Pass)...)
	}
	if len(m.did) > 0 {
		body = append(body, "")
		for _, d := range m.did {
			body = append(body, wrapStyled("▸ "+d, w, st.Dim)...)
		}
	}
	if m.err != nil {
		body = append(body, "")
		msg := m.err.Error()
		if e, ok := m.err.(*explain.Error); ok {
			msg = e.Block(m.cfg.Lang)
		}
		body = append(body, wrapStyled(msg, w, st.Error)...)
	}
	return body, a
}

// ascii is View's text with the ambiguous-width marks replaced, in ASCII mode.
func (m Model) ascii(s string) string { return m.glyph(s) }

func (m Model) checkLines(rs []lessons.Result, w int) []string {
	st := m.cfg.Styles
	if rs == nil {
		var out []string
		for _, c := range m.step.Checks {
			out = append(out, wrapIndent("· "+m.t(c.What()), w, st.Text, "  ")...)
		}
		return append(out, st.Dim.Render(m.tr("  (not checked yet: press c)", "  （还没有检查：按 c）")))
	}
	var out []string
	for _, r := range rs {
		mark := st.Fail.Render("✗")
		if r.Pass {
			mark = st.Pass.Render("✓")
		}
		what := wrapIndent(m.t(r.Check.What()), w-2, st.Text, "  ")
		what[0] = mark + " " + what[0]
		for i := 1; i < len(what); i++ {
			what[i] = "  " + what[i]
		}
		out = append(out, what...)
		out = append(out, wrapIndent("    "+m.t(r.Saw), w, st.Dim, "    ")...)
	}
	return out
}

func (m Model) legend(w int) string {
	st := m.cfg.Styles
	keys := [][2]string{{"c", m.tr("check", "检查")}, {"h", m.tr("hint", "提示")}, {"n", m.tr("next", "下一步")}, {"r", m.tr("reset", "重置")}}
	if m.cfg.Teacher {
		keys = append(keys, [2]string{"s", m.tr("solve", "演示做法")})
	}
	keys = append(keys, [2]string{"↑↓", m.tr("scroll", "滚动")})
	var parts []string
	for _, k := range keys {
		parts = append(parts, st.Key.Render(k[0])+" "+k[1])
	}
	line := strings.Join(parts, "  ")
	if m.busy != "" {
		line = st.Dim.Render(m.busy)
	}
	return ansi.Truncate(line, w, "…")
}

// wrap breaks text into lines of at most w cells (words where it can, CJK
// anywhere).
// listLines is the panel with no lesson in progress: how to start one, and
// the curriculum with each lesson's progress (✓ finished, · begun).
func (m Model) listLines(w int) []string {
	st := m.cfg.Styles
	if m.cfg.Err != nil {
		msg := m.cfg.Err.Error()
		if e, ok := m.cfg.Err.(*explain.Error); ok {
			msg = e.Block(m.cfg.Lang)
		}
		lines := wrapStyled(m.tr("The lessons did not load:", "课程没有加载成功："), w, st.Error)
		lines = append(lines, wrapStyled(msg, w, st.Error)...)
		lines = append(lines, "")
		return append(lines, wrapStyled(m.tr("Fix the folder, then start the screen again.", "改好文件夹后，重新启动本程序。"), w, st.Text)...)
	}
	lines := wrapStyled(m.tr("No lesson in progress. Type :lesson N to start lesson N (:lesson 1 to begin), or run `webflow-lab lesson start N` in a second terminal.",
		"当前没有进行中的课程。输入 :lesson N 开始第 N 课（从 :lesson 1 开始），或在另一个终端运行 `webflow-lab lesson start N`。"), w, st.Text)
	if m.cfg.Curriculum == nil {
		return lines
	}
	lines = append(lines, "")
	for _, l := range m.cfg.Curriculum.Lessons {
		mark := " "
		if p := m.cfg.Progress; p != nil {
			if r := p.Lessons[l.ID]; r != nil {
				mark = m.glyph("·")
				if !r.Finished.IsZero() {
					mark = m.glyph("✓")
				}
			}
		}
		line := fmt.Sprintf("%s %2d  %s", mark, l.N, m.t(l.Title))
		lines = append(lines, ansi.Truncate(line, w, m.glyph("…")))
	}
	return lines
}

func wrap(s string, w int) []string { return cell.Wrap(s, w) }

func wrapStyled(s string, w int, style lipgloss.Style) []string { return render(wrap(s, w), style) }

// wrapIndent wraps s to w cells; lines after the first are indented by ind.
func wrapIndent(s string, w int, style lipgloss.Style, ind string) []string {
	return render(prose.Hang(s, w, ind, wrap), style)
}

// fit makes exactly h lines, none wider than w cells.
func fit(lines []string, w, h int) string {
	if len(lines) > h {
		lines = lines[:h]
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	for i, l := range lines {
		lines[i] = ansi.Truncate(l, w, "")
	}
	return strings.Join(lines, "\n")
}
