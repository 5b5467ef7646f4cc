package tui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"webflow-lab/lessons"
	"webflow-lab/servers/explain"
	"webflow-lab/tui/i18n"
	"webflow-lab/tui/internal/screentest"
	"webflow-lab/tui/lesson"
)

// lessonModel is the screen at w×h with the lesson panel shown on step
// 7.1 (lessonConfig).
func lessonModel(t *testing.T, lang i18n.Lang, w, h int, cfg func() (lesson.Config, bool)) *Model {
	t.Helper()
	m := New(newFakeLab(), nil, Options{Lang: lang, Now: func() time.Time { return base }, Lesson: cfg})
	t.Cleanup(m.Close)
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	m.Update(key("t"))
	return m
}

// TestLessonCheckShows: at 80×24 a check's results are on screen (the
// panel scrolls to them) and the status line counts them.
func TestLessonCheckShows(t *testing.T) {
	for _, tt := range []struct {
		lang i18n.Lang
		want string
	}{{i18n.EN, "1 of 2 checks pass"}, {i18n.ZH, "1/2 项检查通过"}} {
		m := lessonModel(t, tt.lang, 80, 24, lessonConfig(t))
		c, _ := lessons.Builtin()
		st := c.Lessons[6].Steps[0]
		m.Update(lesson.CheckedMsg{Results: []lessons.Result{
			{Check: st.Checks[0], Pass: true, Saw: explain.T("saw-one", "saw-one")},
			{Check: st.Checks[1], Pass: false, Saw: explain.T("saw-two", "saw-two")},
		}})
		out := screentest.Plain(m.Render())
		for _, w := range []string{tt.want, "saw-one", "saw-two"} {
			if !strings.Contains(out, w) {
				t.Errorf("%s: after a check the screen lacks %q:\n%s", tt.lang.Code(), w, out)
			}
		}
	}
}

// TestLessonLegend: with no step in progress the footer offers how to
// start one, not c/h/n, which would do nothing; a question step offers
// :lesson answer.
func TestLessonLegend(t *testing.T) {
	c, err := lessons.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	none := func() (lesson.Config, bool) {
		return lesson.Config{Curriculum: c, Progress: &lessons.Progress{Lessons: map[string]*lessons.Record{}}}, true
	}
	out := screentest.Plain(lessonModel(t, i18n.EN, 80, 24, none).Render())
	if strings.Contains(out, "c:check") || strings.Contains(out, "n:next") || !strings.Contains(out, ":lesson N:start lesson N") {
		t.Errorf("no lesson running: the legend offers c/n, or not :lesson N:\n%s", out)
	}
	question := func() (lesson.Config, bool) {
		return lesson.Config{Curriculum: c, Progress: &lessons.Progress{Lessons: map[string]*lessons.Record{},
			Current: &lessons.StepState{Lesson: c.Lessons[0].ID, Step: 2}}}, true
	}
	out = screentest.Plain(lessonModel(t, i18n.EN, 120, 30, question).Render())
	if !strings.Contains(out, ":lesson answer:answer") || !strings.Contains(out, "c:check") {
		t.Errorf("a question step: the legend lacks :lesson answer or c:\n%s", out)
	}
}

// TestLessonCommandLine: :lesson answer, :lesson skip and :lesson status
// act on the step in progress as `webflow-lab lesson` does.
func TestLessonCommandLine(t *testing.T) {
	c, err := lessons.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	state := &lessons.StepState{Lesson: c.Lessons[0].ID, Step: 2}
	prog := &lessons.Progress{Lessons: map[string]*lessons.Record{}, Current: state}
	cfg := func() (lesson.Config, bool) { return lesson.Config{Curriculum: c, Progress: prog}, true }
	m := lessonModel(t, i18n.EN, 80, 24, cfg)
	m.command("lesson status")
	if !strings.Contains(m.status, "Lesson 1, step 2 of 3") || !strings.Contains(m.status, "0 of 14 lessons finished") {
		t.Errorf(":lesson status: got %q", m.status)
	}
	m.command(`lesson answer "nginx"`)
	if state.Answer != "nginx" {
		t.Errorf(":lesson answer: got answer %q, want nginx", state.Answer)
	}
	m.command("lesson answer")
	if m.statusOK || !strings.Contains(m.status, "what is your answer") {
		t.Errorf(":lesson answer alone: got %q", m.status)
	}
	m.command("lesson skip")
	if r := prog.Lessons[c.Lessons[0].ID]; r == nil || len(r.Skipped) != 1 || r.Skipped[0] != 2 {
		t.Errorf(":lesson skip: got %+v, want step 2 skipped", r)
	}
}

// TestLessonPollOnlyShown: the slow poll of the saved progress is armed
// while the panel is shown and not re-armed once it is hidden.
func TestLessonPollOnlyShown(t *testing.T) {
	m := New(newFakeLab(), nil, Options{Lang: i18n.EN, Now: func() time.Time { return base }, Lesson: lessonConfig(t)})
	t.Cleanup(m.Close)
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	if _, cmd := m.Update(key("t")); !m.lessonPolling || cmd == nil {
		t.Fatalf("showing the panel arms no poll (cmd %v)", cmd)
	}
	m.Update(key("t"))
	if cmd := m.onLessonPolled(); cmd != nil || m.lessonPolling {
		t.Error("a hidden panel polls on")
	}
}
