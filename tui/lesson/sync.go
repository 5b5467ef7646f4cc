package lesson

import (
	"fmt"
	"os"
	"time"

	"webflow-lab/lessons"
)

// The panel and `webflow-lab lesson` in a second terminal share one saved
// progress (.webflow-lab/lessons.json in the workspace). The panel writes
// it through lessons.UpdateProgress, changing what is saved rather than its
// own old copy, and follows it: when another process wrote it, the panel
// shows the step now current there, without preparing it again (its setup
// ran in that process; running it again would reset the learner's work
// and hints).

// stamp identifies a version of the progress file: its time and size.
type stamp struct {
	mod  time.Time
	size int64
}

// dir is the workspace the progress is kept in, "" for none.
func (m Model) dir() string {
	switch {
	case m.cfg.Workspace != "":
		return m.cfg.Workspace
	case m.cfg.Runner != nil && m.cfg.Runner.Lab != nil:
		return m.cfg.Runner.Lab.Dir()
	}
	return ""
}

func (m Model) fileStamp() stamp {
	fi, err := os.Stat(lessons.ProgressPath(m.dir()))
	if err != nil {
		return stamp{}
	}
	return stamp{fi.ModTime(), fi.Size()}
}

// Sync reloads the saved progress if another process changed it since the
// panel last read or wrote it, and shows the step current there. moved
// reports that the panel now shows another step (or none). While the panel
// prepares or checks a step it leaves the file alone: its own result is
// about to be saved.
func (m Model) Sync() (_ Model, moved bool) {
	if m.dir() == "" || m.cfg.Progress == nil || m.busy != "" {
		return m, false
	}
	now := m.fileStamp()
	if now == m.seen {
		return m, false
	}
	m.seen = now
	p, err := lessons.LoadProgress(m.dir())
	if err != nil {
		return m, false
	}
	*m.cfg.Progress = *p
	return m.follow(p.Current)
}

// follow shows the saved current step: the same run keeps its results and
// takes the saved hints and answer; another run replaces what is shown.
func (m Model) follow(cur *lessons.StepState) (Model, bool) {
	if cur.Same(m.state) {
		m.state = cur
		return m, false
	}
	if cur == nil {
		if m.step == nil {
			return m, false
		}
		m.lesson, m.step, m.state = nil, nil, nil
		m.results, m.before, m.did, m.err, m.scroll = nil, nil, nil, nil, 0
		return m, true
	}
	l, err := m.cfg.Curriculum.Find(cur.Lesson)
	if err != nil || cur.Step < 1 || cur.Step > len(l.Steps) {
		return m, false
	}
	m.lesson, m.step, m.state = l, l.Steps[cur.Step-1], cur
	m.results, m.before, m.did, m.err, m.scroll = nil, nil, nil, nil, 0
	return m, true
}

// Where is the step shown, "1.2", or "" for none.
func (m Model) Where() string {
	if m.step == nil {
		return ""
	}
	return fmt.Sprintf("%d.%d", m.lesson.N, m.step.N)
}

// save changes the saved progress (as it is on disk now) with f, the step
// in progress included, and shows the result.
func (m *Model) save(f func(*lessons.Progress)) {
	if m.cfg.Progress == nil {
		return
	}
	dir := m.dir()
	if dir == "" {
		f(m.cfg.Progress)
		return
	}
	state := m.state
	p, err := lessons.UpdateProgress(dir, func(p *lessons.Progress) {
		if state != nil && p.Current.Same(state) {
			p.Current = state // the panel's hints and answer
		}
		f(p)
	})
	if err != nil {
		m.err = err
		return
	}
	*m.cfg.Progress = *p
	m.seen = m.fileStamp()
}
