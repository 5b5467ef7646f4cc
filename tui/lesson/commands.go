package lesson

import (
	"errors"
	"fmt"

	tea "charm.land/bubbletea/v2"

	"webflow-lab/lessons"
	"webflow-lab/servers/explain"
)

// The screen's :lesson answer, :lesson skip and :lesson status: what
// `webflow-lab lesson answer`, `skip` and `status` do in a shell, through
// the same runner and saved progress, for a learner who has only the
// screen.

// errNoStep is the answer to a command that needs a step in progress.
var errNoStep = &explain.Error{
	What: explain.T("lesson: no lesson in progress", "课程：当前没有进行中的课程"),
	Try:  explain.T("start one: :lesson 1", "开始一节课：:lesson 1"),
}

// Running reports whether a step is shown (c, h, n, r act on it).
func (m Model) Running() bool { return m.step != nil }

// Failed reports whether the curriculum did not load (Config.Err).
func (m Model) Failed() bool { return m.cfg.Err != nil }

// Question reports whether the step shown is answered with :lesson answer.
func (m Model) Question() bool {
	if m.step == nil {
		return false
	}
	for _, c := range m.step.Checks {
		if c.Kind == "answer" {
			return true
		}
	}
	return false
}

// Answer records the learner's answer to the step's question and checks
// it, as `webflow-lab lesson answer TEXT` does.
func (m Model) Answer(text string) (Model, tea.Cmd, error) {
	if m.step == nil || m.state == nil {
		return m, nil, errNoStep
	}
	if text == "" {
		return m, nil, &explain.Error{What: explain.T("lesson answer: what is your answer?", "lesson answer：你的答案是什么？"),
			Try: explain.T(":lesson answer nginx", ":lesson answer nginx")}
	}
	if m.busy != "" {
		return m, nil, errors.New(m.busy)
	}
	m.state.SetAnswer(text)
	m.save(func(*lessons.Progress) {}) // the answer, with the step in progress
	m, cmd := m.check()
	return m, cmd, nil
}

// Skip leaves the step for later and prepares the next one not done, as
// `webflow-lab lesson skip` does; after the lesson's last, the lesson
// closes.
func (m Model) Skip() (Model, tea.Cmd, error) {
	if m.step == nil {
		return m, nil, errNoStep
	}
	if m.busy != "" {
		return m, nil, errors.New(m.busy)
	}
	l, st := m.lesson, m.step
	m.save(func(p *lessons.Progress) { p.Record(l).Mark(l, st.N, false) })
	if st.N < len(l.Steps) {
		m, cmd := m.begin(l, l.Steps[st.N])
		return m, cmd, nil
	}
	if m.cfg.Progress != nil {
		if next := m.cfg.Progress.Record(l).Next(l); next != nil {
			m, cmd := m.begin(l, next)
			return m, cmd, nil
		}
	}
	m.save(func(p *lessons.Progress) { p.Current = nil })
	m, _ = m.follow(nil)
	return m, nil, nil
}

// Status is one line on where the learner stands, as `webflow-lab lesson
// status` begins.
func (m Model) Status() string {
	p, c := m.cfg.Progress, m.cfg.Curriculum
	if p == nil || c == nil {
		return m.tr("No lessons here.", "这里没有课程。")
	}
	finished, passed, total := p.Totals(c)
	sum := fmt.Sprintf(m.tr("%d of %d lessons finished, %d of %d steps passed", "%d/%d 节课已完成，%d/%d 步已通过"), finished, len(c.Lessons), passed, total)
	if m.step == nil {
		return m.tr("No step in progress. ", "当前没有进行中的步骤。") + sum
	}
	hints := 0
	if m.state != nil {
		hints = m.state.Hints
	}
	return fmt.Sprintf(m.tr("Lesson %d, step %d of %d — %s (%d hint(s)) · ", "第 %d 课，第 %d/%d 步 —— %s（用了 %d 个提示）· "),
		m.lesson.N, m.step.N, len(m.lesson.Steps), m.t(m.step.Title), hints) + sum
}
