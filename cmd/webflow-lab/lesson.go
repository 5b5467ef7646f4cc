package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/rivo/uniseg"

	"github.com/charmbracelet/x/term"

	"webflow-lab/lessons"
	"webflow-lab/lessons/prose"
	"webflow-lab/servers/explain"
	"webflow-lab/tui/cell"
)

// stdin is where teacher mode reads the teacher's keys (a test replaces it).
var stdin io.Reader = os.Stdin

// runLesson is `webflow-lab lesson …`: the curriculum from a plain shell,
// against the lab running in the workspace (the screen or `serve`, in
// another terminal). Progress is kept in the workspace.
func runLesson(args []string, stdout, stderr io.Writer) int {
	fs := flagSet("lesson", stderr)
	dir := fs.String("workspace", "", "the running lab's workspace folder (default: ./workspace, or the folder you are in)")
	from := fs.String("lessons", "", "a folder of your own .lesson files instead of the built-in curriculum")
	langFlag := fs.String("lang", "", "en or zh (default: from LANG)")
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "usage: webflow-lab lesson [flags] list | start N[.STEP] | check | hint | answer TEXT | skip | reset | status | teach N[.STEP]\n\n")
		fmt.Fprintf(w, "  list      the lessons and how far you got\n")
		fmt.Fprintf(w, "  start N   begin (or resume) lesson N; the lab is prepared for its step\n")
		fmt.Fprintf(w, "  check     run the step's checks on the live lab; all pass → the next step\n")
		fmt.Fprintf(w, "  hint      one more hint (after the last, the solution)\n")
		fmt.Fprintf(w, "  answer    answer the step's question, then check\n")
		fmt.Fprintf(w, "  skip      leave this step for later; reset: prepare it again\n")
		fmt.Fprintf(w, "  status    where you are, lesson by lesson\n")
		fmt.Fprintf(w, "  teach N   teacher mode: each step before and after its solution, one key at a time\n\n")
		fs.PrintDefaults()
	}
	// Flags may come before or after the subcommand.
	if err := fs.Parse(args); err != nil {
		return exitCode(err)
	}
	rest := fs.Args()
	if len(rest) == 0 {
		fs.Usage()
		return 2
	}
	sub, subArgs := rest[0], rest[1:]
	if err := fs.Parse(subArgs); err != nil {
		return exitCode(err)
	}
	subArgs = fs.Args()
	lg := *langFlag
	if lg == "" {
		lg = lang()
	}
	c := &lessonCLI{out: stdout, lang: lg, width: termWidth(stdout)}
	if err := c.load(*from); err != nil {
		printErr(stderr, err)
		return 1
	}
	if sub == "list" && c.findLab(*dir) != nil {
		return c.list(nil) // no lab, no progress: the list alone
	}
	if err := c.findLab(*dir); err != nil {
		printErr(stderr, err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var err error
	switch sub {
	case "list":
		return c.list(c.progress)
	case "start":
		err = c.start(ctx, subArgs)
	case "check":
		err = c.check(ctx)
	case "hint":
		err = c.hint()
	case "answer":
		err = c.answer(ctx, subArgs)
	case "skip":
		err = c.skip(ctx)
	case "reset":
		err = c.reset(ctx)
	case "status":
		err = c.status()
	case "teach":
		err = c.teach(ctx, subArgs, bufio.NewScanner(stdin))
	default:
		fmt.Fprintf(stderr, "webflow-lab lesson: unknown command %q\n\n", sub)
		fs.Usage()
		return 2
	}
	if err != nil {
		printErr(stderr, err)
		return 1
	}
	return 0
}

type lessonCLI struct {
	out      io.Writer
	lang     string
	cur      *lessons.Curriculum
	lab      lessons.Lab
	ws       string // the workspace as the learner named it
	progress *lessons.Progress
	runner   *lessons.Runner
	width    int // the terminal's columns, which lesson text is wrapped to
}

func (c *lessonCLI) load(from string) error {
	var err error
	c.cur, err = loadCurriculum(from)
	return err
}

// loadCurriculum is the lessons in folder from (--lessons), or the
// built-in ones: for `webflow-lab lesson` and the screen alike.
func loadCurriculum(from string) (*lessons.Curriculum, error) {
	if from != "" {
		return lessons.LoadDir(from)
	}
	return lessons.Builtin()
}

// findLab finds the running lab: the --workspace folder, else ./workspace,
// else the folder the learner is in (or one above it).
func (c *lessonCLI) findLab(dir string) error {
	cands := []string{dir}
	if dir == "" {
		cands = []string{"workspace", "."}
	}
	var err error
	for _, d := range cands {
		var lab lessons.Lab
		if lab, err = lessons.Remote(d); err == nil {
			c.lab, c.ws = lab, d
			if d == "." {
				c.ws = lab.Dir()
			}
			break
		}
	}
	if c.lab == nil {
		return err
	}
	if c.progress, err = lessons.LoadProgress(c.lab.Dir()); err != nil {
		return err
	}
	c.runner = &lessons.Runner{Lab: c.lab, Lang: c.lang, Workspace: c.ws, Cmd: selfCommand()}
	return nil
}

// selfCommand is how the learner ran this program, for the commands lesson
// texts show: "go run ./cmd/webflow-lab" under go run, else the name typed.
func selfCommand() string {
	wd, _ := os.Getwd()
	return commandFor(os.Args[0], wd, exec.LookPath)
}

// commandFor is selfCommand for a program started as arg0 from folder wd:
// what the learner would type again there. A shell that reports the full
// path (PowerShell, cmd) gets the name when it is on the PATH, .\name from
// its own folder, else the path; ".exe" is left off, as Windows allows.
func commandFor(arg0, wd string, lookPath func(string) (string, error)) string {
	if strings.Contains(arg0, "go-build") || strings.Contains(arg0, string(filepath.Separator)+"exe"+string(filepath.Separator)) {
		return "go run ./cmd/webflow-lab"
	}
	arg0 = strings.TrimSuffix(arg0, ".exe")
	name := filepath.Base(arg0)
	switch {
	case !strings.ContainsRune(arg0, filepath.Separator) && !strings.ContainsRune(arg0, '/'):
		return name
	case !filepath.IsAbs(arg0):
		return arg0 // ./webflow-lab
	}
	if p, err := lookPath(name); err == nil && strings.TrimSuffix(p, ".exe") == arg0 {
		return name
	}
	if filepath.Dir(arg0) == filepath.Clean(wd) {
		return "." + string(filepath.Separator) + name
	}
	return arg0
}

func (c *lessonCLI) t(t explain.Text) string { return t.In(c.lang) }

func (c *lessonCLI) zh() bool { return strings.HasPrefix(c.lang, "zh") }

func (c *lessonCLI) tr(en, zh string) string {
	if c.zh() {
		return zh
	}
	return en
}

// say prints en or zh, wrapped to the terminal; the commands it names are written the way the
// learner runs this program (`go run ./cmd/webflow-lab lesson check`).
func (c *lessonCLI) say(en, zh string, a ...any) {
	f := en
	if c.zh() {
		f = zh
	}
	s := fmt.Sprintf(f, a...)
	if cmd := selfCommand(); cmd != "webflow-lab" {
		s = strings.ReplaceAll(s, "webflow-lab lesson", cmd+" lesson")
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.Join(cell.Wrap(l, c.cols()), "\n")
	}
	io.WriteString(c.out, strings.Join(lines, "\n"))
}

func (c *lessonCLI) save() error { return c.progress.Save(c.lab.Dir()) }

// current returns the step in progress.
func (c *lessonCLI) current() (*lessons.Lesson, *lessons.Step, *lessons.StepState, error) {
	cs := c.progress.Current
	if cs == nil {
		return nil, nil, nil, &explain.Error{
			What: explain.T("lesson: no lesson in progress", "课程：当前没有进行中的课程"),
			Try:  explain.T("start one: webflow-lab lesson start 1 (webflow-lab lesson list shows them all)", "开始一节课：webflow-lab lesson start 1（webflow-lab lesson list 列出全部课程）"),
		}
	}
	l, err := c.cur.Find(cs.Lesson)
	if err != nil {
		return nil, nil, nil, err
	}
	if cs.Step < 1 || cs.Step > len(l.Steps) {
		return nil, nil, nil, fmt.Errorf("lesson: %s has no step %d; start it again", l.ID, cs.Step)
	}
	return l, l.Steps[cs.Step-1], cs, nil
}

func (c *lessonCLI) list(p *lessons.Progress) int {
	c.say("Lessons (%s):\n", "课程（%s）：\n", c.cur.Source)
	for _, l := range c.cur.Lessons {
		mark := "  "
		var rec *lessons.Record
		if p != nil {
			rec = p.Lessons[l.ID]
		}
		done := 0
		if rec != nil {
			for _, st := range l.Steps {
				if rec.Done(st.N) {
					done++
				}
			}
			mark = "… "
			if !rec.Finished.IsZero() {
				mark = "✓ "
			}
		}
		if p != nil && p.Current != nil && p.Current.Lesson == l.ID {
			mark = "▶ "
		}
		fmt.Fprintf(c.out, " %s%2d  %s  (%d/%d)\n", mark, l.N, c.t(l.Title), done, len(l.Steps))
	}
	c.say("\nStart one: webflow-lab lesson start N\n", "\n开始一节课：webflow-lab lesson start 编号\n")
	return 0
}

// start is `lesson start N[.STEP]`: the first step not done yet, or STEP.
func (c *lessonCLI) start(ctx context.Context, args []string) error {
	if len(args) != 1 {
		return &explain.Error{What: explain.T("lesson start: which lesson?", "lesson start：哪一节课？"),
			Try: explain.T("webflow-lab lesson start 1 (or 1.2 for its second step)", "webflow-lab lesson start 1（或 1.2 表示第二步）")}
	}
	l, st, err := c.findStep(args[0])
	if err != nil {
		return err
	}
	return c.begin(ctx, l, st)
}

func (c *lessonCLI) findStep(arg string) (*lessons.Lesson, *lessons.Step, error) {
	name, stepArg, hasStep := strings.Cut(arg, ".")
	l, err := c.cur.Find(name)
	if err != nil {
		return nil, nil, err
	}
	if hasStep {
		n, err := strconv.Atoi(stepArg)
		if err != nil || n < 1 || n > len(l.Steps) {
			return nil, nil, &explain.Error{What: explain.T(fmt.Sprintf("lesson: lesson %d has steps 1 to %d", l.N, len(l.Steps)), fmt.Sprintf("课程：第 %d 课只有第 1 到第 %d 步", l.N, len(l.Steps)))}
		}
		return l, l.Steps[n-1], nil
	}
	st := c.progress.Record(l).Next(l)
	if st == nil {
		st = l.Steps[0] // finished: again from the start
	}
	return l, st, nil
}

// begin prepares the lab for st and shows it.
func (c *lessonCLI) begin(ctx context.Context, l *lessons.Lesson, st *lessons.Step) error {
	c.say("Preparing the lab for lesson %d, step %d…\n", "正在为第 %d 课第 %d 步准备实验环境……\n", l.N, st.N)
	state, did, err := c.runner.Begin(ctx, l, st)
	for _, d := range did {
		fmt.Fprintf(c.out, "  %s\n", d)
	}
	if err != nil {
		return err
	}
	c.progress.Record(l)
	c.progress.Current = state
	if err := c.save(); err != nil {
		return err
	}
	c.show(l, st, state, false)
	return nil
}

// show prints a step: where it is, what to do, how to go on (in teacher
// mode the teacher goes on with a key, and the class is not told to run
// `lesson check`).
func (c *lessonCLI) show(l *lessons.Lesson, st *lessons.Step, state *lessons.StepState, teacher bool) {
	fmt.Fprintln(c.out)
	title := fmt.Sprintf("%d.%d  %s", l.N, st.N, state.Expand(c.t(st.Title)))
	head := fmt.Sprintf("%s   (%s · %d/%d)", title, c.t(l.Title), st.N, len(l.Steps))
	fmt.Fprintf(c.out, "%s\n%s\n\n", strings.Join(cell.Wrap(head, c.cols()), "\n"), strings.Repeat("─", min(c.cols()-2, displayWidth(title))))
	fmt.Fprintln(c.out, c.prose(state.Expand(c.t(st.Text))))
	if !teacher {
		c.say("\nWhen you are done: webflow-lab lesson check    (stuck? webflow-lab lesson hint)\n",
			"\n完成后：webflow-lab lesson check    （卡住了？webflow-lab lesson hint）\n")
	}
}

// cols is the width lesson text is wrapped to: the terminal's, else 80.
func (c *lessonCLI) cols() int {
	if c.width < 20 {
		return 80
	}
	return c.width
}

// termWidth is the width of the terminal out writes to, or 0 when it is
// not one (a file, a pipe, a test's buffer).
func termWidth(out io.Writer) int {
	f, ok := out.(*os.File)
	if !ok || !term.IsTerminal(f.Fd()) {
		return 0
	}
	w, _, err := term.GetSize(f.Fd())
	if err != nil {
		return 0
	}
	return w
}

// prose is a lesson's text indented by two spaces and reflowed to the
// terminal as the screen's lesson panel reflows it (lessons/prose):
// paragraphs join, items hang, commands to copy keep their lines.
func (c *lessonCLI) prose(s string) string {
	lines := prose.Reflow(s, c.cols()-2, cell.Wrap)
	for i, l := range lines {
		if l != "" {
			lines[i] = "  " + l
		}
	}
	return strings.Join(lines, "\n")
}

// hang prints s wrapped to the terminal, its first line after first, its
// later lines indented by ind.
func (c *lessonCLI) hang(first, s, ind string) {
	for _, l := range prose.Hang(first+s, c.cols(), ind, cell.Wrap) {
		fmt.Fprintln(c.out, l)
	}
}

// displayWidth is how many columns s takes on a terminal (CJK: two each).
func displayWidth(s string) int { return uniseg.StringWidth(s) }

// check is `lesson check`: every check on the live lab; all passing
// finishes the step and prepares the next.
func (c *lessonCLI) check(ctx context.Context) error {
	l, st, state, err := c.current()
	if err != nil {
		return err
	}
	results := c.runner.Check(ctx, st, state)
	c.say("Lesson %d, step %d: %s\n", "第 %d 课第 %d 步：%s\n", l.N, st.N, state.Expand(c.t(st.Title)))
	c.printResults(results, state)
	if !lessons.Passed(results) {
		c.say("\nNot yet. Look at what the lab showed above; `webflow-lab lesson hint` gives a hint.\n",
			"\n还没有完成。看看上面实验显示的情况；`webflow-lab lesson hint` 可以给一个提示。\n")
		return nil
	}
	rec := c.progress.Record(l)
	rec.Mark(l, st.N, true)
	if st.Done.EN != "" {
		fmt.Fprintf(c.out, "\n%s\n", c.prose(state.Expand(c.t(st.Done))))
	}
	c.say("\n✓ Step %d done.\n", "\n✓ 第 %d 步完成。\n", st.N)
	return c.next(ctx, l, rec)
}

// next prepares the lesson's next step not done, or closes the lesson.
func (c *lessonCLI) next(ctx context.Context, l *lessons.Lesson, rec *lessons.Record) error {
	if st := rec.Next(l); st != nil {
		if err := c.save(); err != nil {
			return err
		}
		fmt.Fprintln(c.out)
		return c.begin(ctx, l, st)
	}
	c.progress.Current = nil
	if err := c.save(); err != nil {
		return err
	}
	c.say("\nLesson %d (%s) is done: %d of %d steps passed, %d skipped, %d hint(s) used.\n",
		"\n第 %d 课（%s）完成：%d/%d 步通过，跳过 %d 步，用了 %d 个提示。\n",
		l.N, c.t(l.Title), len(rec.Passed), len(l.Steps), len(rec.Skipped), rec.Hints)
	if len(rec.Skipped) > 0 {
		c.say("Skipped steps wait for you: webflow-lab lesson start %d\n", "跳过的步骤还在等你：webflow-lab lesson start %d\n", l.N)
	}
	if l.N < len(c.cur.Lessons) {
		nl := c.cur.Lessons[l.N]
		c.say("Next: lesson %d, %s — webflow-lab lesson start %d\n", "下一课：第 %d 课，%s —— webflow-lab lesson start %d\n", nl.N, c.t(nl.Title), nl.N)
	} else {
		c.say("That was the last lesson. You have taken one request from the browser to the database and back,\nand broken and fixed every server on the way. `webflow-lab lesson status` sums it up.\n",
			"这是最后一课。你已经把一个请求从浏览器送到数据库再带回来，\n也亲手弄坏又修好了路上的每一台服务器。`webflow-lab lesson status` 可以查看总结。\n")
	}
	return nil
}

// hint is `lesson hint`: the hints so far and one more; after the last,
// the solution.
func (c *lessonCLI) hint() error {
	l, st, state, err := c.current()
	if err != nil {
		return err
	}
	if state.Hints < len(st.Hints)+1 {
		state.Hints++
		c.progress.Record(l).Hints++
	}
	for i := 0; i < state.Hints && i < len(st.Hints); i++ {
		c.hang(fmt.Sprintf(c.tr("Hint %d/%d: ", "提示 %d/%d："), i+1, len(st.Hints)), state.Expand(c.t(st.Hints[i])), "  ")
	}
	if state.Hints > len(st.Hints) {
		c.say("No more hints. What a learner would do:\n", "没有更多提示了。参考做法：\n")
		for _, a := range st.Solution {
			fmt.Fprintf(c.out, "  • %s\n", strings.ReplaceAll(c.t(a.Show(state)), "\n", "\n    "))
		}
	}
	return c.save()
}

func (c *lessonCLI) answer(ctx context.Context, args []string) error {
	_, _, state, err := c.current()
	if err != nil {
		return err
	}
	if len(args) == 0 {
		return &explain.Error{What: explain.T("lesson answer: what is your answer?", "lesson answer：你的答案是什么？"),
			Try: explain.T("webflow-lab lesson answer nginx", "webflow-lab lesson answer nginx")}
	}
	state.SetAnswer(strings.Join(args, " "))
	if err := c.save(); err != nil {
		return err
	}
	return c.check(ctx)
}

func (c *lessonCLI) skip(ctx context.Context) error {
	l, st, _, err := c.current()
	if err != nil {
		return err
	}
	rec := c.progress.Record(l)
	rec.Mark(l, st.N, false)
	c.say("Skipped step %d; it stays open.\n", "已跳过第 %d 步；它仍然未完成。\n", st.N)
	if n := st.N; n < len(l.Steps) {
		if err := c.save(); err != nil {
			return err
		}
		return c.begin(ctx, l, l.Steps[n])
	}
	return c.next(ctx, l, rec)
}

func (c *lessonCLI) reset(ctx context.Context) error {
	l, st, _, err := c.current()
	if err != nil {
		return err
	}
	return c.begin(ctx, l, st)
}

func (c *lessonCLI) status() error {
	if cs := c.progress.Current; cs != nil {
		if l, st, state, err := c.current(); err == nil {
			c.say("In progress: lesson %d, step %d of %d — %s (since %s, %d hint(s))\n", "进行中：第 %d 课，第 %d/%d 步 —— %s（开始于 %s，用了 %d 个提示）\n",
				l.N, st.N, len(l.Steps), state.Expand(c.t(st.Title)), state.Began.Format("15:04"), state.Hints)
		}
	} else {
		c.say("No step in progress.\n", "当前没有进行中的步骤。\n")
	}
	finished, passed, total := c.progress.Totals(c.cur)
	c.say("%d of %d lessons finished, %d of %d steps passed.\n\n", "%d/%d 节课已完成，%d/%d 步已通过。\n\n", finished, len(c.cur.Lessons), passed, total)
	c.list(c.progress)
	return nil
}

// teach is teacher mode: each step prepared, its checks failing ("before"),
// the solution applied on a key, the checks again ("after").
func (c *lessonCLI) teach(ctx context.Context, args []string, keys *bufio.Scanner) error {
	if len(args) != 1 {
		return &explain.Error{What: explain.T("lesson teach: which lesson?", "lesson teach：哪一节课？"),
			Try: explain.T("webflow-lab lesson teach 1 (or 1.2 to begin at its second step)", "webflow-lab lesson teach 1（或 1.2 从第二步开始）")}
	}
	_, _, hasStep := strings.Cut(args[0], ".")
	l, first, err := c.findStep(args[0])
	if err != nil {
		return err
	}
	if !hasStep {
		first = l.Steps[0]
	}
	key := func(prompt explain.Text) string {
		fmt.Fprintf(c.out, "\n%s ", c.t(prompt))
		if !keys.Scan() {
			return "q"
		}
		return strings.TrimSpace(keys.Text())
	}
	c.say("Teacher mode: lesson %d, %s\n%s\n", "教师模式：第 %d 课，%s\n%s\n", l.N, c.t(l.Title), c.t(l.Goal))
	for i := first.N - 1; i < len(l.Steps); i++ {
		st := l.Steps[i]
		c.say("\nPreparing step %d…\n", "\n正在准备第 %d 步……\n", st.N)
		state, did, err := c.runner.Begin(ctx, l, st)
		for _, d := range did {
			fmt.Fprintf(c.out, "  %s\n", d)
		}
		if err != nil {
			return err
		}
		c.show(l, st, state, true)
		c.say("\nBefore:\n", "\n之前：\n")
		c.printResults(c.runner.Check(ctx, st, state), state)
	solve:
		for {
			switch k := key(explain.T("[enter] apply the solution · [h] hint · [s] next step · [q] quit ›", "[回车] 应用参考做法 · [h] 提示 · [s] 下一步 · [q] 退出 ›")); k {
			case "q":
				return nil
			case "s":
				break solve
			case "h":
				if state.Hints < len(st.Hints) {
					state.Hints++
					c.hang(fmt.Sprintf(c.tr("Hint %d/%d: ", "提示 %d/%d："), state.Hints, len(st.Hints)), state.Expand(c.t(st.Hints[state.Hints-1])), "  ")
				} else {
					c.say("(no more hints)\n", "（没有更多提示了）\n")
				}
			default:
				did, err := c.runner.Solve(ctx, st, state)
				for _, d := range did {
					fmt.Fprintf(c.out, "  ▸ %s\n", strings.ReplaceAll(d, "\n", "\n    "))
				}
				if lessons.IsNeedsBrowser(err) {
					key(explain.T("Do that in the browser for the class, then press enter ›", "请在浏览器中给学生演示这一步，然后按回车 ›"))
				} else if err != nil {
					printErr(c.out, err)
				}
				c.say("\nAfter:\n", "\n之后：\n")
				c.printResults(c.runner.Check(ctx, st, state), state)
				if st.Done.EN != "" {
					fmt.Fprintf(c.out, "\n%s\n", c.prose(state.Expand(c.t(st.Done))))
				}
				if k := key(explain.T("[enter] next step · [q] quit ›", "[回车] 下一步 · [q] 退出 ›")); k == "q" {
					return nil
				}
				break solve
			}
		}
	}
	c.say("\nEnd of lesson %d.\n", "\n第 %d 课结束。\n", l.N)
	return nil
}

func (c *lessonCLI) printResults(rs []lessons.Result, state *lessons.StepState) {
	for _, r := range rs {
		mark := "✗"
		if r.Pass {
			mark = "✓"
		}
		c.hang("  "+mark+" ", state.Expand(c.t(r.Check.What())), "    ")
		c.hang("      ", c.t(r.Saw), "      ")
	}
}
