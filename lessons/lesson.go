package lessons

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"webflow-lab/servers/explain"
)

// Text is one text in the lab's two languages.
type Text = explain.Text

// A Lesson is one file of the curriculum: a title, a goal and its steps.
type Lesson struct {
	ID    string // the file's name without .lesson: "05-static"
	N     int    // its place in the curriculum, from 1
	File  string // where it was read
	Title Text
	Goal  Text
	Steps []*Step
}

// A Step is one task of a lesson: what to do, the lab state it starts from,
// hints, the checks that say it is done, and the solution a learner would
// type (teacher mode and the tests apply it).
type Step struct {
	N        int // from 1
	Line     int // its `step:` line
	Title    Text
	Text     Text
	Hints    []Text
	Done     Text // shown when the checks pass: what the learner just saw, in a sentence
	Setup    []*Action
	Solution []*Action
	Checks   []*Check
}

// The keys of a lesson file. Text keys have a ".zh" twin.
var (
	lessonTextKeys = []string{"title", "goal"}
	stepTextKeys   = []string{"step", "text", "hint", "done"}
	stepScriptKeys = []string{"setup", "solution", "check"}
	repeatable     = map[string]bool{"hint": true, "setup": true, "solution": true, "check": true}
)

// Parse reads one lesson file. Errors are *explain.Error naming the file,
// the line and the fix.
func Parse(file string, data []byte) (*Lesson, error) {
	fields, err := parseFields(file, data)
	if err != nil {
		return nil, err
	}
	l := &Lesson{File: file, ID: strings.TrimSuffix(path.Base(filepath.ToSlash(file)), ".lesson")}
	b := builder{file: file, seen: map[string]int{}}
	var st *Step
	for _, f := range fields {
		name, zh := strings.CutSuffix(f.Key, ".zh")
		switch {
		case name == "step" && !zh:
			if st != nil {
				if err := b.endStep(st); err != nil {
					return nil, err
				}
			}
			st = &Step{N: len(l.Steps) + 1, Line: f.Line}
			l.Steps = append(l.Steps, st)
			b.seen = map[string]int{}
			b.pending = map[string][]*Text{}
			b.hints = nil
			if err := b.text(f, name, false, &st.Title); err != nil {
				return nil, err
			}
		case st == nil && slices.Contains(lessonTextKeys, name):
			if err := b.text(f, name, zh, map[string]*Text{"title": &l.Title, "goal": &l.Goal}[name]); err != nil {
				return nil, err
			}
		case st == nil && (slices.Contains(stepTextKeys, name) || slices.Contains(stepScriptKeys, name)):
			return nil, formatError(file, f.Line, explain.T("`"+f.Key+"` before the first `step:`", "`"+f.Key+"` 出现在第一个 `step:` 之前"),
				explain.T("a lesson starts with title and goal; each step starts with a `step:` line, and its text, hints, setup, solution and checks follow it",
					"课程以 title 和 goal 开头；每个步骤以 `step:` 行开始，其后是它的 text、hint、setup、solution 和 check"))
		case st != nil && slices.Contains(stepTextKeys, name):
			var dst *Text
			switch name {
			case "step":
				dst = &st.Title
			case "text":
				dst = &st.Text
			case "done":
				dst = &st.Done
			case "hint":
				if !zh {
					dst = &Text{}
					b.hints = append(b.hints, dst)
				}
			}
			if err := b.text(f, name, zh, dst); err != nil {
				return nil, err
			}
		case st != nil && slices.Contains(stepScriptKeys, name) && !zh:
			if err := b.script(f, st); err != nil {
				return nil, err
			}
		case st != nil && slices.Contains(lessonTextKeys, name):
			return nil, formatError(file, f.Line, explain.T("`"+f.Key+"` after a step", "`"+f.Key+"` 出现在步骤之后"),
				explain.T("put the lesson's title and goal at the top of the file, before the first `step:`", "把课程的 title 和 goal 写在文件开头、第一个 `step:` 之前"))
		default:
			return nil, unknownKey(file, f)
		}
	}
	if st != nil {
		if err := b.endStep(st); err != nil {
			return nil, err
		}
	}
	if l.Title.EN == "" {
		return nil, formatError(file, 1, explain.T("the lesson has no title", "课程没有 title"),
			explain.T("begin the file with `title: …` and `title.zh: …`", "在文件开头写上 `title: …` 和 `title.zh: …`"))
	}
	if len(l.Steps) == 0 {
		return nil, formatError(file, 1, explain.T("the lesson has no step", "课程没有任何步骤"),
			explain.T("add a step: a `step:` line, then `text:`, at least one `check:`", "添加一个步骤：`step:` 行，然后 `text:`，以及至少一个 `check:`"))
	}
	return l, nil
}

// builder keeps what Parse needs between fields.
type builder struct {
	file    string
	seen    map[string]int     // non-repeatable keys of this step (or the lesson header), by their line
	pending map[string][]*Text // texts whose Chinese has not come yet, oldest first
	hints   []*Text            // this step's hints, in order
}

// text stores a text field: English into dst, Chinese into the oldest
// text of that name still waiting for its translation.
func (b *builder) text(f field, name string, zh bool, dst *Text) error {
	if f.Value == "" {
		return formatError(b.file, f.Line, explain.T("`"+f.Key+":` is empty", "`"+f.Key+":` 是空的"),
			explain.T("write the text after the colon, or on indented lines below it", "在冒号后面写上文字，或者写在下面缩进的行里"))
	}
	if b.pending == nil {
		b.pending = map[string][]*Text{}
	}
	if err := b.vars(f); err != nil {
		return err
	}
	if !zh {
		if !repeatable[name] {
			if line, ok := b.seen[f.Key]; ok {
				return duplicate(b.file, f, line)
			}
			b.seen[f.Key] = f.Line
		}
		dst.EN = f.Value
		b.pending[name] = append(b.pending[name], dst)
		return nil
	}
	waiting := b.pending[name]
	if len(waiting) == 0 {
		if line, ok := b.seen[f.Key]; ok && !repeatable[name] {
			return duplicate(b.file, f, line)
		}
		return formatError(b.file, f.Line, explain.T("`"+f.Key+"` has no English `"+name+":` before it", "`"+f.Key+"` 前面没有对应的英文 `"+name+":`"),
			explain.T("write each text twice, side by side: `"+name+": …` then `"+f.Key+": …`", "每段文字写两遍、并排放：先 `"+name+": …` 再 `"+f.Key+": …`"))
	}
	b.seen[f.Key] = f.Line
	waiting[0].ZH = f.Value
	b.pending[name] = waiting[1:]
	return nil
}

func duplicate(file string, f field, first int) error {
	return formatError(file, f.Line, explain.T(fmt.Sprintf("`%s` again (first at line %d)", f.Key, first), fmt.Sprintf("`%s` 重复出现（第一次在第 %d 行）", f.Key, first)),
		explain.T("keep one; a step's hints, setup, solution and checks are the keys that repeat", "只保留一个；可以重复的只有步骤的 hint、setup、solution 和 check"))
}

// vars refuses a {name} that is no variable of the lab.
func (b *builder) vars(f field) error {
	if bad := unknownVars(f.Value); len(bad) > 0 {
		return formatError(b.file, f.Line, explain.T("unknown variable "+bad[0], "未知的变量 "+bad[0]),
			explain.T("the variables are {url}, {proxy}, {proxy.port}, {workspace}, {cmd}, {uwsgi-1.http}, {uwsgi-1.socket}, {uwsgi-1.stats} (and .port after each)",
				"可用的变量：{url}、{proxy}、{proxy.port}、{workspace}、{cmd}、{uwsgi-1.http}、{uwsgi-1.socket}、{uwsgi-1.stats}（每个后面都可以加 .port）"))
	}
	return nil
}

// script parses a setup, solution or check line.
func (b *builder) script(f field, st *Step) error {
	if err := b.vars(f); err != nil {
		return err
	}
	var err error
	switch f.Key {
	case "setup", "solution":
		var a *Action
		if a, err = parseAction(f.Value, f.ValueLine); err == nil {
			if f.Key == "setup" {
				st.Setup = append(st.Setup, a)
			} else {
				st.Solution = append(st.Solution, a)
			}
		}
	case "check":
		var c *Check
		if c, err = parseCheck(f.Value, f.ValueLine); err == nil {
			st.Checks = append(st.Checks, c)
		}
	}
	if err != nil {
		var te *textError
		if errors.As(err, &te) {
			return formatError(b.file, te.line(f.ValueLine), explain.T("`"+f.Key+":` "+te.T.EN, "`"+f.Key+":` "+te.T.ZH), te.try())
		}
		return formatError(b.file, f.Line, explain.T(err.Error(), err.Error()), explain.Text{})
	}
	return nil
}

func (b *builder) endStep(st *Step) error {
	for _, h := range b.hints {
		st.Hints = append(st.Hints, *h)
	}
	line := strconv.Itoa(st.Line)
	switch {
	case st.Text.EN == "":
		return formatError(b.file, st.Line, explain.T("step "+strconv.Itoa(st.N)+" (line "+line+") has no `text:`", "第 "+strconv.Itoa(st.N)+" 步（第 "+line+" 行）没有 `text:`"),
			explain.T("say what to do in `text:` and `text.zh:`", "在 `text:` 和 `text.zh:` 中说明要做什么"))
	case len(st.Checks) == 0:
		return formatError(b.file, st.Line, explain.T("step "+strconv.Itoa(st.N)+" (line "+line+") has no `check:`", "第 "+strconv.Itoa(st.N)+" 步（第 "+line+" 行）没有 `check:`"),
			explain.T("add a check that fails now and passes once the step is done, e.g. `check: http GET /login/ status=200`",
				"添加一个现在失败、完成后通过的检查，例如 `check: http GET /login/ status=200`"))
	}
	return checkOneOf(b.file, st)
}

// checkOneOf: a step picks one of several broken states at most once, and
// a one-of solution has one alternative per state.
func checkOneOf(file string, st *Step) error {
	setup, setupLine := oneOfIn(st.Setup)
	sol, solLine := oneOfIn(st.Solution)
	switch {
	case setup < 0 && sol < 0:
		return nil
	case setup == -2 || sol == -2:
		return formatError(file, max(setupLine, solLine), explain.T("a second `one-of` in the same step", "同一步里出现第二个 `one-of`"),
			explain.T("a step picks one broken state; split the others into steps of their own", "一个步骤只随机选一种故障；其余的请拆成单独的步骤"))
	case sol >= 0 && sol != setup:
		return formatError(file, solLine, explain.T(fmt.Sprintf("the solution's one-of has %d alternatives, the setup's %d", sol, max(setup, 0)),
			fmt.Sprintf("solution 的 one-of 有 %d 种，setup 的有 %d 种", sol, max(setup, 0))),
			explain.T("write one solution line per setup line, in the same order", "每个 setup 行对应一个 solution 行，顺序相同"))
	}
	return nil
}

// oneOfIn counts the alternatives of the one-of in script: -1 for none,
// -2 for more than one.
func oneOfIn(script []*Action) (n, line int) {
	n = -1
	for _, a := range script {
		if a.Verb == "one-of" {
			if n >= 0 {
				return -2, a.Line
			}
			n, line = len(a.Alternatives), a.Line
		}
	}
	return n, line
}

func unknownKey(file string, f field) error {
	known := []string{"title", "goal", "step", "text", "hint", "done", "setup", "solution", "check"}
	name, _ := strings.CutSuffix(f.Key, ".zh")
	try := explain.T("the keys are "+strings.Join(known, ", ")+", and the text keys' .zh twins",
		"可用的键："+strings.Join(known, "、")+"，以及文字键的 .zh 版本")
	if best := nearest(name, known); best != "" {
		try = explain.T("did you mean `"+best+"`? The keys are "+strings.Join(known, ", "),
			"是不是想写 `"+best+"`？可用的键："+strings.Join(known, "、"))
	}
	if slices.Contains(stepScriptKeys, name) {
		try = explain.T("`"+name+"` is written once, in the lab's own words, without .zh", "`"+name+"` 用实验自己的命令写一次，不需要 .zh")
	}
	return formatError(file, f.Line, explain.T("unknown key `"+f.Key+"`", "未知的键 `"+f.Key+"`"), try)
}

// nearest is the candidate within two edits of s, if any.
func nearest(s string, cands []string) string {
	best, bestD := "", 3
	for _, c := range cands {
		if d := editDistance(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// Format writes a lesson back as a lesson file; Parse reads it back to the
// same lesson.
func Format(l *Lesson) []byte {
	var fs []field
	text := func(key string, t Text) {
		if t.EN != "" {
			fs = append(fs, field{Key: key, Value: t.EN})
		}
		if t.ZH != "" {
			fs = append(fs, field{Key: key + ".zh", Value: t.ZH})
		}
	}
	text("title", l.Title)
	text("goal", l.Goal)
	for _, st := range l.Steps {
		text("step", st.Title)
		text("text", st.Text)
		for _, a := range st.Setup {
			fs = append(fs, field{Key: "setup", Value: a.Raw})
		}
		for _, h := range st.Hints {
			text("hint", h)
		}
		for _, a := range st.Solution {
			fs = append(fs, field{Key: "solution", Value: a.Raw})
		}
		for _, c := range st.Checks {
			fs = append(fs, field{Key: "check", Value: c.Raw})
		}
		text("done", st.Done)
	}
	return formatFields(fs)
}

// A Curriculum is the lessons of one source, in order.
type Curriculum struct {
	Source  string // "built-in" or the folder
	Lessons []*Lesson
}

// LoadFS reads every *.lesson file in dir of fsys, in name order (so
// "01-…", "02-…" set the order). source names where they came from.
func LoadFS(fsys fs.FS, dir, source string) (*Curriculum, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.lesson"))
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, &explain.Error{
			What:  explain.T("lesson: no lesson files in "+source, "课程："+source+" 中没有课程文件"),
			Where: source,
			Why:   explain.T("lessons are files named like 01-first-request.lesson", "课程文件的名字形如 01-first-request.lesson"),
			Try:   explain.T("put one .lesson file per lesson in the folder (see the README's lesson format)", "在文件夹中为每节课放一个 .lesson 文件（格式见 README）"),
		}
	}
	slices.Sort(names)
	c := &Curriculum{Source: source}
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		file := name
		if source != "built-in" {
			file = filepath.Join(source, path.Base(name))
		}
		l, err := Parse(file, data)
		if err != nil {
			return nil, err
		}
		l.N = len(c.Lessons) + 1
		c.Lessons = append(c.Lessons, l)
	}
	return c, nil
}

// LoadDir reads a teacher's folder of lessons (`--lessons DIR`).
func LoadDir(dir string) (*Curriculum, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, &explain.Error{
			What:  explain.T("lesson: cannot read the folder "+dir, "课程：无法读取文件夹 "+dir),
			Where: dir, Why: explain.T(err.Error(), err.Error()),
			Try: explain.T("pass a folder of .lesson files: --lessons DIR", "请指定放有 .lesson 文件的文件夹：--lessons 目录"), Err: err}
	}
	return LoadFS(os.DirFS(dir), ".", dir)
}

// Find returns the lesson named by its number ("5") or its id or the id's
// words ("05-static", "static").
func (c *Curriculum) Find(name string) (*Lesson, error) {
	if n, err := strconv.Atoi(name); err == nil && n >= 1 && n <= len(c.Lessons) {
		return c.Lessons[n-1], nil
	}
	for _, l := range c.Lessons {
		if l.ID == name || strings.TrimLeft(l.ID, "0123456789-") == name {
			return l, nil
		}
	}
	return nil, &explain.Error{
		What: explain.T("lesson: no lesson "+strconv.Quote(name), "课程：没有课程 "+strconv.Quote(name)),
		Why:  explain.T(fmt.Sprintf("%s has lessons 1 to %d", c.Source, len(c.Lessons)), fmt.Sprintf("%s 中有第 1 到第 %d 课", c.Source, len(c.Lessons))),
		Try:  explain.T("see them: webflow-lab lesson list", "查看列表：webflow-lab lesson list"),
	}
}

// textError is a problem inside one field's value; the builder adds the
// file and line.
type textError struct {
	T      explain.Text
	Try    explain.Text
	Offset int // lines below the field's first line
}

func (e *textError) Error() string { return e.T.EN }

func (e *textError) line(fieldLine int) int { return fieldLine + e.Offset }

func (e *textError) try() explain.Text {
	if e.Try.EN != "" {
		return e.Try
	}
	return explain.T("see the README's list of setup, solution and check lines", "请参考 README 中 setup、solution 和 check 的写法")
}

func errText(en, zh string) error { return &textError{T: explain.T(en, zh)} }

func errTry(en, zh, tryEN, tryZH string) error {
	return &textError{T: explain.T(en, zh), Try: explain.T(tryEN, tryZH)}
}
