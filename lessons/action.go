package lessons

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"webflow-lab/servers/ems/web"
	"webflow-lab/servers/explain"
	"webflow-lab/servers/proxy/config"
)

// An Action is one line of a step's setup or solution: what a learner (or
// the teacher preparing the class) does to the lab. Each is something a
// learner can do by hand: type a command, edit a file, open a page.
//
//	run COMMAND…            a command in a second terminal: the lab's own words (db stop, strategy ip_hash,
//	                        start uwsgi-2) or the real servers' (nginx -s reload, uwsgi --stop uwsgi-1.pid);
//	                        "webflow-lab" and "ctl" in front are optional; also collectstatic and proxy -t
//	replace FILE OLD NEW    change the one place OLD is written in FILE into NEW
//	edit FILE               a patch below it: lines starting "-" go, "+" come, " " must be there
//	write FILE / append FILE  the lines below it become the file / are added at its end
//	remove PATH             delete a file or folder of the workspace
//	copy FROM TO            copy a workspace file
//	open PATH [@INSTANCE]   a browser visit: the page, then its stylesheets, scripts and images
//	curl [METHOD] PATH [@INSTANCE] [host=NAME] [timeout=2s] [data=BODY]   one request
//	register / login        the EMS's register and login forms, through the proxy, as a new user
//	answer TEXT             the learner's answer to a question
//	one-of                  each line below is one alternative (actions joined by &&); one is picked at random
//
// FILE and PATH are relative to the workspace and stay inside it. {url},
// {uwsgi-1.socket} and the other variables are filled in when it runs.
type Action struct {
	Raw          string // as written
	Line         int
	Verb         string
	Args         []word
	Body         string      // the lines below the first
	Alternatives [][]*Action // one-of
}

var actionVerbs = []string{"run", "replace", "edit", "write", "append", "remove", "copy", "open", "curl", "register", "login", "answer", "one-of"}

func parseAction(value string, line int) (*Action, error) {
	head, body, _ := strings.Cut(value, "\n")
	words, err := splitWords(head)
	if err != nil {
		return nil, err
	}
	if len(words) == 0 {
		return nil, errTry("an empty action", "空的操作", "write an action: "+strings.Join(actionVerbs, ", "), "请写一个操作："+strings.Join(actionVerbs, "、"))
	}
	a := &Action{Raw: value, Line: line, Verb: words[0].Text, Args: words[1:], Body: body}
	n := len(a.Args)
	needFile := func(min, max int) error {
		if n < min || n > max {
			return argCount(a.Verb, min, max)
		}
		for _, w := range a.Args[:min] {
			if err := checkPath(w.Text); err != nil {
				return err
			}
		}
		return nil
	}
	switch a.Verb {
	case "run":
		if n == 0 {
			return nil, errTry("`run` needs a command", "`run` 需要一条命令", "for example: run nginx -s reload", "例如：run nginx -s reload")
		}
	case "replace":
		err = needFile(3, 3)
	case "edit":
		if err = needFile(1, 1); err == nil {
			_, err = parsePatch(body)
		}
	case "write", "append":
		err = needFile(1, 1)
	case "remove":
		err = needFile(1, 1)
	case "copy":
		err = needFile(2, 2)
	case "open", "curl":
		_, err = parseRequest(a.Verb, a.Args)
	case "register", "login":
		if n != 0 {
			err = argCount(a.Verb, 0, 0)
		}
	case "answer":
		if n == 0 {
			err = errTry("`answer` needs the answer", "`answer` 需要答案", "for example: answer 2", "例如：answer 2")
		}
	case "one-of":
		if n != 0 || strings.TrimSpace(body) == "" {
			return nil, errTry("`one-of` takes no words; its alternatives are the lines below it", "`one-of` 后面不跟参数；备选项写在下面的行里",
				"one-of\n  run db stop\n  run static break", "one-of\n  run db stop\n  run static break")
		}
		for i, alt := range strings.Split(body, "\n") {
			var acts []*Action
			for _, part := range strings.Split(alt, " && ") {
				sub, err := parseAction(strings.TrimSpace(part), line+1+i)
				if err != nil {
					if te, ok := err.(*textError); ok {
						te.Offset = 1 + i
					}
					return nil, err
				}
				if sub.Verb == "one-of" || sub.Body != "" {
					return nil, &textError{T: explain.T("an alternative of `one-of` is one line", "`one-of` 的每个备选项只能占一行"), Offset: 1 + i}
				}
				acts = append(acts, sub)
			}
			a.Alternatives = append(a.Alternatives, acts)
		}
	default:
		return nil, errTry("unknown action "+quote(a.Verb), "未知的操作 "+quote(a.Verb),
			"the actions are "+strings.Join(actionVerbs, ", "), "可用的操作："+strings.Join(actionVerbs, "、"))
	}
	if err != nil {
		return nil, err
	}
	return a, nil
}

func argCount(verb string, min, max int) error {
	want := fmt.Sprint(min)
	if max != min {
		want = fmt.Sprintf("%d to %d", min, max)
	}
	return errText(fmt.Sprintf("`%s` takes %s words", verb, want), fmt.Sprintf("`%s` 需要 %s 个参数", verb, want))
}

// checkPath refuses a path that leaves the workspace. Variables are checked
// again once filled in.
func checkPath(p string) error {
	if p == "" || path.IsAbs(p) || filepath.IsAbs(p) || !filepath.IsLocal(filepath.FromSlash(p)) {
		return errTry(quote(p)+" is not a path inside the workspace", quote(p)+" 不是工作区内的路径",
			"write it relative to the workspace, like conf.d/ems.conf", "请写成相对于工作区的路径，例如 conf.d/ems.conf")
	}
	return nil
}

// do runs the action (or, for one-of, the alternative pick) and says what
// it did, for the teacher's screen.
func (a *Action) do(ctx context.Context, e *env, pick int) (string, error) {
	if a.Verb == "one-of" {
		if pick < 0 || pick >= len(a.Alternatives) {
			pick = 0
		}
		var out []string
		for _, sub := range a.Alternatives[pick] {
			s, err := sub.do(ctx, e, pick)
			if err != nil {
				return strings.Join(out, "\n"), err
			}
			out = append(out, s)
		}
		return strings.Join(out, "\n"), nil
	}
	args := make([]string, len(a.Args))
	for i, w := range a.Args {
		args[i] = e.expand(w.Text)
		if w.Key != "" {
			args[i] = w.Key + "=" + args[i]
		}
	}
	body := e.expand(a.Body)
	file := func(i int) (string, error) {
		if err := checkPath(args[i]); err != nil {
			return "", &explain.Error{What: explain.T("lesson: "+args[i]+" is outside the workspace", "课程："+args[i]+" 在工作区之外")}
		}
		return filepath.Join(e.dir, filepath.FromSlash(args[i])), nil
	}
	switch a.Verb {
	case "run":
		return e.run(ctx, args)
	case "replace":
		p, err := file(0)
		if err != nil {
			return "", err
		}
		return args[0] + ": " + quote(args[1]) + " → " + quote(args[2]), replaceOnce(p, args[0], args[1], args[2])
	case "edit":
		p, err := file(0)
		if err != nil {
			return "", err
		}
		patch, err := parsePatch(body)
		if err != nil {
			return "", err
		}
		return "edited " + args[0] + "\n" + body, patch.apply(p, args[0])
	case "write", "append":
		p, err := file(0)
		if err != nil {
			return "", err
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return "", err
		}
		flag := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
		if a.Verb == "append" {
			flag = os.O_CREATE | os.O_WRONLY | os.O_APPEND
		}
		f, err := os.OpenFile(p, flag, 0o644)
		if err != nil {
			return "", err
		}
		_, err = f.WriteString(body + "\n")
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return a.Verb + " " + args[0], err
	case "remove":
		p, err := file(0)
		if err != nil {
			return "", err
		}
		return "removed " + args[0], os.RemoveAll(p)
	case "copy":
		from, err := file(0)
		if err != nil {
			return "", err
		}
		to, err := file(1)
		if err != nil {
			return "", err
		}
		b, err := os.ReadFile(from)
		if err != nil {
			return "", err
		}
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			return "", err
		}
		return "copied " + args[0] + " to " + args[1], os.WriteFile(to, b, 0o644)
	case "open", "curl":
		r, err := parseRequest(a.Verb, a.Args)
		if err != nil {
			return "", err
		}
		return e.browse(ctx, a.Verb, r.expand(e))
	case "register":
		return e.register(ctx)
	case "login":
		return e.login(ctx)
	case "answer":
		e.state.Answer = strings.Join(args, " ")
		return "answered " + quote(e.state.Answer), nil
	}
	return "", fmt.Errorf("lesson: unknown action %q", a.Verb)
}

// run is `run …`: the command as a learner types it in a second terminal.
func (e *env) run(ctx context.Context, args []string) (string, error) {
	if args[0] == "webflow-lab" {
		args = args[1:]
	}
	if len(args) > 0 && args[0] == "ctl" {
		args = args[1:]
	}
	if len(args) == 0 {
		return "", errors.New("lesson: run: no command")
	}
	line := strings.Join(args, " ")
	switch {
	case args[0] == "collectstatic":
		root := "static"
		for i, w := range args {
			if w == "--static-root" && i+1 < len(args) {
				root = args[i+1]
			}
		}
		if err := checkPath(root); err != nil {
			return "", err
		}
		res, err := web.CollectStatic(filepath.Join(e.dir, filepath.FromSlash(root)))
		return "collectstatic: " + res.String(), err
	case (args[0] == "proxy" || args[0] == "nginx") && args[len(args)-1] == "-t":
		conf := filepath.Join(e.dir, "nginx.conf")
		cfg, err := config.Load(conf)
		out := config.Transcript(conf, cfg, err, e.lang)
		if err != nil {
			return out, &explain.Error{What: explain.T("nginx -t: the configuration is refused", "nginx -t：配置文件有错误"), Where: "nginx.conf",
				Why: explain.T(firstLine(out), firstLine(out)), Err: err}
		}
		return out, nil
	}
	r, err := e.lab.Do(ctx, line)
	if err != nil {
		return "", err
	}
	out := r.Did.In(e.lang)
	if r.Equivalent != "" {
		out += "  ≈ " + r.Equivalent
	}
	return out, nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// replaceOnce replaces the one occurrence of old in the file.
func replaceOnce(p, name, old, new string) error {
	b, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	if n := strings.Count(string(b), old); n != 1 {
		return &explain.Error{
			What:  explain.T(fmt.Sprintf("lesson: %q is in %s %d times, not once", old, name, n), fmt.Sprintf("课程：%q 在 %s 中出现了 %d 次，而不是一次", old, name, n)),
			Where: name,
			Why:   explain.T("the file is not as the step expects it", "文件与这一步预期的不一样"),
			Try:   explain.T("reset the step (webflow-lab lesson reset), or make the edit by hand", "重置这一步（webflow-lab lesson reset），或者手动修改"),
		}
	}
	return os.WriteFile(p, []byte(strings.Replace(string(b), old, new, 1)), 0o644)
}
