package tui

import (
	"errors"
	"strings"
	"testing"

	"webflow-lab/servers/explain"
	"webflow-lab/tui/i18n"
	"webflow-lab/tui/internal/screentest"
)

// TestStatusWrapsAt80: a message too long for one line takes two (the
// main area one line shorter), so its end, the part to act on, is seen.
func TestStatusWrapsAt80(t *testing.T) {
	file := "/home/learner/workspace/conf.d/ems.conf"
	for _, lang := range []i18n.Lang{i18n.EN, i18n.ZH} {
		t.Run("noeditor-"+string(lang), func(t *testing.T) {
			m := newTestModel(t, newFakeLab(), lang, 80, 24)
			m.opts.Getenv = func(string) string { return "" }
			press(t, m, "e")
			out := m.Render()
			screentest.Fits(t, out, 80, 24)
			if n := len(strings.Split(out, "\n")); n != 24 {
				t.Errorf("screen has %d lines, want 24", n)
			}
			plain := screentest.Plain(out)
			if !strings.Contains(strings.ReplaceAll(plain, "\n ", ""), file) {
				t.Errorf("the status does not show the file to edit whole:\n%s", plain)
			}
			if !strings.Contains(plain, map[i18n.Lang]string{i18n.EN: "press r", i18n.ZH: "按 r"}[lang]) {
				t.Errorf("the status does not show what to do after the edit:\n%s", plain)
			}
		})
		t.Run("error-"+string(lang), func(t *testing.T) {
			f := newFakeLab()
			f.fail = errors.New("lab: no breakpoint to release: b holds requests before the app server hands them to the app, " +
				"or use :break HOP [PATH]")
			m := newTestModel(t, f, lang, 80, 24)
			press(t, m, ":")
			typeText(m, "release all")
			press(t, m, "enter")
			out := m.Render()
			screentest.Fits(t, out, 80, 24)
			if !strings.Contains(screentest.Plain(out), ":break HOP [PATH]") {
				t.Errorf("the status cut the advice:\n%s", screentest.Plain(out))
			}
		})
		t.Run("short-"+string(lang), func(t *testing.T) {
			m := newTestModel(t, newFakeLab(), lang, 80, 24)
			if got := m.statusLines(); len(got) != 1 {
				t.Errorf("the hint took %d lines, want 1", len(got))
			}
		})
	}
}

// TestBreakpointsAdviceWraps: the breakpoints view's advice keeps its
// end (":break HOP [PATH]") at 80 columns.
func TestBreakpointsAdviceWraps(t *testing.T) {
	for _, lang := range []i18n.Lang{i18n.EN, i18n.ZH} {
		t.Run(string(lang), func(t *testing.T) {
			m := newTestModel(t, newFakeLab(), lang, 80, 24)
			press(t, m, "8")
			plain := screentest.Plain(m.Render())
			if !strings.Contains(plain, ":break HOP") || !strings.Contains(plain, "[PATH]") {
				t.Errorf("the breakpoints view cut its advice:\n%s", plain)
			}
		})
	}
}

// TestStatusFollowsTheLanguage: after L, a status the screen wrote from
// the catalog, from a text in both languages, or from an explained error
// reads in the new language.
func TestStatusFollowsTheLanguage(t *testing.T) {
	tests := []struct {
		name   string
		set    func(m *Model)
		en, zh string
	}{
		{"catalog", func(m *Model) { m.sayKey(false, "status.badspeed", "3") }, "No speed", "没有速度"},
		{"action", func(m *Model) { press(t, m, ":"); typeText(m, "stop uwsgi-1"); press(t, m, "enter") }, "stopped uwsgi-1", "已停止 uwsgi-1"},
		{"state", func(m *Model) { m.logState("upstream server temporarily disabled", "上游服务器暂时不可用") },
			"upstream server temporarily disabled", "上游服务器暂时不可用"},
		{"error", func(m *Model) {
			m.lab.(*fakeLab).fail = &explain.Error{What: explain.T("lab: no such instance", "lab: 没有这个实例")}
			press(t, m, ":")
			typeText(m, "stop nosuch")
			press(t, m, "enter")
		}, "no such instance", "没有这个实例"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newTestModel(t, newFakeLab(), i18n.EN, 80, 24)
			m.over = overNone
			tt.set(m)
			m.over = overNone
			if !strings.Contains(m.status, tt.en) {
				t.Fatalf("status %q, want %q", m.status, tt.en)
			}
			press(t, m, "L")
			if !strings.Contains(m.status, tt.zh) || !strings.Contains(screentest.Plain(m.Render()), tt.zh) {
				t.Errorf("after L the status reads %q, want %q", m.status, tt.zh)
			}
			press(t, m, "L")
			if !strings.Contains(m.status, tt.en) {
				t.Errorf("after L twice the status reads %q, want %q", m.status, tt.en)
			}
		})
	}
}

// A status written directly (the lesson panel does) is left as it is.
func TestStatusWrittenDirectlyStays(t *testing.T) {
	m := newTestModel(t, newFakeLab(), i18n.EN, 80, 24)
	m.sayKey(true, "status.started")
	m.status = "something else"
	press(t, m, "L")
	if m.status != "something else" {
		t.Errorf("after L the status reads %q, want the direct write kept", m.status)
	}
}
