package lesson

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"webflow-lab/lessons"
	"webflow-lab/sim"
)

// fakeLab is a lab that is only a workspace: enough for a runner whose
// steps are not prepared (a prepared step would reset it).
type fakeLab struct{ dir string }

func (f fakeLab) Dir() string { return f.dir }
func (f fakeLab) Do(context.Context, string) (sim.Result, error) {
	return sim.Result{}, nil
}
func (f fakeLab) Snapshot(context.Context) (sim.Snapshot, error) { return sim.Snapshot{}, nil }
func (f fakeLab) Probe(context.Context, sim.ProbeRequest) (sim.ProbeResult, error) {
	return sim.ProbeResult{}, nil
}

// onStep is a panel on lesson 1 at step n, saved as current in a new
// workspace, as `webflow-lab lesson start 1.n` leaves it.
func onStep(t *testing.T, n int) (Model, string, *lessons.Curriculum) {
	t.Helper()
	c, err := lessons.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	l := c.Lessons[0]
	p, err := lessons.UpdateProgress(dir, func(p *lessons.Progress) {
		p.Record(l)
		p.Current = &lessons.StepState{Lesson: l.ID, Step: n, Began: time.Now().Add(-time.Minute),
			Vars: map[string]string{"url": "http://127.0.0.1:8080", "workspace": "ws", "cmd": "webflow-lab"}}
	})
	if err != nil {
		t.Fatal(err)
	}
	m := New(Config{Curriculum: c, Progress: p, Lang: "en", Runner: &lessons.Runner{Lab: fakeLab{dir}}})
	m.SetSize(80, 24)
	return m, dir, c
}

// cliMovesOn does what `webflow-lab lesson check` in a second terminal
// does when step 1.1 passes: marks it and makes 1.2 current, with hints
// already shown there.
func cliMovesOn(t *testing.T, dir string, c *lessons.Curriculum, hints int) {
	t.Helper()
	l := c.Lessons[0]
	if _, err := lessons.UpdateProgress(dir, func(p *lessons.Progress) {
		p.Record(l).Mark(l, 1, true)
		p.Current = &lessons.StepState{Lesson: l.ID, Step: 2, Began: time.Now(), Hints: hints,
			Vars: map[string]string{"url": "http://127.0.0.1:8080", "workspace": "ws", "cmd": "webflow-lab"}}
	}); err != nil {
		t.Fatal(err)
	}
	// a later time than the panel's own write, however coarse the clock
	later := time.Now().Add(time.Second)
	if err := os.Chtimes(lessons.ProgressPath(dir), later, later); err != nil {
		t.Fatal(err)
	}
}

// TestPanelFollowsSavedProgress: after `lesson check` in a second terminal
// moves to step 1.2, the panel shows 1.2 (without preparing it again), and
// a hint shown in the panel is saved with the step.
func TestPanelFollowsSavedProgress(t *testing.T) {
	m, dir, c := onStep(t, 1)
	if m.Where() != "1.1" {
		t.Fatalf("got step %s, want 1.1", m.Where())
	}
	cliMovesOn(t, dir, c, 1)
	m, moved := m.Sync()
	if !moved || m.Where() != "1.2" || m.state.Hints != 1 {
		t.Fatalf("after the CLI moved on: got step %s (moved %v, %d hints), want 1.2, true, 1", m.Where(), moved, m.state.Hints)
	}
	if m.busy != "" {
		t.Errorf("following the saved progress prepares the step: %q", m.busy)
	}
	m, _ = m.Update(tea.KeyPressMsg{Code: 'h', Text: "h"})
	p, _ := lessons.LoadProgress(dir)
	if p.Current == nil || p.Current.Step != 2 || p.Current.Hints != 2 || len(p.Lessons[c.Lessons[0].ID].Passed) != 1 {
		t.Errorf("saved after a hint: got %+v, %+v; want step 2 with 2 hints, step 1 still passed", p.Current, p.Lessons)
	}
	if _, moved := m.Sync(); moved {
		t.Error("the panel's own write moved it")
	}
}

// TestNextKeepsCurrentStep: n on 1.1 after the CLI made 1.2 current shows
// 1.2 as saved (its hints kept), and prepares nothing.
func TestNextKeepsCurrentStep(t *testing.T) {
	m, dir, c := onStep(t, 1)
	cliMovesOn(t, dir, c, 2)
	m, cmd := m.Update(tea.KeyPressMsg{Code: 'n', Text: "n"})
	if cmd != nil || m.busy != "" {
		t.Errorf("n prepared step 1.2 again (busy %q)", m.busy)
	}
	if m.Where() != "1.2" || m.state.Hints != 2 {
		t.Errorf("after n: got step %s with %d hints, want 1.2 with 2", m.Where(), m.state.Hints)
	}
}

// TestAnswerInPanel: a question step says to type :lesson answer, and
// Answer records the answer with the step and checks it.
func TestAnswerInPanel(t *testing.T) {
	m, dir, _ := onStep(t, 2)
	m.SetSize(80, 60)
	v := m.View()
	if !strings.Contains(v, ":lesson answer SERVER") || strings.Contains(v, "webflow-lab lesson answer") {
		t.Errorf("a question step's text does not say :lesson answer:\n%s", v)
	}
	if !m.Question() {
		t.Error("lesson 1 step 2 is not a question")
	}
	m, cmd, err := m.Answer("nginx")
	if err != nil || cmd == nil {
		t.Fatalf("Answer: got %v, %v; want a check", cmd, err)
	}
	if p, _ := lessons.LoadProgress(dir); p.Current == nil || p.Current.Answer != "nginx" {
		t.Errorf("the answer is not saved: %+v", p.Current)
	}
	m, _ = m.Update(cmd())
	var ok bool
	for _, r := range m.results {
		ok = ok || r.Check.Kind == "answer" && r.Pass
	}
	if !ok {
		t.Errorf("the answer check does not pass: %+v", m.results)
	}
	if _, _, err := New(Config{Lang: "en"}).Answer("nginx"); err == nil {
		t.Error("an answer with no step in progress is taken")
	}
}
