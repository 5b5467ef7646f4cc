package sim

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"webflow-lab/servers/explain"
	"webflow-lab/servers/proxy/config"
)

// The lab changes the deployment the way a learner would: by editing the
// workspace's own config files, line by line, keeping everything else the
// learner wrote (comments, spacing, CRLF endings), and then reloading. Every
// edit is shown as a diff, and undone when the reload refuses it.

// A fileEdit is one edited file: its old and new text.
type fileEdit struct {
	path     string
	old, new string
}

// diff is the edit as a unified diff, with the path relative to dir.
func (e fileEdit) diff(dir string) string {
	return unifiedDiff(relTo(dir, e.path), e.old, e.new)
}

// write puts the new text in place.
func (e fileEdit) write() error { return writeKeepingMode(e.path, e.new) }

// undo puts the old text back.
func (e fileEdit) undo() error { return writeKeepingMode(e.path, e.old) }

func writeKeepingMode(path, text string) error {
	mode := os.FileMode(0o644)
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
	}
	return os.WriteFile(path, []byte(text), mode)
}

// editLines reads path, lets change edit its lines (without their line
// endings) and returns the edit; the file is not written yet.
func editLines(path string, change func(lines []string) ([]string, error)) (fileEdit, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return fileEdit{}, err
	}
	old := string(b)
	eol := "\n"
	if strings.Contains(old, "\r\n") {
		eol = "\r\n"
	}
	body := strings.TrimSuffix(old, eol)
	lines := strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n")
	lines, err = change(lines)
	if err != nil {
		return fileEdit{}, err
	}
	return fileEdit{path: path, old: old, new: strings.Join(lines, eol) + eol}, nil
}

// unifiedDiff is a small unified diff of two texts (one hunk per change,
// three lines of context), enough to show a learner what an edit did.
func unifiedDiff(name, a, b string) string {
	if a == b {
		return ""
	}
	al := strings.Split(strings.ReplaceAll(a, "\r\n", "\n"), "\n")
	bl := strings.Split(strings.ReplaceAll(b, "\r\n", "\n"), "\n")
	// Longest common subsequence; config files are small.
	n, m := len(al), len(bl)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if al[i] == bl[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type op struct {
		kind byte // ' ', '-', '+'
		text string
		ai   int
		bi   int
	}
	var ops []op
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && al[i] == bl[j]:
			ops = append(ops, op{' ', al[i], i, j})
			i, j = i+1, j+1
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			ops = append(ops, op{'-', al[i], i, j})
			i++
		default:
			ops = append(ops, op{'+', bl[j], i, j})
			j++
		}
	}
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", name, name)
	const ctx = 3
	for k := 0; k < len(ops); {
		if ops[k].kind == ' ' {
			k++
			continue
		}
		start := max(k-ctx, 0)
		end := k
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run-end > 2*ctx || run == len(ops) {
				end = min(end+ctx, len(ops))
				break
			}
			end = run
		}
		na, nb := 0, 0
		for _, o := range ops[start:end] {
			if o.kind != '+' {
				na++
			}
			if o.kind != '-' {
				nb++
			}
		}
		fmt.Fprintf(&out, "@@ -%d,%d +%d,%d @@\n", ops[start].ai+1, na, ops[start].bi+1, nb)
		for _, o := range ops[start:end] {
			out.WriteByte(o.kind)
			out.WriteString(o.text)
			out.WriteByte('\n')
		}
		k = end
	}
	return out.String()
}

// findUpstream finds `upstream name { … }` in the workspace's nginx config
// (name "" means the only one).
func findUpstream(conf, name string) (*config.Directive, error) {
	cfg, err := config.Load(conf)
	if err != nil {
		return nil, err
	}
	var found []*config.Directive
	var walk func(ds []*config.Directive)
	walk = func(ds []*config.Directive) {
		for _, d := range ds {
			if d.Name == "upstream" && len(d.Args) > 0 && (name == "" || d.Args[0] == name) {
				found = append(found, d)
			}
			walk(d.Block)
		}
	}
	walk(cfg.Directives)
	switch {
	case len(found) == 1:
		return found[0], nil
	case len(found) == 0 && name != "":
		return nil, &explain.Error{
			What:  explain.T("lab: no upstream "+name+" in the config", "lab: 配置中没有 upstream "+name),
			Where: conf, Why: explain.T("the proxy's config has no `upstream "+name+" { … }` block",
				"代理的配置里没有 `upstream "+name+" { … }` 块"),
			Try: explain.T("name an upstream block the config has", "请写配置中已有的 upstream 名字")}
	case len(found) == 0:
		return nil, &explain.Error{
			What:  explain.T("lab: the config has no upstream block", "lab: 配置中没有 upstream 块"),
			Where: conf, Why: explain.T("a balancing strategy belongs to an `upstream name { server …; }` block",
				"负载均衡策略写在 `upstream 名字 { server …; }` 块里"),
			Try: explain.T("add an upstream block (see assets/nginx/examples) and point uwsgi_pass at it",
				"添加一个 upstream 块（参见 assets/nginx/examples），并让 uwsgi_pass 指向它")}
	}
	var names []string
	for _, d := range found {
		names = append(names, d.Args[0])
	}
	return nil, &explain.Error{
		What:  explain.T("lab: which upstream? the config has "+strings.Join(names, ", "), "lab: 配置中有多个 upstream："+strings.Join(names, ", ")),
		Where: conf, Try: explain.T("name it: strategy NAME ip_hash", "请写明名字：strategy 名字 ip_hash")}
}

// strategyLines turns a strategy as a learner names it into the method
// directive nginx needs ("" for round robin, which has none) and, for
// "weight 3,1", the weights of the server lines in order.
func strategyLines(words []string) (method string, weights []string, err error) {
	bad := func() (string, []string, error) {
		return "", nil, &explain.Error{
			What: explain.T("lab: unknown strategy "+strings.Join(words, " "), "lab: 未知的负载均衡策略 "+strings.Join(words, " ")),
			Why: explain.T("nginx's balancing methods are round robin (the default), weight=, ip_hash, least_conn, hash KEY [consistent] and random",
				"nginx 的负载均衡方式有：轮询（默认）、weight= 权重、ip_hash、least_conn、hash 键 [consistent]、random"),
			Try: explain.T("one of: round-robin, weight 3,1, ip_hash, least_conn, hash $request_uri, random",
				"可选：round-robin、weight 3,1、ip_hash、least_conn、hash $request_uri、random")}
	}
	if len(words) == 0 {
		return bad()
	}
	switch strings.ReplaceAll(strings.ToLower(words[0]), "-", "_") {
	case "round_robin", "roundrobin", "rr", "default":
		return "", nil, nil
	case "ip_hash", "iphash":
		return "ip_hash;", nil, nil
	case "least_conn", "leastconn":
		return "least_conn;", nil, nil
	case "random":
		return "random" + prefixSpace(strings.Join(words[1:], " ")) + ";", nil, nil
	case "hash":
		if len(words) < 2 {
			return bad()
		}
		return "hash " + strings.Join(words[1:], " ") + ";", nil, nil
	case "weight", "weighted":
		if len(words) < 2 {
			return bad()
		}
		for _, w := range strings.FieldsFunc(strings.Join(words[1:], ","), func(r rune) bool { return r == ',' || r == ' ' }) {
			if !regexp.MustCompile(`^[1-9][0-9]*$`).MatchString(w) {
				return bad()
			}
			weights = append(weights, w)
		}
		return "", weights, nil
	}
	return bad()
}

func prefixSpace(s string) string {
	if s == "" {
		return ""
	}
	return " " + s
}

var weightRE = regexp.MustCompile(`\s+weight=\S+?(\s|;)`)

// setStrategy edits the upstream block u (from findUpstream) so that its
// method is method ("" for round robin) and, when weights is set, its
// server lines carry those weights in order.
func setStrategy(u *config.Directive, method string, weights []string) (fileEdit, error) {
	methods := map[string]bool{"ip_hash": true, "least_conn": true, "hash": true, "random": true}
	return editLines(u.File, func(lines []string) ([]string, error) {
		drop := map[int]bool{}
		servers := 0
		for _, c := range u.Block {
			if c.File != u.File {
				continue // from an include: the lab leaves other files alone
			}
			i := c.Line - 1
			if i < 0 || i >= len(lines) {
				continue
			}
			switch {
			case methods[c.Name]:
				if strings.Count(lines[i], ";") != 1 {
					return nil, editError(u.File, c.Line, "the method shares its line with another directive")
				}
				drop[i] = true
			case c.Name == "server" && weights != nil:
				if servers < len(weights) {
					l := weightRE.ReplaceAllString(lines[i], "$1")
					semi := strings.LastIndex(l, ";")
					if semi < 0 {
						return nil, editError(u.File, c.Line, "the server line does not end on its own line")
					}
					lines[i] = l[:semi] + " weight=" + weights[servers] + l[semi:]
				}
				servers++
			}
		}
		if weights != nil && servers != len(weights) {
			return nil, &explain.Error{
				What:  explain.T(fmt.Sprintf("lab: %d weights for %d servers", len(weights), servers), fmt.Sprintf("lab: 给了 %d 个权重，但有 %d 个 server", len(weights), servers)),
				Where: fmt.Sprintf("%s:%d", u.File, u.Line),
				Try:   explain.T("give one weight per server line, in order", "按顺序为每个 server 行给一个权重")}
		}
		var out []string
		for i, l := range lines {
			if drop[i] {
				continue
			}
			out = append(out, l)
			if i == u.Line-1 && method != "" {
				indent := "    "
				for _, c := range u.Block {
					if c.Line-1 > i && c.Line-1 < len(lines) {
						indent = leadingSpace(lines[c.Line-1])
						break
					}
				}
				out = append(out, indent+method)
			}
		}
		return out, nil
	})
}

func leadingSpace(s string) string { return s[:len(s)-len(strings.TrimLeft(s, " \t"))] }

func editError(file string, line int, why string) error {
	return &explain.Error{
		What:  explain.T("lab: cannot edit this line for you", "lab: 无法替你修改这一行"),
		Where: fmt.Sprintf("%s:%d", file, line),
		Why:   explain.T(why, why),
		Try:   explain.T("edit the file yourself, then reload", "请自己编辑该文件，然后重新加载")}
}

// setIniEnv edits an ini file so that `env = KEY=value` says value, adding
// the line after the last env line when there is none.
func setIniEnv(path, key, value string) (fileEdit, error) {
	re := regexp.MustCompile(`^(\s*env\s*=\s*)` + regexp.QuoteMeta(key) + `=`)
	return editLines(path, func(lines []string) ([]string, error) {
		last := -1
		for i, l := range lines {
			if m := re.FindStringSubmatch(l); m != nil {
				lines[i] = m[1] + key + "=" + value
				return lines, nil
			}
			if strings.HasPrefix(strings.TrimSpace(l), "env") {
				last = i
			}
		}
		line := "env = " + key + "=" + value
		if last < 0 {
			return append(lines, line), nil
		}
		return append(lines[:last+1], append([]string{line}, lines[last+1:]...)...), nil
	})
}

// findStaticAlias finds the `alias` of the proxy's `location /static/`.
func findStaticAlias(conf string) (*config.Directive, error) {
	cfg, err := config.Load(conf)
	if err != nil {
		return nil, err
	}
	var found *config.Directive
	var walk func(ds []*config.Directive, inStatic bool)
	walk = func(ds []*config.Directive, inStatic bool) {
		for _, d := range ds {
			if inStatic && (d.Name == "alias" || d.Name == "root") && found == nil {
				found = d
			}
			walk(d.Block, d.Name == "location" && len(d.Args) > 0 && strings.HasPrefix(d.Args[len(d.Args)-1], "/static"))
		}
	}
	walk(cfg.Directives, false)
	if found == nil {
		return nil, &explain.Error{
			What:  explain.T("lab: no `location /static` with an alias or root in the config", "lab: 配置中没有带 alias 或 root 的 `location /static`"),
			Where: conf, Try: explain.T("add `location /static/ { alias static/; }` to the server block", "在 server 块中加入 `location /static/ { alias static/; }`")}
	}
	return found, nil
}

// replaceArg edits the line of d so that its argument old reads new.
func replaceArg(d *config.Directive, old, new string) (fileEdit, error) {
	return editLines(d.File, func(lines []string) ([]string, error) {
		i := d.Line - 1
		if i < 0 || i >= len(lines) || strings.Count(lines[i], old) != 1 {
			return nil, editError(d.File, d.Line, fmt.Sprintf("%q is not written once on that line", old))
		}
		lines[i] = strings.Replace(lines[i], old, new, 1)
		return lines, nil
	})
}

// backupDir is where the lab keeps what it replaced in the workspace.
func backupDir(dir string) string { return filepath.Join(dir, ".webflow-lab", "backup") }
