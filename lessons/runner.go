package lessons

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"
)

// A StepState is one step in progress: when it began (log checks read what
// came after), the lab's addresses then, the broken state it picked, the
// hints shown and the learner's answer. It is saved in the workspace, so
// `lesson check` in a new shell continues where `lesson start` left off.
type StepState struct {
	Lesson string            // the lesson's ID
	Step   int               // from 1
	Began  time.Time         // after its setup ran
	Logs   map[string]int64  // each log file's size when the step began
	Vars   map[string]string // {url}, {uwsgi-1.socket}, … when the step began
	Pick   int               // the alternative of its setup's one-of
	Hints  int               // hints shown so far
	Answer string            // the learner's answer (lesson answer …)
	User   string            // the last user `register` made
}

// A Runner takes a learner (or a teacher's class) through steps on one lab.
type Runner struct {
	Lab       Lab
	Lang      string // "en" or "zh…", for what actions report
	Workspace string // {workspace}: the workspace as the learner types it ("" for its full path)
	Cmd       string // {cmd}: how the learner runs webflow-lab ("" for webflow-lab)
	// Captcha is the answer every captcha of the lab shows when its
	// instances draw a fixed one (env = EMS_CAPTCHA=fixed:1234); "" means
	// a person must read it, so `register` and `login` need a browser.
	Captcha string
	// Defaults, when set, edits the fresh default workspace a reset puts
	// back (the tests add the fixed captcha there).
	Defaults func(dir string) error
	// Pick chooses one of n broken states for a one-of setup; nil picks at
	// random.
	Pick func(n int) int

	browser *browser
}

// Begin puts the lab in the step's starting state: the workspace and the
// lab back to their defaults (what it replaces is kept in a backup), then
// the step's setup. The lines say what was done.
func (r *Runner) Begin(ctx context.Context, l *Lesson, st *Step) (*StepState, []string, error) {
	out, vars, err := r.Reset(ctx)
	if err != nil {
		return nil, out, err
	}
	state := &StepState{Lesson: l.ID, Step: st.N, Vars: vars}
	if n, _ := oneOfIn(st.Setup); n > 0 {
		if r.Pick != nil {
			state.Pick = r.Pick(n)
		} else {
			state.Pick = rand.IntN(n)
		}
	}
	e := r.env(state)
	for _, a := range st.Setup {
		did, err := a.do(ctx, e, state.Pick)
		if did != "" {
			out = append(out, did)
		}
		if err != nil {
			return nil, out, err
		}
	}
	state.Began = time.Now()
	state.Logs = logSizes(r.Lab.Dir())
	return state, out, nil
}

// Check runs the step's checks against the lab now.
func (r *Runner) Check(ctx context.Context, st *Step, state *StepState) []Result {
	e := r.env(state)
	// The checks that read (logs, files, the lab's state) go before the ones
	// that send requests, which would otherwise show up in the logs read.
	out := make([]Result, len(st.Checks))
	for _, sends := range []bool{false, true} {
		for i, c := range st.Checks {
			if (c.Kind == "http" || c.Kind == "lab" || c.Kind == "bench") == sends {
				out[i] = c.run(ctx, e)
			}
		}
	}
	return out
}

// Solve does what the step's solution says, as a learner would: edits,
// commands, requests. ErrNeedsBrowser means a line needs a person (a
// captcha); the lines say what.
func (r *Runner) Solve(ctx context.Context, st *Step, state *StepState) ([]string, error) {
	e := r.env(state)
	var out []string
	for _, a := range st.Solution {
		did, err := a.do(ctx, e, state.Pick)
		if did != "" {
			out = append(out, did)
		}
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// ErrNeedsBrowser is returned by Solve when a line of the solution fills in
// a captcha, which only a person at a browser can read (unless the lab draws
// a fixed one: Runner.Captcha).
var ErrNeedsBrowser = errNeedsBrowser

// IsNeedsBrowser reports whether err is ErrNeedsBrowser.
func IsNeedsBrowser(err error) bool { return errors.Is(err, errNeedsBrowser) }

// Answer records the learner's answer for the step's answer check.
func (state *StepState) SetAnswer(a string) { state.Answer = normAnswer(a) }

// Expand fills in the step's variables ({url}, {workspace}, …) in a text.
func (state *StepState) Expand(s string) string { return expandVars(s, state.Vars) }

func (r *Runner) env(state *StepState) *env {
	if r.browser == nil {
		r.browser = newBrowser()
	}
	lang := r.Lang
	if lang == "" {
		lang = "en"
	}
	return &env{lab: r.Lab, dir: r.Lab.Dir(), vars: state.Vars, lang: lang, state: state, captcha: r.Captcha, browser: r.browser}
}
