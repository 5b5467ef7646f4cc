package traffic

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"webflow-lab/servers/explain"
)

// A Spec is a traffic file: what the lab sends, one line per item.
//
//	# a lesson's traffic
//	3 browsers, journey login-list, every 2s
//	100 GET /employees/ from 20 users
//	load /employees/ -c 20 -d 10s --rate 200
//
// Blank lines and everything after a # are ignored. Keywords are case
// insensitive; Format writes them in lower case, one item per line.
type Spec struct {
	Items []Item
	Lines []int // Lines[i] is the line Items[i] came from (1-based)
}

// An Item is one line of a Spec: a *Browse, a *Fetch or a *Load.
type Item interface{ item() }

// Browse is "N browsers, journey STEPS[, every D][, for D][, N times]":
// N virtual browsers, each walking the journey; with every, again every D
// (from the start of one walk to the start of the next), until for D has
// passed or it walked N times (with neither, until the lab stops it).
type Browse struct {
	Browsers int
	Journey  Journey
	Every    time.Duration // 0: walk once (or Times times back to back)
	For      time.Duration // 0: no time limit
	Times    int           // 0: no count limit
}

// Fetch is "N METHOD PATH from U users[, every D]": N plain requests (no
// page resources) shared out among U virtual users, each its own browser
// with its own address, each pausing D between its requests.
type Fetch struct {
	Count  int
	Method string
	Path   string
	Users  int
	Every  time.Duration
}

// Load is "load [METHOD] PATH [-c N] [-n N | -d D] [--rate R]": the load
// generator, with webflow-lab bench's flags and defaults.
type Load struct {
	Method      string // "" is GET
	Path        string
	Connections int           // 0: bench's default
	Requests    int64         // 0: run for Duration
	Duration    time.Duration // 0 with Requests 0: bench's default
	Rate        float64       // 0: as fast as answered
}

func (*Browse) item() {}
func (*Fetch) item()  {}
func (*Load) item()   {}

// Limits: a spec is for a lesson on one machine.
const (
	maxBrowsers = 250 // each browser has its own loopback address, 127.0.N.1
	maxCount    = 1_000_000
	maxConns    = 10_000
	maxRate     = 1_000_000
	maxDuration = 24 * time.Hour
	minEvery    = 10 * time.Millisecond
	maxSteps    = 32
	maxLine     = 1000
)

// Parse reads a traffic spec. name is the file's name, for errors; the
// error for a bad line is an *explain.Error naming the line and what to
// write instead, in English and Chinese.
func Parse(name, text string) (Spec, error) {
	var s Spec
	for i, line := range strings.Split(text, "\n") {
		n := i + 1
		if len(line) > maxLine {
			return Spec{}, lineError(name, n, explain.T("line too long", "行太长"),
				explain.T(fmt.Sprintf("a line has at most %d bytes", maxLine), fmt.Sprintf("一行最多 %d 字节", maxLine)),
				explain.T("split it into several lines", "拆成几行"))
		}
		if c := strings.IndexByte(line, '#'); c >= 0 {
			line = line[:c]
		}
		toks := tokenize(line)
		if len(toks) == 0 {
			continue
		}
		it, err := parseLine(toks)
		if err != nil {
			return Spec{}, lineError(name, n, err.what, err.why, err.try)
		}
		s.Items = append(s.Items, it)
		s.Lines = append(s.Lines, n)
	}
	return s, nil
}

// lineErr is a parse error before it gets its file and line.
type lineErr struct{ what, why, try explain.Text }

func lineError(name string, n int, what, why, try explain.Text) error {
	return &explain.Error{
		What:  explain.T(fmt.Sprintf("traffic: line %d: %s", n, what.EN), fmt.Sprintf("traffic: 第 %d 行: %s", n, what.ZH)),
		Where: fmt.Sprintf("%s:%d", name, n),
		Why:   why,
		Try:   try,
	}
}

// tokenize splits a line on white space; a comma is a token of its own,
// except inside a path ("/a,b"), where only a final comma separates.
func tokenize(line string) []string {
	var toks []string
	for _, f := range strings.Fields(line) {
		if strings.HasPrefix(f, "/") {
			if p, ok := strings.CutSuffix(f, ","); ok {
				toks = append(toks, p, ",")
			} else {
				toks = append(toks, f)
			}
			continue
		}
		for i, part := range strings.Split(f, ",") {
			if i > 0 {
				toks = append(toks, ",")
			}
			if part != "" {
				toks = append(toks, part)
			}
		}
	}
	return toks
}

var examples = explain.T(
	"write one of: `3 browsers, journey login-list, every 2s` · `100 GET /employees/ from 20 users` · `load /employees/ -c 10 -d 5s`",
	"写成以下之一：`3 browsers, journey login-list, every 2s` · `100 GET /employees/ from 20 users` · `load /employees/ -c 10 -d 5s`")

func parseLine(toks []string) (Item, *lineErr) {
	if strings.EqualFold(toks[0], "load") {
		return parseLoad(toks[1:])
	}
	if len(toks) < 2 {
		return nil, &lineErr{explain.T(fmt.Sprintf("%q is not a traffic line", strings.Join(toks, " ")), fmt.Sprintf("%q 不是一行流量描述", strings.Join(toks, " "))),
			explain.T("a line starts with a count or with `load`", "一行以数量或 `load` 开头"), examples}
	}
	n, err := count(toks[0], "count", "数量", maxCount)
	if err != nil {
		err.try = examples
		return nil, err
	}
	switch w := strings.ToLower(toks[1]); {
	case w == "browser" || w == "browsers":
		return parseBrowse(n, toks[2:])
	case isMethod(toks[1]):
		return parseFetch(n, toks[1:])
	}
	return nil, &lineErr{explain.T(fmt.Sprintf("%q after the count", toks[1]), fmt.Sprintf("数量后面是 %q", toks[1])),
		explain.T("after a count comes `browsers` or an HTTP method (GET, POST, …)", "数量后面应是 `browsers` 或 HTTP 方法（GET、POST 等）"), examples}
}

// clauses splits toks at "," tokens.
func clauses(toks []string) [][]string {
	var out [][]string
	cur := []string{}
	for _, t := range toks {
		if t == "," {
			out = append(out, cur)
			cur = []string{}
			continue
		}
		cur = append(cur, t)
	}
	return append(out, cur)
}

func parseBrowse(n int, rest []string) (Item, *lineErr) {
	b := &Browse{Browsers: n}
	try := explain.T("write it like `3 browsers, journey login-list, every 2s, for 1m`", "写成 `3 browsers, journey login-list, every 2s, for 1m` 这样")
	if n > maxBrowsers {
		return nil, &lineErr{explain.T(fmt.Sprintf("%d browsers", n), fmt.Sprintf("%d 个浏览器", n)),
			explain.T(fmt.Sprintf("each browser gets its own loopback address; the lab has %d", maxBrowsers), fmt.Sprintf("每个浏览器有自己的回环地址；实验室最多 %d 个", maxBrowsers)),
			explain.T("use fewer browsers, or a load line for many requests", "减少浏览器数量；要大量请求请用 load 行")}
	}
	cl := clauses(rest)
	if len(cl[0]) != 0 {
		return nil, &lineErr{explain.T(fmt.Sprintf("%q after `browsers`", strings.Join(cl[0], " ")), fmt.Sprintf("`browsers` 后面是 %q", strings.Join(cl[0], " "))),
			explain.T("clauses after `browsers` are separated by commas", "`browsers` 之后的各部分用逗号分隔"), try}
	}
	seen := map[string]bool{}
	for _, c := range cl[1:] {
		if len(c) == 0 {
			return nil, &lineErr{explain.T("an empty clause", "空的一项"), explain.T("two commas in a row, or one at the end", "连续两个逗号，或行尾多了逗号"), try}
		}
		key := strings.ToLower(c[0])
		if len(c) >= 2 && strings.EqualFold(c[len(c)-1], "times") {
			key = "times"
		}
		if seen[key] {
			return nil, &lineErr{explain.T("`"+key+"` twice", "`"+key+"` 出现了两次"), explain.T("each clause may appear once", "每项只能出现一次"), try}
		}
		seen[key] = true
		var err *lineErr
		switch key {
		case "journey":
			if len(c) != 2 {
				return nil, &lineErr{explain.T("`journey` wants one name", "`journey` 后面要一个名字"),
					explain.T("steps are joined by dashes, with no spaces", "各步骤用短横线连接，中间没有空格"), journeyTry}
			}
			b.Journey, err = ParseJourney(c[1])
		case "every":
			b.Every, err = duration(c[1:], "every", minEvery)
		case "for":
			b.For, err = duration(c[1:], "for", time.Millisecond)
		case "times":
			if len(c) != 2 {
				return nil, &lineErr{explain.T(fmt.Sprintf("%q", strings.Join(c, " ")), fmt.Sprintf("%q", strings.Join(c, " "))), explain.T("`N times` takes one number", "`N times` 只要一个数"), try}
			}
			b.Times, err = count(c[0], "times", "次数", maxCount)
		default:
			return nil, &lineErr{explain.T(fmt.Sprintf("unknown clause %q", strings.Join(c, " ")), fmt.Sprintf("不认识的部分 %q", strings.Join(c, " "))),
				explain.T("a browsers line knows `journey`, `every`, `for` and `N times`", "browsers 行只认 `journey`、`every`、`for` 和 `N times`"), try}
		}
		if err != nil {
			if err.try.EN == "" {
				err.try = try
			}
			return nil, err
		}
	}
	if b.Journey == nil {
		return nil, &lineErr{explain.T("no journey", "没有 journey"), explain.T("a browser needs to know where to go", "浏览器需要知道要走哪些页面"), journeyTry}
	}
	return b, nil
}

func parseFetch(n int, rest []string) (Item, *lineErr) {
	try := explain.T("write it like `100 GET /employees/ from 20 users, every 500ms`", "写成 `100 GET /employees/ from 20 users, every 500ms` 这样")
	cl := clauses(rest)
	c := cl[0]
	if len(c) != 5 || !strings.EqualFold(c[2], "from") || !(strings.EqualFold(c[4], "users") || strings.EqualFold(c[4], "user")) {
		return nil, &lineErr{explain.T(fmt.Sprintf("%q", strings.Join(c, " ")), fmt.Sprintf("%q", strings.Join(c, " "))),
			explain.T("a request line is: count, method, path, `from`, number of users, `users`", "请求行的格式：数量、方法、路径、`from`、用户数、`users`"), try}
	}
	f := &Fetch{Count: n, Method: strings.ToUpper(c[0])}
	var err *lineErr
	if f.Path, err = path(c[1]); err != nil {
		return nil, err
	}
	if f.Users, err = count(c[3], "users", "用户数", maxBrowsers); err != nil {
		err.try = try
		return nil, err
	}
	for i, c := range cl[1:] {
		if i > 0 || len(c) == 0 || !strings.EqualFold(c[0], "every") {
			return nil, &lineErr{explain.T(fmt.Sprintf("%q after the users", strings.Join(c, " ")), fmt.Sprintf("用户数后面是 %q", strings.Join(c, " "))),
				explain.T("a request line may end with `, every D` (each user's pause between requests)", "请求行末尾只能有 `, every D`（每个用户两次请求之间的间隔）"), try}
		}
		if f.Every, err = duration(c[1:], "every", time.Millisecond); err != nil {
			return nil, err
		}
	}
	return f, nil
}

func parseLoad(toks []string) (Item, *lineErr) {
	try := explain.T("write it like `load /employees/ -c 10 -d 5s --rate 200` (bench's flags)", "写成 `load /employees/ -c 10 -d 5s --rate 200` 这样（与 bench 的参数相同）")
	l := &Load{}
	if len(toks) > 0 && isMethod(toks[0]) {
		l.Method = strings.ToUpper(toks[0])
		toks = toks[1:]
	}
	if len(toks) == 0 {
		return nil, &lineErr{explain.T("load: no path", "load: 没有路径"), explain.T("load needs the path to send to", "load 需要目标路径"), try}
	}
	var err *lineErr
	if l.Path, err = path(toks[0]); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for i := 1; i < len(toks); i += 2 {
		flag := strings.TrimLeft(toks[i], "-")
		if !strings.HasPrefix(toks[i], "-") || (flag != "c" && flag != "n" && flag != "d" && flag != "rate") {
			return nil, &lineErr{explain.T(fmt.Sprintf("load: %q", toks[i]), fmt.Sprintf("load: %q", toks[i])),
				explain.T("load knows -c (connections), -n (requests), -d (duration) and --rate (requests per second)", "load 只认 -c（连接数）、-n（请求数）、-d（时长）和 --rate（每秒请求数）"), try}
		}
		if seen[flag] {
			return nil, &lineErr{explain.T("load: -"+flag+" twice", "load: -"+flag+" 出现了两次"), explain.T("give each flag once", "每个参数只给一次"), try}
		}
		seen[flag] = true
		if i+1 >= len(toks) {
			return nil, &lineErr{explain.T("load: -"+flag+" without a value", "load: -"+flag+" 缺少值"), explain.T("every flag takes a value", "每个参数都要有值"), try}
		}
		v := toks[i+1]
		switch flag {
		case "c":
			l.Connections, err = count(v, "-c", "-c", maxConns)
		case "n":
			var n int
			n, err = count(v, "-n", "-n", maxCount)
			l.Requests = int64(n)
		case "d":
			l.Duration, err = duration([]string{v}, "-d", time.Millisecond)
		case "rate":
			l.Rate, err = rate(v)
		}
		if err != nil {
			err.try = try
			return nil, err
		}
	}
	if l.Requests > 0 && l.Duration > 0 {
		return nil, &lineErr{explain.T("load: both -n and -d", "load: 同时给了 -n 和 -d"), explain.T("a run stops after a count or after a time, not both", "一次压测按数量或按时间结束，不能两者都给"), try}
	}
	return l, nil
}

func count(tok, what, whatZH string, limit int) (int, *lineErr) {
	n, err := strconv.Atoi(tok)
	if err != nil || n < 1 || n > limit || tok[0] < '0' || tok[0] > '9' {
		return 0, &lineErr{explain.T(fmt.Sprintf("%s %q", what, tok), fmt.Sprintf("%s %q", whatZH, tok)),
			explain.T(fmt.Sprintf("want a whole number from 1 to %d", limit), fmt.Sprintf("应为 1 到 %d 之间的整数", limit)), explain.Text{}}
	}
	return n, nil
}

var units = map[string]bool{"ns": true, "us": true, "µs": true, "ms": true, "s": true, "m": true, "h": true}

// duration reads "2s", or "2 s" (two tokens), for the clause what.
func duration(toks []string, what string, least time.Duration) (time.Duration, *lineErr) {
	text := strings.Join(toks, "")
	bad := func(why explain.Text) *lineErr {
		return &lineErr{explain.T(fmt.Sprintf("%s %q", what, strings.Join(toks, " ")), fmt.Sprintf("%s %q", what, strings.Join(toks, " "))), why,
			explain.T("write a duration like 500ms, 2s, 1m30s", "写成 500ms、2s、1m30s 这样的时长")}
	}
	if len(toks) == 0 || len(toks) > 2 || (len(toks) == 2 && !units[toks[1]]) {
		return 0, bad(explain.T("want one duration", "需要一个时长"))
	}
	if text[0] < '0' || text[0] > '9' {
		return 0, bad(explain.T("a duration starts with a number", "时长以数字开头"))
	}
	d, err := time.ParseDuration(text)
	if err != nil {
		return 0, bad(explain.T("not a duration: a number and a unit (ms, s, m, h)", "不是时长：数字加单位（ms、s、m、h）"))
	}
	if d < least || d > maxDuration {
		return 0, bad(explain.T(fmt.Sprintf("want between %v and %v", least, maxDuration), fmt.Sprintf("应在 %v 到 %v 之间", least, maxDuration)))
	}
	return d, nil
}

func rate(tok string) (float64, *lineErr) {
	r, err := strconv.ParseFloat(tok, 64)
	if err != nil || math.IsNaN(r) || r <= 0 || r > maxRate || tok[0] < '0' || tok[0] > '9' {
		return 0, &lineErr{explain.T(fmt.Sprintf("--rate %q", tok), fmt.Sprintf("--rate %q", tok)),
			explain.T(fmt.Sprintf("want requests per second, more than 0 and at most %d", maxRate), fmt.Sprintf("应为每秒请求数，大于 0 且不超过 %d", maxRate)), explain.Text{}}
	}
	return r, nil
}

// path checks a request path: it starts with /, has no spaces or control
// characters (it goes on the request line as it is), and does not end in a
// comma (a comma there separates clauses).
func path(tok string) (string, *lineErr) {
	bad := func(why explain.Text) *lineErr {
		return &lineErr{explain.T(fmt.Sprintf("path %q", tok), fmt.Sprintf("路径 %q", tok)), why,
			explain.T("write a path on the lab, such as /employees/ or /static/ems/css/style.css", "写成实验室里的路径，如 /employees/ 或 /static/ems/css/style.css")}
	}
	if !strings.HasPrefix(tok, "/") {
		return "", bad(explain.T("a path starts with /", "路径以 / 开头"))
	}
	for _, c := range []byte(tok) {
		if c < 0x21 || c >= 0x7f {
			return "", bad(explain.T("only printable ASCII; percent-encode anything else (%E5%BC%A0)", "只能是可打印 ASCII 字符，其他字符请用百分号编码（%E5%BC%A0）"))
		}
	}
	if strings.HasSuffix(tok, ",") {
		return "", bad(explain.T("a comma at the end of a path separates clauses", "路径末尾的逗号会被当作分隔符"))
	}
	return tok, nil
}

var methods = []string{"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"}

func isMethod(tok string) bool {
	for _, m := range methods {
		if strings.EqualFold(tok, m) {
			return true
		}
	}
	return false
}

// Format writes s back as text, one item per line, keywords in lower case:
// Parse(Format(s)) has the same Items as s.
func Format(s Spec) string {
	var b strings.Builder
	for _, it := range s.Items {
		b.WriteString(FormatItem(it))
		b.WriteByte('\n')
	}
	return b.String()
}

// FormatItem writes one item as its line.
func FormatItem(it Item) string {
	var b strings.Builder
	switch v := it.(type) {
	case *Browse:
		fmt.Fprintf(&b, "%d %s, journey %s", v.Browsers, plural(v.Browsers, "browser"), v.Journey)
		if v.Every > 0 {
			fmt.Fprintf(&b, ", every %v", v.Every)
		}
		if v.For > 0 {
			fmt.Fprintf(&b, ", for %v", v.For)
		}
		if v.Times > 0 {
			fmt.Fprintf(&b, ", %d times", v.Times)
		}
	case *Fetch:
		fmt.Fprintf(&b, "%d %s %s from %d %s", v.Count, v.Method, v.Path, v.Users, plural(v.Users, "user"))
		if v.Every > 0 {
			fmt.Fprintf(&b, ", every %v", v.Every)
		}
	case *Load:
		b.WriteString("load ")
		if v.Method != "" {
			b.WriteString(v.Method + " ")
		}
		b.WriteString(v.Path)
		if v.Connections > 0 {
			fmt.Fprintf(&b, " -c %d", v.Connections)
		}
		if v.Requests > 0 {
			fmt.Fprintf(&b, " -n %d", v.Requests)
		}
		if v.Duration > 0 {
			fmt.Fprintf(&b, " -d %v", v.Duration)
		}
		if v.Rate > 0 {
			fmt.Fprintf(&b, " --rate %s", strconv.FormatFloat(v.Rate, 'g', -1, 64))
		}
	}
	return b.String()
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
