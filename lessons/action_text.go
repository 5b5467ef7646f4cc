package lessons

import (
	"strconv"
	"strings"
)

// Show says what the action is in a learner's words: the command to type,
// the edit to make, the page to open — with the step's variables filled in.
// The last "hint" is the solution shown this way.
func (a *Action) Show(state *StepState) Text {
	vars := state.Vars
	x := func(s string) string { return expandVars(s, vars) }
	cmd := vars["cmd"]
	if cmd == "" {
		cmd = "webflow-lab"
	}
	args := make([]string, len(a.Args))
	for i, w := range a.Args {
		args[i] = x(w.String())
	}
	switch a.Verb {
	case "run":
		line := strings.Join(args, " ")
		line = strings.TrimPrefix(strings.TrimPrefix(line, "webflow-lab "), "ctl ")
		switch {
		case strings.HasPrefix(line, "nginx "):
			line = cmd + " proxy -p " + vars["workspace"] + " -c nginx.conf " + strings.TrimPrefix(line, "nginx ")
		case strings.HasPrefix(line, "uwsgi ") && len(args) == 3:
			line = cmd + " uwsgi " + args[1] + " " + vars["workspace"] + "/" + args[2]
		case strings.HasPrefix(line, "collectstatic"):
			line = cmd + " collectstatic --static-root " + vars["workspace"] + "/static"
		default:
			ws := ""
			if w := vars["workspace"]; w != "" && w != "workspace" {
				ws = "--workspace " + w + " "
			}
			line = cmd + " ctl " + ws + line
		}
		return Text{EN: "run: " + line, ZH: "运行：" + line}
	case "replace":
		return tf("in %s, change %s to %s", "把 %s 中的 %s 改成 %s", args[0], quote(args[1]), quote(args[2]))
	case "edit":
		body := "\n" + indentLines(x(a.Body), "    ")
		return tf("edit %s (- a line goes, + a line comes):%s", "修改 %s（- 表示删除这一行，+ 表示加上这一行）：%s", args[0], body)
	case "write", "append":
		body := "\n" + indentLines(x(a.Body), "    ")
		if a.Verb == "append" {
			return tf("add at the end of %s:%s", "在 %s 末尾加上：%s", args[0], body)
		}
		return tf("write %s:%s", "写入文件 %s：%s", args[0], body)
	case "remove":
		return tf("delete %s", "删除 %s", args[0])
	case "copy":
		return tf("copy %s to %s", "把 %s 复制到 %s", args[0], args[1])
	case "open", "curl":
		r, _ := parseRequest(a.Verb, a.Args)
		r = request{Method: r.Method, Path: x(r.Path), To: x(r.To), Host: x(r.Host), Data: x(r.Data), Header: r.Header, Timeout: r.Timeout}
		base := vars["url"]
		if r.To != "" && r.To != "proxy" {
			base = "http://" + vars[r.To+".http"]
		}
		if a.Verb == "open" {
			return tf("open %s in the browser", "在浏览器中打开 %s", base+r.Path)
		}
		c := "curl"
		switch {
		case r.Method == "HEAD":
			c += " -I"
		case r.Method != "" && r.Method != "GET":
			c += " -X " + r.Method
		}
		if r.Host != "" {
			c += " -H 'Host: " + r.Host + "'"
		}
		for _, h := range r.Header {
			c += " -H '" + h + "'"
		}
		if r.Data != "" {
			c += " -d '" + r.Data + "'"
		}
		if r.Timeout > 0 {
			c += " --max-time " + strconv.FormatFloat(r.Timeout.Seconds(), 'g', -1, 64)
		}
		c += " '" + base + r.Path + "'"
		return Text{EN: "run: " + c, ZH: "运行：" + c}
	case "register":
		return tf("register a new user in the browser: %s/register/", "在浏览器中注册一个新用户：%s/register/", vars["url"])
	case "login":
		return tf("log in as that user: %s/login/", "用这个用户登录：%s/login/", vars["url"])
	case "answer":
		line := cmd + " lesson answer " + strings.Join(args, " ")
		return Text{EN: "run: " + line, ZH: "运行：" + line}
	case "one-of":
		pick := state.Pick
		if pick < 0 || pick >= len(a.Alternatives) {
			pick = 0
		}
		var en, zh []string
		for _, sub := range a.Alternatives[pick] {
			t := sub.Show(state)
			en, zh = append(en, t.EN), append(zh, t.ZH)
		}
		return Text{EN: strings.Join(en, "\n"), ZH: strings.Join(zh, "\n")}
	}
	return Text{EN: a.Raw, ZH: a.Raw}
}

func indentLines(s, ind string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = ind + l
		}
	}
	return strings.Join(lines, "\n")
}
