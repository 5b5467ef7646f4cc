package lessons

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"testing"
	"time"
)

var onlyLesson = flag.String("lesson", "", "run the curriculum test for this lesson only (number or id)")

// TestCurriculum is issue 12's "done means", step by step: for every step
// of every built-in lesson, the lab in the step's starting state fails every
// check; the step's solution, done the way a learner does it (editing the
// workspace's files, running the commands, sending the requests), makes
// every check pass. The lessons run in parallel, each on its own lab; the
// steps of a lesson share it, with the reset a learner gets between them.
func TestCurriculum(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a lab per lesson; -short skips it")
	}
	c, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range c.Lessons {
		if *onlyLesson != "" && *onlyLesson != fmt.Sprint(l.N) && *onlyLesson != l.ID {
			continue
		}
		t.Run(l.ID, func(t *testing.T) {
			t.Parallel()
			lab := startLab(t)
			r := testRunner(lab)
			for _, st := range l.Steps {
				picks := 1
				if n, _ := oneOfIn(st.Setup); n > 0 {
					picks = n
				}
				for pick := range picks {
					name := fmt.Sprintf("step%d", st.N)
					if picks > 1 {
						name += fmt.Sprintf("/pick%d", pick+1)
					}
					t.Run(name, func(t *testing.T) { runStep(t, r, l, st, pick) })
				}
			}
		})
	}
}

func runStep(t *testing.T, r *Runner, l *Lesson, st *Step, pick int) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r.Pick = func(int) int { return pick }
	state, did, err := r.Begin(ctx, l, st)
	if err != nil {
		t.Fatalf("Begin: %v\n%s", err, strings.Join(did, "\n"))
	}
	before := r.Check(ctx, st, state)
	for _, res := range before {
		if res.Pass {
			t.Errorf("before the solution, %q (line %d) passes: %s", res.Check.Raw, res.Check.Line, res.Saw.EN)
		}
		if res.Saw.EN == "" || res.Saw.ZH == "" {
			t.Errorf("%q (line %d) fails without saying what the lab showed in both languages: %+v", res.Check.Raw, res.Check.Line, res.Saw)
		}
	}
	out, err := r.Solve(ctx, st, state)
	if err != nil {
		t.Fatalf("Solve: %v\n%s", err, strings.Join(out, "\n"))
	}
	after := r.Check(ctx, st, state)
	t.Logf("before:\n%safter:\n%s", resultsText(before), resultsText(after))
	if !Passed(after) {
		t.Errorf("after the solution, not every check passes:\n%s\nthe solution did:\n%s\nbefore it:\n%s", resultsText(after), strings.Join(out, "\n"), resultsText(before))
	}
}

// TestTeacherLesson: a lesson a teacher wrote from the README alone, in a
// folder of their own, loads and checks like the built-in ones.
func TestTeacherLesson(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a lab; -short skips it")
	}
	c, err := LoadDir("testdata/teacher")
	if err != nil {
		t.Fatal(err)
	}
	lab := startLab(t)
	r := testRunner(lab)
	for _, l := range c.Lessons {
		for _, st := range l.Steps {
			t.Run(fmt.Sprintf("%s/step%d", l.ID, st.N), func(t *testing.T) { runStep(t, r, l, st, 0) })
		}
	}
}
