package lessons

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"webflow-lab/servers/explain"
	"webflow-lab/servers/proxy/config"
	"webflow-lab/servers/uwsgi/ini"
)

// ---- log: lines written since the step began ----

type logCheck struct {
	file string // below logs/, may be a glob
	op   string // has, lacks, matches
	text string
	re   *regexp.Regexp
}

func parseLogCheck(args []word) (checker, error) {
	if len(args) != 3 || (args[1].Text != "has" && args[1].Text != "lacks" && args[1].Text != "matches") {
		return nil, errTry("log is `log FILE has|lacks|matches TEXT`", "log 的写法是 `log 文件 has|lacks|matches 文本`",
			`log error.log has "open()"`, `log error.log has "open()"`)
	}
	c := &logCheck{file: args[0].Text, op: args[1].Text, text: args[2].Text}
	if err := checkPath(c.file); err != nil || strings.Contains(c.file, "/") {
		return nil, errTry("a log is a file of logs/: "+c.file, "日志是 logs/ 中的文件："+c.file, "access.log, error.log, uwsgi-1.log, uwsgi-*.log", "access.log、error.log、uwsgi-1.log、uwsgi-*.log")
	}
	if _, err := filepath.Match(c.file, ""); err != nil {
		return nil, errText("a bad pattern: "+c.file, "错误的通配符："+c.file)
	}
	if c.op == "matches" {
		re, err := regexp.Compile(c.text)
		if err != nil {
			return nil, errText("a bad regular expression: "+err.Error(), "错误的正则表达式："+err.Error())
		}
		c.re = re
	}
	return c, nil
}

func (c *logCheck) what() Text {
	switch c.op {
	case "has":
		return tf("logs/%s gets a line with “%s”", "logs/%s 中出现包含 “%s” 的行", c.file, c.text)
	case "lacks":
		return tf("logs/%s gets no line with “%s”", "logs/%s 中不再出现包含 “%s” 的行", c.file, c.text)
	}
	return tf("logs/%s gets a line matching %s", "logs/%s 中出现匹配 %s 的行", c.file, c.text)
}

// logSettle is how long a log check waits for a line that is not there
// yet: servers write a request's log line as it ends, which can be just
// after its client has the answer.
const logSettle = 500 * time.Millisecond

func (c *logCheck) run(ctx context.Context, e *env) (bool, Text) {
	text, re := e.expand(c.text), c.re
	if text != c.text && re != nil {
		var err error
		if re, err = regexp.Compile(text); err != nil {
			return false, tf("a bad regular expression: %v", "错误的正则表达式：%v", err)
		}
	}
	var lines []logLine
	var names []string
	var hit logLine
	deadline := time.Now().Add(logSettle)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		lines, names = e.newLogLines(c.file)
		hit = logLine{}
		for _, l := range lines {
			if re != nil && re.MatchString(l.text) || re == nil && strings.Contains(l.text, text) {
				hit = l
				break
			}
		}
		if hit.text != "" || time.Now().After(deadline) {
			break
		}
		select { // wait for the line to be written, at most logSettle
		case <-tick.C:
		case <-ctx.Done():
			return false, tf("the check was stopped", "检查被中止")
		}
	}
	where := "logs/" + c.file
	if len(names) == 1 {
		where = "logs/" + names[0]
	}
	switch {
	case c.op == "lacks" && hit.text != "":
		return false, tf("logs/%s has, since the step began: %s", "logs/%s 中（本步骤开始后）有：%s", hit.file, clip80(hit.text))
	case c.op == "lacks":
		return true, tf("%s: %d new line(s), none with “%s”", "%s：%d 行新内容，没有 “%s”", where, len(lines), c.text)
	case hit.text != "":
		return true, tf("logs/%s: %s", "logs/%s：%s", hit.file, clip80(hit.text))
	case len(lines) == 0:
		return false, tf("nothing was written to %s since the step began", "本步骤开始后 %s 中没有写入任何内容", where)
	}
	last := lines[len(lines)-1]
	return false, tf("%s has %d new line(s), none with “%s”; the last: %s", "%s 有 %d 行新内容，都不含 “%s”；最后一行：%s", where, len(lines), c.text, clip80(last.text))
}

func clip80(s string) string {
	r := []rune(s)
	if len(r) <= 160 {
		return s
	}
	return string(r[:160]) + "…"
}

// ---- config: nginx.conf as nginx -t reads it ----

type configCheck struct {
	file string
	op   string // ok, has, lacks
	text string
	in   string
}

func parseConfigCheck(args []word) (checker, error) {
	c := &configCheck{}
	var rest []word
	for _, w := range args {
		if w.Key == "in" {
			c.in = normDirective(w.Text)
		} else {
			rest = append(rest, w)
		}
	}
	ok := len(rest) == 2 && rest[1].Text == "ok" || len(rest) == 3 && (rest[1].Text == "has" || rest[1].Text == "lacks")
	if !ok {
		return nil, errTry("config is `config FILE ok` or `config FILE has|lacks \"DIRECTIVE ARGS\" [in=\"BLOCK\"]`",
			"config 的写法是 `config 文件 ok` 或 `config 文件 has|lacks \"指令 参数\" [in=\"块\"]`",
			`config nginx.conf has "alias static/" in="location /static/"`, `config nginx.conf has "alias static/" in="location /static/"`)
	}
	c.file, c.op = rest[0].Text, rest[1].Text
	if err := checkPath(c.file); err != nil {
		return nil, err
	}
	if len(rest) == 3 {
		c.text = normDirective(rest[2].Text)
	}
	return c, nil
}

func normDirective(s string) string {
	return strings.Join(strings.Fields(strings.TrimRight(strings.TrimSpace(s), ";{")), " ")
}

func (c *configCheck) what() Text {
	in, inZH := "", ""
	if c.in != "" {
		in, inZH = " in `"+c.in+"`", "在 `"+c.in+"` 中"
	}
	switch c.op {
	case "ok":
		return tf("nginx -t accepts %s", "nginx -t 通过 %s", c.file)
	case "has":
		return explain.T(fmt.Sprintf("%s has `%s;`%s", c.file, c.text, in), fmt.Sprintf("%s %s有 `%s;`", c.file, inZH, c.text))
	}
	return explain.T(fmt.Sprintf("%s has no `%s;`%s", c.file, c.text, in), fmt.Sprintf("%s %s没有 `%s;`", c.file, inZH, c.text))
}

func (c *configCheck) run(_ context.Context, e *env) (bool, Text) {
	c = &configCheck{file: c.file, op: c.op, text: normDirective(e.expand(c.text)), in: normDirective(e.expand(c.in))}
	cfg, err := config.Load(filepath.Join(e.dir, filepath.FromSlash(c.file)))
	if err != nil {
		var xe *explain.Error
		if errors.As(err, &xe) {
			return false, explain.T(fmt.Sprintf("nginx -t refuses %s: %s (%s)", c.file, xe.What.EN, e.rel(xe.Where)), fmt.Sprintf("nginx -t 拒绝了 %s：%s（%s）", c.file, xe.What.In("zh"), e.rel(xe.Where)))
		}
		return false, tf("nginx -t refuses %s: %v", "nginx -t 拒绝了 %s：%v", c.file, err)
	}
	if c.op == "ok" {
		return true, tf("nginx -t: the configuration file %s syntax is ok", "nginx -t：配置文件 %s 语法正确", c.file)
	}
	scope := cfg.Directives
	if c.in != "" {
		blocks := findDirectives(cfg.Directives, func(d *config.Directive) bool { return d.IsBlock() && dirText(d) == c.in })
		if len(blocks) == 0 {
			return false, tf("%s has no block `%s { … }`", "%s 中没有 `%s { … }` 块", c.file, c.in)
		}
		scope = nil
		for _, b := range blocks {
			scope = append(scope, b.Block...)
		}
	}
	found := findDirectives(scope, func(d *config.Directive) bool { return dirText(d) == c.text })
	name, _, _ := strings.Cut(c.text, " ")
	if c.op == "lacks" {
		if len(found) > 0 {
			return false, tf("%s still has `%s;` at %s", "%s 中仍然有 `%s;`（%s）", c.file, c.text, e.rel(found[0].Where()))
		}
		return true, tf("%s has no `%s;`", "%s 中没有 `%s;`", c.file, c.text)
	}
	if len(found) > 0 {
		return true, tf("`%s;` at %s", "`%s;` 在 %s", c.text, e.rel(found[0].Where()))
	}
	same := findDirectives(scope, func(d *config.Directive) bool { return d.Name == name })
	if len(same) > 0 {
		return false, tf("want `%s;`, the config says `%s;` at %s", "期望 `%s;`，配置中是 `%s;`（%s）", c.text, dirText(same[0]), e.rel(same[0].Where()))
	}
	return false, tf("%s has no %s directive there", "%s 中那里没有 %s 指令", c.file, name)
}

func dirText(d *config.Directive) string {
	return normDirective(d.Name + " " + strings.Join(d.Args, " "))
}

func findDirectives(list []*config.Directive, match func(*config.Directive) bool) []*config.Directive {
	var out []*config.Directive
	for _, d := range list {
		if match(d) {
			out = append(out, d)
		}
		out = append(out, findDirectives(d.Block, match)...)
	}
	return out
}

// ---- ini: an app server's options as uWSGI reads them ----

type iniCheck struct {
	file string
	ok   bool
	key  string
	op   string // "=", ">=", "<="
	val  string
}

func parseIniCheck(args []word) (checker, error) {
	usage := errTry("ini is `ini FILE ok` or `ini FILE OPTION=VALUE` (or OPTION>=N, OPTION<=N)", "ini 的写法是 `ini 文件 ok` 或 `ini 文件 选项=值`（或 选项>=N、选项<=N）",
		`ini uwsgi-1.ini processes>=2, ini uwsgi-2.ini env="EMS_SESSIONS=db"`, `ini uwsgi-1.ini processes>=2，ini uwsgi-2.ini env="EMS_SESSIONS=db"`)
	if len(args) != 2 {
		return nil, usage
	}
	c := &iniCheck{file: args[0].Text}
	if err := checkPath(c.file); err != nil {
		return nil, err
	}
	w := args[1]
	switch {
	case w.Key == "" && w.Text == "ok":
		c.ok = true
	case w.Key != "":
		c.key, c.op, c.val = w.Key, "=", w.Text
	default:
		for _, op := range []string{">=", "<="} {
			if k, v, found := strings.Cut(w.Text, op); found {
				if _, err := strconv.Atoi(v); err != nil || !isIdent(k) {
					return nil, usage
				}
				c.key, c.op, c.val = k, op, v
			}
		}
		if c.key == "" {
			return nil, usage
		}
	}
	return c, nil
}

func (c *iniCheck) what() Text {
	if c.ok {
		return tf("uWSGI reads %s with no surprise", "uWSGI 读取 %s 没有意外", c.file)
	}
	return tf("%s: %s %s %s", "%s：%s %s %s", c.file, c.key, c.op, c.val)
}

// aliases are the options uWSGI knows under more than one name.
var aliases = map[string][]string{"processes": {"processes", "workers", "p"}, "socket": {"socket", "uwsgi-socket", "s"}}

func (c *iniCheck) run(_ context.Context, e *env) (bool, Text) {
	path := filepath.Join(e.dir, filepath.FromSlash(c.file))
	cfg, err := ini.LoadFile(path)
	if err != nil {
		return false, tf("uWSGI cannot read %s: %v", "uWSGI 无法读取 %s：%v", c.file, err)
	}
	if c.ok {
		if len(cfg.Notes) > 0 {
			n := cfg.Notes[0]
			return false, explain.T(fmt.Sprintf("%s: %s (%s)", c.file, n.What.EN, e.rel(n.Where)), fmt.Sprintf("%s：%s（%s）", c.file, n.What.In("zh"), e.rel(n.Where)))
		}
		return true, tf("%s reads as it looks", "%s 的读取结果与字面一致", c.file)
	}
	names := aliases[c.key]
	if names == nil {
		names = []string{c.key}
	}
	want := strings.ReplaceAll(e.expand(c.val), "%d", filepath.Dir(path)+string(filepath.Separator))
	var vals []string
	for _, o := range cfg.Options {
		for _, n := range names {
			if o.Key == n {
				vals = append(vals, o.Value)
			}
		}
	}
	if len(vals) == 0 {
		return false, tf("%s has no %s option", "%s 中没有 %s 选项", c.file, c.key)
	}
	switch c.op {
	case "=":
		for _, v := range vals {
			if v == want {
				return true, tf("%s: %s = %s", "%s：%s = %s", c.file, c.key, v)
			}
		}
		return false, tf("%s: %s = %s, want %s", "%s：%s = %s，期望 %s", c.file, c.key, strings.Join(vals, ", "), want)
	}
	got := atoi(vals[len(vals)-1]) // uWSGI reads numbers with C's atoi, last one wins
	n, _ := strconv.Atoi(c.val)
	if c.op == ">=" && got >= n || c.op == "<=" && got <= n {
		return true, tf("%s: %s = %d", "%s：%s = %d", c.file, c.key, got)
	}
	return false, tf("%s: %s = %d, want %s %s", "%s：%s = %d，期望 %s %s", c.file, c.key, got, c.op, c.val)
}

// atoi reads a number as C's atoi does: leading digits, the rest ignored.
func atoi(s string) int {
	s = strings.TrimSpace(s)
	n, i := 0, 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		n = n*10 + int(s[i]-'0')
		i++
	}
	return n
}

// ---- file: a workspace file ----

type fileCheck struct {
	path string
	op   string // exists, missing, has, lacks
	text string
}

func parseFileCheck(args []word) (checker, error) {
	usage := errTry("file is `file PATH exists|missing` or `file PATH has|lacks TEXT`", "file 的写法是 `file 路径 exists|missing` 或 `file 路径 has|lacks 文本`",
		"file static/ems/css/style.css exists", "file static/ems/css/style.css exists")
	if len(args) < 2 {
		return nil, usage
	}
	c := &fileCheck{path: args[0].Text, op: args[1].Text}
	if err := checkPath(c.path); err != nil {
		return nil, err
	}
	switch {
	case (c.op == "exists" || c.op == "missing") && len(args) == 2:
	case (c.op == "has" || c.op == "lacks") && len(args) == 3:
		c.text = args[2].Text
	default:
		return nil, usage
	}
	return c, nil
}

func (c *fileCheck) what() Text {
	switch c.op {
	case "exists":
		return tf("%s exists", "%s 存在", c.path)
	case "missing":
		return tf("%s is gone", "%s 不存在", c.path)
	case "has":
		return tf("%s contains “%s”", "%s 包含 “%s”", c.path, c.text)
	}
	return tf("%s does not contain “%s”", "%s 不包含 “%s”", c.path, c.text)
}

func (c *fileCheck) run(_ context.Context, e *env) (bool, Text) {
	p := filepath.Join(e.dir, filepath.FromSlash(e.expand(c.path)))
	b, err := os.ReadFile(p)
	_, statErr := os.Stat(p)
	exists := statErr == nil
	switch c.op {
	case "exists":
		if !exists {
			return false, tf("%s does not exist", "%s 不存在", c.path)
		}
		return true, tf("%s is there", "%s 存在", c.path)
	case "missing":
		if exists {
			return false, tf("%s is still there", "%s 仍然存在", c.path)
		}
		return true, tf("%s is gone", "%s 已不存在", c.path)
	}
	if err != nil {
		return false, tf("cannot read %s: %v", "无法读取 %s：%v", c.path, err)
	}
	text := e.expand(c.text)
	has := strings.Contains(string(b), text)
	switch {
	case c.op == "has" && !has:
		return false, tf("%s does not contain “%s”", "%s 中没有 “%s”", c.path, text)
	case c.op == "lacks" && has:
		line := 1 + strings.Count(string(b)[:strings.Index(string(b), text)], "\n")
		return false, tf("%s:%d still contains “%s”", "%s:%d 仍然包含 “%s”", c.path, line, text)
	}
	return true, tf("%s: as wanted", "%s：符合要求", c.path)
}

// ---- answer: the learner's answer to a question ----

type answerCheck struct{ accept []string }

func parseAnswerCheck(args []word) (checker, error) {
	if len(args) == 0 {
		return nil, errTry("answer lists the accepted answers", "answer 后面列出可接受的答案", `answer 2 "two"`, `answer 2 "两"`)
	}
	c := &answerCheck{}
	for _, w := range args {
		c.accept = append(c.accept, normAnswer(w.String()))
	}
	return c, nil
}

func normAnswer(s string) string { return strings.Join(strings.Fields(s), " ") }

func (c *answerCheck) what() Text {
	return tf("your answer (webflow-lab lesson answer …)", "你的答案（webflow-lab lesson answer …）")
}

func (c *answerCheck) run(_ context.Context, e *env) (bool, Text) {
	got := normAnswer(e.state.Answer)
	if got == "" {
		return false, tf("no answer yet: webflow-lab lesson answer YOUR-ANSWER", "还没有回答：webflow-lab lesson answer 你的答案")
	}
	for _, a := range c.accept {
		if got == a {
			return true, tf("“%s” is right", "“%s” 正确", got)
		}
	}
	return false, tf("“%s” is not it; look again (a hint may help)", "“%s” 不对；再看看（提示也许有帮助）", got)
}

func (e *env) rel(where string) string {
	if r, ok := strings.CutPrefix(where, e.dir+string(filepath.Separator)); ok {
		return r
	}
	return where
}

var _ = fmt.Sprint
