package lessons

import (
	"context"
	"fmt"
	"strings"

	"webflow-lab/servers/explain"
)

// A Check is one line of a step's checks: a question put to the live lab.
// It passes or it says what the lab showed instead — "GET
// /static/ems/css/style.css got 404 from nginx: open() \"…\" failed" —
// never only "wrong".
//
//	http [METHOD] PATH [@INSTANCE] [host=… data=… header=… timeout=…] [repeat=N | concurrent=N stagger=D] EXPECT…
//	     status=200  header="Content-Type: text/css"  body="served by"  lacks="Traceback"
//	     served-by=uwsgi-2 | one | each | nginx | uwsgi-2>=5   failed-at=proxy→uwsgi
//	     packet="PATH_INFO=/login/"   within=900ms
//	log FILE has|lacks|matches TEXT      lines of logs/FILE written since the step began (FILE may be a glob)
//	config FILE ok | has|lacks "DIRECTIVE ARGS" [in="location /static/"]
//	ini FILE ok | OPTION=VALUE | OPTION>=N | OPTION<=N
//	file PATH exists|missing | has|lacks TEXT
//	lab db running|stopped · proxy running|stopped|ok · instance NAME running|stopped|killed|failed|slots>=N
//	    strategy ip_hash · weights 3,1 · sessions db|memory · databases shared|separate · port N open|blocked
//	    faults none · breakpoints none · did TEXT · healthy
//	answer TEXT [TEXT…]                  what the learner answered (webflow-lab lesson answer …)
//	bench PATH [c=16] [d=2s] qps>=N [p99<=D]   a load test through nginx, as webflow-lab bench
type Check struct {
	Raw  string
	Line int
	Kind string // http, log, config, ini, file, lab, answer
	impl checker
}

type checker interface {
	// what says what the check wants, for the lesson panel.
	what() Text
	// run asks the lab; it returns whether the check passes and what the
	// lab showed.
	run(ctx context.Context, e *env) (bool, Text)
}

var checkKinds = []string{"http", "log", "config", "ini", "file", "lab", "answer", "bench"}

func parseCheck(value string, line int) (*Check, error) {
	if strings.Contains(value, "\n") {
		return nil, errTry("a check is one line", "一个检查只能占一行", "write each check on its own `check:` line", "每个检查各写一行 `check:`")
	}
	words, err := splitWords(value)
	if err != nil {
		return nil, err
	}
	if len(words) == 0 {
		return nil, errTry("an empty check", "空的检查", "the checks are "+strings.Join(checkKinds, ", "), "可用的检查："+strings.Join(checkKinds, "、"))
	}
	c := &Check{Raw: value, Line: line, Kind: words[0].Text}
	args := words[1:]
	switch c.Kind {
	case "http":
		c.impl, err = parseHTTPCheck(args)
	case "log":
		c.impl, err = parseLogCheck(args)
	case "config":
		c.impl, err = parseConfigCheck(args)
	case "ini":
		c.impl, err = parseIniCheck(args)
	case "file":
		c.impl, err = parseFileCheck(args)
	case "lab":
		c.impl, err = parseLabCheck(args)
	case "answer":
		c.impl, err = parseAnswerCheck(args)
	case "bench":
		c.impl, err = parseBenchCheck(args)
	default:
		try := "the checks are " + strings.Join(checkKinds, ", ")
		if n := nearest(c.Kind, checkKinds); n != "" {
			try = "did you mean " + n + "? " + try
		}
		return nil, errTry("unknown check "+quote(c.Kind), "未知的检查 "+quote(c.Kind), try, "可用的检查："+strings.Join(checkKinds, "、"))
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// What says what the check wants, in both languages.
func (c *Check) What() Text { return c.impl.what() }

// A Result is one check's outcome.
type Result struct {
	Check *Check
	Pass  bool
	Saw   Text // what the lab showed; for a pass, a short confirmation
}

// Passed reports whether every result passed.
func Passed(rs []Result) bool {
	for _, r := range rs {
		if !r.Pass {
			return false
		}
	}
	return len(rs) > 0
}

func (c *Check) run(ctx context.Context, e *env) Result {
	pass, saw := c.impl.run(ctx, e)
	return Result{Check: c, Pass: pass, Saw: saw}
}

// tf is fmt.Sprintf in both languages, with the same arguments.
func tf(en, zh string, a ...any) Text {
	return explain.T(fmt.Sprintf(en, a...), fmt.Sprintf(zh, a...))
}

// show writes a learner's text in quotes that need no escaping: “"GET /" 200”.
func show(s string) string { return "“" + s + "”" }
