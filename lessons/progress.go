package lessons

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Progress is a learner's way through the curriculum, kept in the workspace
// (.webflow-lab/lessons.json) so that every `webflow-lab lesson` command,
// and the screen, continue from the same place. `webflow-lab reset` keeps
// it: the folder is the lab's own.
type Progress struct {
	Source  string             // the curriculum: "built-in" or a folder
	Current *StepState         `json:",omitempty"`
	Lessons map[string]*Record // by lesson ID
}

// A Record is one lesson's result so far.
type Record struct {
	Passed   []int // steps whose checks passed
	Skipped  []int // steps skipped
	Hints    int   // hints shown, over all its steps
	Started  time.Time
	Finished time.Time `json:",omitzero"` // when its last step was passed or skipped
}

// ProgressPath is where a workspace keeps its learner's progress.
func ProgressPath(dir string) string { return filepath.Join(dir, ".webflow-lab", "lessons.json") }

// LoadProgress reads the workspace's progress; a workspace with none
// starts empty.
func LoadProgress(dir string) (*Progress, error) {
	p := &Progress{Lessons: map[string]*Record{}}
	b, err := os.ReadFile(ProgressPath(dir))
	if errors.Is(err, fs.ErrNotExist) {
		return p, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, p); err != nil {
		// A damaged file is set aside, not fatal: progress is a convenience.
		os.Rename(ProgressPath(dir), ProgressPath(dir)+".damaged")
		return &Progress{Lessons: map[string]*Record{}}, nil
	}
	if p.Lessons == nil {
		p.Lessons = map[string]*Record{}
	}
	return p, nil
}

// Save writes the progress into the workspace, atomically.
func (p *Progress) Save(dir string) error {
	path := ProgressPath(dir)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Record returns lesson l's record, made if new.
func (p *Progress) Record(l *Lesson) *Record {
	r := p.Lessons[l.ID]
	if r == nil {
		r = &Record{Started: time.Now()}
		p.Lessons[l.ID] = r
	}
	return r
}

// Done reports whether step n was passed or skipped.
func (r *Record) Done(n int) bool {
	return slices.Contains(r.Passed, n) || slices.Contains(r.Skipped, n)
}

// Mark records step n of l as passed (or skipped), and the lesson as
// finished once every step is done.
func (r *Record) Mark(l *Lesson, n int, passed bool) {
	r.Skipped = slices.DeleteFunc(r.Skipped, func(s int) bool { return s == n })
	if passed {
		if !slices.Contains(r.Passed, n) {
			r.Passed = append(r.Passed, n)
			slices.Sort(r.Passed)
		}
	} else if !slices.Contains(r.Passed, n) {
		r.Skipped = append(r.Skipped, n)
		slices.Sort(r.Skipped)
	}
	for _, st := range l.Steps {
		if !r.Done(st.N) {
			return
		}
	}
	if r.Finished.IsZero() {
		r.Finished = time.Now()
	}
}

// Next is the first step of l not yet done (resume), or nil when all are.
func (r *Record) Next(l *Lesson) *Step {
	for _, st := range l.Steps {
		if !r.Done(st.N) {
			return st
		}
	}
	return nil
}

// UpdateProgress applies change to the workspace's progress as saved now,
// and saves it: the screen and `webflow-lab lesson` in a second terminal
// both write the same file, so a change is made to what the other wrote
// last, not to an old copy read when the screen started.
func UpdateProgress(dir string, change func(*Progress)) (*Progress, error) {
	p, err := LoadProgress(dir)
	if err != nil {
		return nil, err
	}
	change(p)
	return p, p.Save(dir)
}

// Same reports whether a and b are the same run of a step: its lesson, its
// number and when it began (a step prepared again is a new run).
func (a *StepState) Same(b *StepState) bool {
	return a != nil && b != nil && a.Lesson == b.Lesson && a.Step == b.Step && a.Began.Equal(b.Began)
}

// Totals sums the progress over curriculum c: lessons finished, steps
// passed, steps in all (`lesson status` and the screen's :lesson status).
func (p *Progress) Totals(c *Curriculum) (finished, passed, total int) {
	for _, l := range c.Lessons {
		total += len(l.Steps)
		if rec := p.Lessons[l.ID]; rec != nil {
			passed += len(rec.Passed)
			if !rec.Finished.IsZero() {
				finished++
			}
		}
	}
	return finished, passed, total
}
