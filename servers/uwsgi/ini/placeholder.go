package ini

import (
	"fmt"
	"strconv"
	"strings"

	"webflow-lab/servers/errno"
	"webflow-lab/servers/explain"
)

// maxExpansions bounds the substitutions in one value. uWSGI rescans a value
// after each substitution, so "a = x%(a)" grows forever there; the lab stops
// and says so.
const maxExpansions = 1000

// pass is uWSGI's uwsgi_apply_config_pass (core/utils.c): for every option
// not yet applied, find symbol + "(" … ")" (parentheses may nest), ask hook
// for the text inside, and splice the answer in. A nil answer leaves the text
// as written. After a substitution the scan restarts at the value's second
// byte (uWSGI sets j = 0, then its loop does j++), so the result is scanned
// again: placeholders inside a placeholder's value are expanded too, except
// one at the very start of the new value.
func (ld *loader) pass(symbol byte, hook func(string) (string, bool, error)) error {
	for i := range ld.list {
		e := &ld.list[i]
		if e.configured || e.NoValue {
			continue
		}
		v := e.Value
		expansions := 0
		state, depth, keyStart := 0, 0, 0
		for j := 0; j < len(v); j++ {
			c := v[j]
			switch {
			case c == symbol:
				state = 1
			case c == '(' && state == 1:
				state, depth, keyStart = 2, 0, j+1
			case state > 1:
				switch {
				case c == '(':
					state++
					depth++
				case c == ')' && depth > 0:
					state++
					depth--
				case c == ')' && state <= 2:
					state = 0 // "%()" names nothing
				case c == ')':
					key := v[keyStart : keyStart+state-2]
					val, ok, err := hook(key)
					if err != nil {
						return withWhere(err, e.Option)
					}
					state = 0
					if !ok {
						// log-format's %(addr) and friends are meant to stay.
						if symbol != '%' || !strings.Contains(e.Key, "log") {
							ld.notePlaceholder(i, unresolvedNote(e.Option, symbol, key))
						}
						continue
					}
					if symbol == '%' {
						ld.notePlaceholder(i, ld.firstOfMany(e.Option, key))
					}
					expansions++
					if expansions > maxExpansions || len(v) > 1<<20 {
						return fatal(e.Option, "placeholder expansion does not end: "+string(symbol)+"("+key+")",
							explain.T("the value of "+key+" contains "+string(symbol)+"("+key+") itself, so every substitution brings it back (real uWSGI loops until it runs out of memory)",
								key+" 的值里又包含 "+string(symbol)+"("+key+")，每次替换都会再出现一次（真实的 uWSGI 会一直循环直到内存耗尽）"),
							explain.T("remove the self-reference", "去掉这个自我引用"))
					}
					v = v[:keyStart-2] + val + v[keyStart+len(key)+1:]
					j = 0
				default:
					state++
				}
			default:
				state = 0
			}
		}
		e.Value = v
	}
	return nil
}

// placeholders runs uWSGI's three passes in its order: environment, files,
// then references to other options.
func (ld *loader) placeholders() error {
	env := func(k string) (string, bool, error) {
		v, ok := ld.h.lookupEnv(k)
		return v, ok, nil
	}
	if err := ld.pass('$', env); err != nil {
		return err
	}
	if err := ld.pass('@', ld.atFile); err != nil {
		return err
	}
	return ld.pass('%', ld.reference)
}

// atFile is uwsgi_at_file_read: the file's contents up to the first NUL,
// with one trailing newline or CR removed. A file that cannot be opened is
// fatal, as in uWSGI.
func (ld *loader) atFile(path string) (string, bool, error) {
	b, err := ld.h.readFile(path)
	if err != nil {
		return "", false, &explain.Error{
			What: explain.T(fmt.Sprintf("open(\"%s\"): %s [core/io.c line 525]", path, errno.Strerror(err)), fmt.Sprintf("open(\"%s\"): %s [core/io.c line 525]", path, errno.Strerror(err))),
			Why:  explain.T("@(file) is replaced by the contents of the file, and uWSGI stops when it cannot open it", "@(文件) 会被替换成文件内容，文件打不开时 uWSGI 直接退出"),
			Try:  explain.T("check the path inside @( ) (relative to the directory uWSGI was started in)", "检查 @( ) 里的路径（相对于启动 uWSGI 时的当前目录）"),
		}
	}
	s := string(b)
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	if n := len(s); n > 0 && (s[n-1] == '\n' || s[n-1] == '\r') {
		s = s[:n-1]
	}
	return s, true, nil
}

// first is uwsgi_get_exported_opt: the FIRST option with this key, as it is
// now (earlier passes may have changed it).
func (ld *loader) first(key string) (string, bool) {
	for _, e := range ld.list {
		if e.Key == key {
			return e.Value, !e.NoValue // a flag without a value is NULL in uWSGI
		}
	}
	return "", false
}

// reference is uwsgi_manage_placeholder: "%(name)" is the first option
// called name; with spaces inside, "%(a b + 1)" is a little pipeline:
// words are option values (or numbers) concatenated, and + - * / combine
// the value so far with the next word as 64-bit integers; ++ and -- add or
// subtract one.
func (ld *loader) reference(key string) (string, bool, error) {
	if ld.referenced == nil {
		ld.referenced = map[string]bool{}
	}
	for _, k := range strings.Split(key, " ") {
		ld.referenced[k] = true
	}
	if !strings.Contains(key, " ") {
		v, ok := ld.first(key)
		return v, ok, nil
	}
	cur, have := "", false
	op := byte(0)
	for _, tok := range strings.Split(key, " ") {
		if tok == "" {
			continue // strtok skips empty tokens
		}
		var val string
		switch {
		case isNumber(tok):
			val = tok
		case tok == "+" || tok == "-" || tok == "*" || tok == "/":
			op = tok[0]
			continue
		case tok == "++" || tok == "--":
			if have {
				n := strtoll(cur)
				if tok == "++" {
					n++
				} else {
					n--
				}
				cur = strconv.FormatInt(n, 10)
			}
			op = 0
			continue
		default:
			val, _ = ld.first(tok)
		}
		a, b := strtoll(cur), strtoll(val)
		switch op {
		case 0:
			cur += val
		case '+':
			cur = strconv.FormatInt(a+b, 10)
		case '-':
			cur = strconv.FormatInt(a-b, 10)
		case '*':
			cur = strconv.FormatInt(a*b, 10)
		case '/':
			if b == 0 {
				cur = "0"
			} else {
				cur = strconv.FormatInt(a/b, 10)
			}
		}
		have = true
		op = 0
	}
	if !have {
		return "", false, nil
	}
	return cur, true, nil
}

// strtoll is C's strtoll(s, NULL, 10): leading space, a sign, digits;
// saturating at the int64 limits.
func strtoll(s string) int64 {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	var n uint64
	over := false
	for i := 0; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		d := uint64(s[i] - '0')
		if n > (1<<63-d)/10 {
			over = true
			break
		}
		n = n*10 + d
	}
	switch {
	case over && neg:
		return -1 << 63
	case over:
		return 1<<63 - 1
	case neg:
		return -int64(n)
	}
	return int64(n)
}

// atoi is glibc's atoi, (int)strtol(s, NULL, 10): the leading digits, then
// truncated to 32 bits, so "2 # two" is 2 and "abc" is 0.
func atoi(s string) int {
	return int(int32(strtoll(s)))
}

// withWhere adds the option's place to an error that has none.
func withWhere(err error, o Option) error {
	if e, ok := err.(*explain.Error); ok && e.Where == "" {
		e.Where = o.Where()
	}
	return err
}

// isNumber is uWSGI's is_a_number: every byte a digit.
func isNumber(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// notePlaceholder keeps the first placeholder note of option i.
func (ld *loader) notePlaceholder(i int, n *explain.Error) {
	if n == nil {
		return
	}
	if ld.phNotes == nil {
		ld.phNotes = map[int]*explain.Error{}
	}
	if _, dup := ld.phNotes[i]; !dup {
		ld.phNotes[i] = n
	}
}

// firstOfMany notes a %(name) whose name is set more than once: uWSGI
// takes the first, where a reader expects the last.
func (ld *loader) firstOfMany(o Option, key string) *explain.Error {
	var all []Option
	for _, e := range ld.list {
		if e.Key == key {
			all = append(all, e.Option)
		}
	}
	if len(all) < 2 {
		return nil
	}
	first, last := all[0], all[len(all)-1]
	return &explain.Error{
		What: explain.T(fmt.Sprintf("uwsgi: %%(%s) is the FIRST %s (%s), not the last", key, key, first.Value),
			fmt.Sprintf("uwsgi: %%(%s) 取的是第一个 %s（%s），而不是最后一个", key, key, first.Value)),
		Where: o.Where(),
		Why: explain.T(fmt.Sprintf("%s is set %d times (%s and %s); a placeholder reads the first one, while the option itself takes the last (%s)", key, len(all), first.Where(), last.Where(), last.Value),
			fmt.Sprintf("%s 被设置了 %d 次（%s 和 %s）；占位符读取第一个，而选项本身以最后一个为准（%s）", key, len(all), first.Where(), last.Where(), last.Value)),
		Try: explain.T("set "+key+" once", key+" 只设置一次"),
	}
}

// unresolvedNote: a placeholder uWSGI leaves as written.
func unresolvedNote(o Option, symbol byte, key string) *explain.Error {
	ph := string(symbol) + "(" + key + ")"
	why := explain.T("no option is called "+key+", so uWSGI leaves "+ph+" in the value as written", "没有名为 "+key+" 的选项，uWSGI 原样保留 "+ph)
	try := explain.T("define "+key+" = … in the file (any key works as a variable), or fix the name", "在文件里定义 "+key+" = …（任何键都可以当变量），或修正名字")
	if symbol == '$' {
		why = explain.T("the environment has no variable "+key+", so uWSGI leaves "+ph+" in the value as written", "环境变量里没有 "+key+"，uWSGI 原样保留 "+ph)
		try = explain.T("export "+key+"=… before starting uWSGI", "启动 uWSGI 前先 export "+key+"=…")
	}
	return &explain.Error{
		What:  explain.T(fmt.Sprintf("uwsgi: %s in %s = %s is not replaced", ph, o.Key, o.Value), fmt.Sprintf("uwsgi: %s = %s 中的 %s 没有被替换", o.Key, o.Value, ph)),
		Where: o.Where(), Why: why, Try: try,
	}
}
