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
