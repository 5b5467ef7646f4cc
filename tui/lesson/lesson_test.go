package lesson

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/rivo/uniseg"

	"webflow-lab/lessons"
	"webflow-lab/servers/explain"
	"webflow-lab/servers/testenv/golden"
)

// panel shows lesson 7, step 1 (the alias without its slash) as a learner
// sees it after a check and two hints: the step, a failing and a passing
// check with what each saw, the hints.
func panel(t *testing.T, lang string, teacher bool) Model {
	t.Helper()
	c, err := lessons.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	l := c.Lessons[6]
	st := l.Steps[0]
	state := &lessons.StepState{Lesson: l.ID, Step: 1, Hints: 2, Vars: map[string]string{
		"url": "http://127.0.0.1:8080", "workspace": "workspace", "cmd": "webflow-lab", "proxy.port": "8080"}}
	m := New(Config{Curriculum: c, Progress: &lessons.Progress{Current: state, Lessons: map[string]*lessons.Record{}}, Lang: lang, Teacher: teacher})
	m.SetSize(80, 24)
	m, _ = m.Update(CheckedMsg{Results: []lessons.Result{
		{Check: st.Checks[0], Pass: false, Saw: explain.T("want `alias static/;`, the config says `alias static;` at conf.d/ems.conf:19",
			"期望 `alias static/;`，配置中是 `alias static;`（conf.d/ems.conf:19）")},
		{Check: st.Checks[1], Pass: false, Saw: explain.T("/static/ems/css/style.css got 404 from nginx: workspace/staticems/css/style.css: No such file or directory; want 200",
			"/static/ems/css/style.css 得到 404，来自 nginx：workspace/staticems/css/style.css: No such file or directory；期望 200")},
	}})
	return m
}

// TestPanelGolden: the panel at 80×24 in English and Chinese, scrolled to
// the checks, every line inside 80 cells (display width: a Chinese
// character is two).
func TestPanelGolden(t *testing.T) {
	for _, tt := range []struct {
		name    string
		lang    string
		scroll  int
		teacher bool
	}{
		{"en-80x24", "en", 0, false},
		{"zh-80x24", "zh", 0, false},
		{"en-80x24-checks", "en", 12, false},
		{"zh-80x24-checks", "zh", 12, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := panel(t, tt.lang, tt.teacher)
			m.scroll = 0 // from the top, whatever the check scrolled to
			for range tt.scroll {
				m, _ = m.Update(tea.KeyPressMsg{Code: tea.KeyDown})
			}
			got := m.View()
			lines := strings.Split(got, "\n")
			if len(lines) != 24 {
				t.Errorf("got %d lines, want 24", len(lines))
			}
			for i, l := range lines {
				if w := uniseg.StringWidth(l); w > 80 {
					t.Errorf("line %d is %d cells wide, want at most 80: %q", i+1, w, l)
				}
			}
			path := filepath.Join("testdata", "TestPanelGolden", tt.name+".golden")
			golden.Check(t, path, got)
		})
	}
}

// TestPanelKeys: hints come one at a time, then the solution; the legend
// names the keys; teacher mode adds s.
func TestPanelKeys(t *testing.T) {
	m := panel(t, "en", false)
	m.state.Hints = 0
	for i := 1; i <= 3; i++ {
		m, _ = m.Update(tea.KeyPressMsg{Code: 'h', Text: "h"})
		if m.state.Hints != i {
			t.Fatalf("after %d presses of h: got %d hints shown, want %d", i, m.state.Hints, i)
		}
	}
	m.SetSize(80, 60)
	v := m.View()
	for _, want := range []string{"Hint 1/2", "Hint 2/2", "The solution:", "in conf.d/ems.conf, change"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, " s solve") {
		t.Errorf("a learner's legend offers the teacher's s key:\n%s", v)
	}
	if v := panel(t, "en", true).View(); !strings.Contains(v, "s solve") {
		t.Errorf("teacher's legend lacks s:\n%s", v)
	}
	if v := sized(New(Config{Lang: "zh"}), 80, 24).View(); !strings.Contains(v, "当前没有进行中的课程") {
		t.Errorf("no lesson: got\n%s", v)
	}
}

// TestPanelList: with no lesson in progress the panel lists the
// curriculum, how to start a lesson, and what the learner has done.
func TestPanelList(t *testing.T) {
	c, err := lessons.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	p := &lessons.Progress{Lessons: map[string]*lessons.Record{
		c.Lessons[0].ID: {Passed: []int{1, 2}, Finished: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)},
		c.Lessons[1].ID: {Passed: []int{1}},
	}}
	for _, lang := range []string{"en", "zh"} {
		m := New(Config{Curriculum: c, Progress: p, Lang: lang})
		m.SetSize(78, 22)
		v := m.View()
		for _, want := range []string{":lesson N", "✓  1  " + c.Lessons[0].Title.In(lang), "·  2  " + c.Lessons[1].Title.In(lang), "   3  " + c.Lessons[2].Title.In(lang)} {
			if !strings.Contains(v, want) {
				t.Errorf("%s: the list lacks %q:\n%s", lang, want, v)
			}
		}
		for i, l := range strings.Split(v, "\n") {
			if w := uniseg.StringWidth(l); w > 78 {
				t.Errorf("%s: line %d is %d cells wide, more than 78: %q", lang, i+1, w, l)
			}
		}
	}
}

// TestPanelASCII: with ASCII on, the panel's own marks are ASCII; only the
// lesson's Chinese text stays wide (and is measured as such).
func TestPanelASCII(t *testing.T) {
	m := panel(t, "zh", true)
	m.cfg.ASCII = true
	v := m.View()
	for i, l := range strings.Split(v, "\n") {
		if w := uniseg.StringWidth(l); w > 80 {
			t.Errorf("line %d is %d cells wide, want at most 80", i+1, w)
		}
	}
	for _, r := range v {
		if r >= 0x80 && uniseg.StringWidth(string(r)) != 2 {
			t.Errorf("ASCII mode draws %q (U+%04X), which is neither ASCII nor wide", r, r)
		}
	}
	if !strings.Contains(v, "X nginx.conf") {
		t.Errorf("ASCII mode: no X mark:\n%s", v)
	}
}

func sized(m Model, w, h int) Model {
	m.SetSize(w, h)
	return m
}

// TestCheckScrollsIntoView: at 80×24 the step's text fills the panel, so
// a check's results and a new hint are scrolled into view (the learner who
// pressed c or h sees what it did), and the summary for the status line
// counts the passing checks.
func TestCheckScrollsIntoView(t *testing.T) {
	for _, lang := range []string{"en", "zh"} {
		t.Run(lang, func(t *testing.T) {
			m := panel(t, lang, false)
			m.results, m.scroll = nil, 0
			m.state.Hints = 0
			if v := m.View(); strings.Contains(v, "✗") {
				t.Fatalf("before a check the panel shows a result:\n%s", v)
			}
			st := m.step
			m, _ = m.Update(CheckedMsg{Results: []lessons.Result{
				{Check: st.Checks[0], Pass: true, Saw: explain.T("saw-one", "saw-one")},
				{Check: st.Checks[1], Pass: false, Saw: explain.T("saw-two", "saw-two")},
			}})
			v := m.View()
			for _, want := range []string{"✓", "✗", "saw-one", "saw-two"} {
				if !strings.Contains(v, want) {
					t.Errorf("after a check the panel does not show %q:\n%s", want, v)
				}
			}
			sum, all := m.Summary()
			if want := map[string]string{"en": "1 of 2 checks pass", "zh": "1/2 项检查通过"}[lang]; !strings.Contains(sum, want) || all {
				t.Errorf("summary: got %q, %v; want %q, false", sum, all, want)
			}
			m.scroll = 0
			for i, want := range []string{"1/2", "2/2"} {
				m, _ = m.Update(tea.KeyPressMsg{Code: 'h', Text: "h"})
				if v := m.View(); !strings.Contains(v, want) {
					t.Errorf("hint %d is not in view:\n%s", i+1, v)
				}
			}
		})
	}
}

// TestSolveScrollsIntoView: the teacher's s shows the checks before and
// after the solution, as c shows a check's results (a class watches them).
func TestSolveScrollsIntoView(t *testing.T) {
	m := panel(t, "en", true)
	m.SetSize(80, 12) // the step's text alone fills it
	m.results, m.scroll = nil, 0
	m.state.Hints = 0
	if v := m.View(); strings.Contains(v, "Checks") {
		t.Fatalf("the panel is tall enough to show the checks unscrolled:\n%s", v)
	}
	st := m.step
	m, _ = m.Update(solvedMsg{
		before: []lessons.Result{{Check: st.Checks[0], Pass: false, Saw: explain.T("saw-before", "saw-before")}},
		after:  []lessons.Result{{Check: st.Checks[0], Pass: true, Saw: explain.T("saw-after", "saw-after")}},
	})
	v := m.View()
	for _, want := range []string{"Before the solution", "saw-before", "After"} {
		if !strings.Contains(v, want) {
			t.Errorf("after s the panel does not show %q:\n%s", want, v)
		}
	}
}
