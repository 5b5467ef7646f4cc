package config

import (
	"fmt"
	"strings"

	"webflow-lab/servers/errno"
	"webflow-lab/servers/explain"
)

// NginxError is a config error exactly as nginx words it. Error() is the text
// after "nginx: [emerg] ".
type NginxError struct {
	Level string // "emerg" for every config error
	Msg   string // e.g. `unknown directive "x"`
	File  string // where nginx reports it; "" when not tied to a file
	Line  int

	// AfterParse is set for errors nginx finds after the whole file was
	// read (ngx_init_cycle's init_conf step): `nginx -t` has then already
	// printed "syntax is ok" before the error.
	AfterParse bool
}

func (e *NginxError) Error() string {
	if e.File == "" {
		return e.Msg
	}
	return fmt.Sprintf("%s in %s:%d", e.Msg, e.File, e.Line)
}

// errKind selects the plain-words explanation of an error.
type errKind string

const (
	errUnexpectedEOF   errKind = "eof"
	errEOFBrace        errKind = "eof-brace"
	errUnexpectedChar  errKind = "char"
	errUnexpectedBrace errKind = "brace"
	errTooLong         errKind = "too-long"
	errUnknown         errKind = "unknown"
	errNotAllowed      errKind = "not-allowed"
	errArgs            errKind = "args"
	errNotTerminated   errKind = "not-terminated"
	errNoOpening       errKind = "no-opening"
	errDuplicate       errKind = "duplicate"
	errInclude         errKind = "include"
	errIncludeCycle    errKind = "include-cycle"
	errIncludeDepth    errKind = "include-depth"
	errValue           errKind = "value"
	errUpstream        errKind = "upstream"
	errLocation        errKind = "location"
)

// hint carries what the explanation needs to be specific.
type hint struct {
	name  string // directive name
	arg   string // offending argument or path
	extra string
	file  string // for errEOFBrace: the unclosed block
	line  int
	n     int // argument count, or a limit
	char  byte
	ctx   Context
	spec  spec
	words []word
	why   explain.Text // set by value checks
	try   explain.Text
}

// fail builds the *explain.Error for an nginx error at file:line.
func (p *parser) fail(file string, line int, kind errKind, h hint, format string, args ...any) error {
	return newError(&NginxError{Level: "emerg", Msg: fmt.Sprintf(format, args...), File: file, Line: line}, kind, h)
}

func newError(ne *NginxError, kind errKind, h hint) *explain.Error {
	why, try := explainFor(ne, kind, h)
	where := ""
	if ne.File != "" {
		where = fmt.Sprintf("%s:%d", ne.File, ne.Line)
	}
	return &explain.Error{What: explain.T(ne.Msg, ne.Msg), Where: where, Why: why, Try: try, Err: ne}
}

var errIsDir = errno.EISDIR

// errnoText is the "(2: No such file or directory)" part of nginx's system
// errors, with glibc's strerror wording; an error without an errno reads as
// a failed read.
func errnoText(err error) string {
	if _, ok := errno.Of(err); !ok {
		return "(" + errno.Format(errno.EIO) + ")"
	}
	return "(" + errno.Format(err) + ")"
}

// openError is nginx's failure to open a config file: `open() "x" failed
// (2: No such file or directory) in including-file:line`. A directory opens
// but cannot be read, which nginx reports from pread().
func openError(name, from string, line int, err error) error {
	if errno.Is(err, errno.EISDIR) {
		// open() succeeds on a directory; ngx_read_file's pread() then
		// fails, logged at crit level and without the config position.
		ne := &NginxError{Level: "crit", Msg: fmt.Sprintf(`pread() "%s" failed %s`, name, errnoText(err))}
		e := newError(ne, errInclude, hint{arg: name})
		if from != "" {
			e.Where = fmt.Sprintf("%s:%d", from, line)
		}
		e.Why = explain.T(fmt.Sprintf("%q is a directory; include reads files", name), fmt.Sprintf("%q 是目录；include 读取的是文件", name))
		e.Try = explain.T("include the files in it with a pattern: "+name+"/*.conf", "用通配符包含其中的文件："+name+"/*.conf")
		return e
	}
	ne := &NginxError{Level: "emerg", Msg: fmt.Sprintf(`open() "%s" failed %s`, name, errnoText(err)), File: from, Line: line}
	return newError(ne, errInclude, hint{arg: name})
}

// explainFor says why, and what to try, in kind plain words.
func explainFor(ne *NginxError, kind errKind, h hint) (why, try explain.Text) {
	T := explain.T
	switch kind {
	case errUnexpectedEOF:
		if len(h.words) > 0 {
			return T(fmt.Sprintf("the file ended inside the directive %q that starts at line %d: its ';' is missing", h.words[0].text, h.words[0].line),
					fmt.Sprintf("文件在第 %d 行开始的指令 %q 中间结束了：缺少 ';'", h.words[0].line, h.words[0].text)),
				missingSemicolon(h.words)
		}
		return T("the file ended in the middle of a directive: its closing ';' (or a '}') is missing",
				"文件在一条指令中间结束了：缺少结尾的 ';'（或 '}'）"),
			T("every simple directive ends with ';' — look at the last directive of the file and add the ';'",
				"每条简单指令都以 ';' 结尾——检查文件中最后一条指令，补上 ';'")
	case errEOFBrace:
		return T(fmt.Sprintf("the %q block opened at %s:%d is never closed", h.name, h.file, h.line),
				fmt.Sprintf("%s:%d 处打开的 %q 块没有闭合", h.file, h.line, h.name)),
			T("add the matching '}' at the end of that block; count the '{' and '}' in the file",
				"在该块末尾补上对应的 '}'；数一数文件中的 '{' 和 '}' 是否成对")
	case errUnexpectedChar:
		switch h.char {
		case '{':
			if h.name != "" && len(h.words) > 0 {
				return T(fmt.Sprintf("inside %s { } every line is a plain list of words; no block can open there", h.name),
						fmt.Sprintf("在 %s { } 中每一行只是一串词，不能再打开块", h.name)),
					T(fmt.Sprintf("end the line %q with ';', and close the %s block with '}'", argsOf(append([]word{{}}, h.words...)), h.name),
						fmt.Sprintf("用 ';' 结束 %q 这一行，并用 '}' 关闭 %s 块", argsOf(append([]word{{}}, h.words...)), h.name))
			}
			fallthrough
		case ';':
			return T(fmt.Sprintf("a '%c' stands where a directive name should start", h.char),
					fmt.Sprintf("在应当出现指令名的位置出现了 '%c'", h.char)),
				T("remove the extra character, or write the directive's name before it",
					"删除多余的字符，或在它前面写上指令名")
		}
		return T(fmt.Sprintf("a quoted argument must be followed by a space, ';' or '{', not '%c'", h.char),
				fmt.Sprintf("引号括起的参数后面必须是空格、';' 或 '{'，而不是 '%c'", h.char)),
			T("put a space after the closing quote, or move the text inside the quotes",
				"在右引号后面加一个空格，或把这段文字移到引号里面")
	case errUnexpectedBrace:
		if len(h.words) > 0 {
			why := T(fmt.Sprintf("the directive %q before this '}' was never ended with ';'", h.words[0].text),
				fmt.Sprintf("这个 '}' 之前的指令 %q 没有以 ';' 结束", h.words[0].text))
			for _, w := range h.words {
				if strings.HasSuffix(w.text, "}") {
					return why, T(fmt.Sprintf("in %q the '}' is part of the word: end the directive with ';' and put a space before '}'", w.text),
						fmt.Sprintf("在 %q 中 '}' 成了这个词的一部分：用 ';' 结束指令，并在 '}' 前加空格", w.text))
				}
			}
			return why, missingSemicolon(h.words)
		}
		return T("this '}' closes a block that was never opened here (or the directive before it is missing its ';')",
				"这个 '}' 要关闭的块在此处并未打开（或者它前面的指令缺少 ';'）"),
			T("check the braces above: each '{' has exactly one '}', and a block cannot close across an include",
				"检查上面的大括号：每个 '{' 只对应一个 '}'，块也不能跨 include 文件关闭")
	case errTooLong:
		return T("nginx reads config words through a 4096-byte buffer; this word is longer — usually an unclosed quote",
				"nginx 读取配置时每个词最长 4096 字节；这个词太长了——通常是引号没有闭合"),
			T("close the quote, or shorten the word", "补上右引号，或缩短这个词")
	case errUnknown:
		return unknownText(h)
	case errNotAllowed:
		return T(fmt.Sprintf("%q may only appear in: %s; here it is inside %s", h.name, h.spec.ctx, h.ctx),
				fmt.Sprintf("%q 只能写在：%s 中；这里它位于 %s 中", h.name, h.spec.ctx, h.ctx)),
			T(fmt.Sprintf("move %q into one of those blocks (check the '{' and '}' around it)", h.name),
				fmt.Sprintf("把 %q 移到上述块之一中（检查它周围的 '{' 和 '}'）", h.name))
	case errArgs:
		return argsText(ne, h)
	case errNotTerminated:
		why = T(fmt.Sprintf("%q is a simple directive, but a '{' follows it", h.name),
			fmt.Sprintf("%q 是简单指令，后面却跟了 '{'", h.name))
		if next := firstOnLaterLine(h.words); next != nil {
			return why, missingSemicolon(h.words)
		}
		return why, T(fmt.Sprintf("every simple directive ends with ';' — end %q with ';' at line %d (a block needs a block directive such as location)", h.name, ne.Line),
			fmt.Sprintf("每条简单指令都以 ';' 结尾——在第 %d 行用 ';' 结束 %q（块需要 location 之类的块指令）", ne.Line, h.name))
	case errNoOpening:
		return T(fmt.Sprintf("%q is a block directive: it needs { ... } after its arguments", h.name),
				fmt.Sprintf("%q 是块指令：参数后面需要 { ... }", h.name)),
			T(fmt.Sprintf("write it as %s { ... }", strings.TrimSpace(h.name+" "+argsOf(h.words))),
				fmt.Sprintf("写成 %s { ... }", strings.TrimSpace(h.name+" "+argsOf(h.words))))
	case errDuplicate:
		return T(fmt.Sprintf("%q may be set only once per block; an earlier line in this block already sets it", h.name),
				fmt.Sprintf("%q 在同一个块中只能设置一次；本块前面已经设置过", h.name)),
			T("keep one of the two lines and delete the other", "保留其中一行，删除另一行")
	case errInclude:
		return T(fmt.Sprintf("nginx could not read %q; a relative include path is taken from the directory of the main config file", h.arg),
				fmt.Sprintf("nginx 无法读取 %q；相对路径的 include 以主配置文件所在目录为起点", h.arg)),
			T("check the path and spelling, or use a pattern such as conf.d/*.conf (a pattern may match nothing)",
				"检查路径和拼写，或使用 conf.d/*.conf 这样的通配符（通配符可以一个都不匹配）")
	case errIncludeCycle:
		return T("the files include each other in a loop: "+h.extra, "这些文件互相包含，形成了循环："+h.extra),
			T("remove the include that points back to a file already being read", "删除指回正在读取的文件的那条 include")
	case errIncludeDepth:
		return T(fmt.Sprintf("includes are nested more than %d levels deep, which usually means a loop through links", h.n),
				fmt.Sprintf("include 嵌套超过 %d 层，通常意味着经由链接形成了循环", h.n)),
			T("flatten the includes", "减少 include 的嵌套层数")
	}
	return h.why, h.try
}

// firstOnLaterLine is the first word of a statement that is not on the line
// of the directive's name: with a missing ';' it is the next directive.
func firstOnLaterLine(words []word) *word {
	for i := 1; i < len(words); i++ {
		if words[i].line > words[0].line {
			return &words[i]
		}
	}
	return nil
}

// missingSemicolon says where the ';' belongs: after the last word before
// the statement ran onto a new line.
func missingSemicolon(words []word) explain.Text {
	last := words[len(words)-1]
	if next := firstOnLaterLine(words); next != nil {
		for i := range words {
			if &words[i] == next {
				last = words[i-1]
				break
			}
		}
		return explain.T(
			fmt.Sprintf("every simple directive ends with ';' — add one at the end of line %d, after %q (the words after it, %q…, were read as more arguments)", last.line, last.text, next.text),
			fmt.Sprintf("每条简单指令都以 ';' 结尾——在第 %d 行 %q 之后加上 ';'（后面的 %q… 被当成了更多参数）", last.line, last.text, next.text))
	}
	return explain.T(
		fmt.Sprintf("every simple directive ends with ';' — add one at the end of line %d, after %q", last.line, last.text),
		fmt.Sprintf("每条简单指令都以 ';' 结尾——在第 %d 行 %q 之后加上 ';'", last.line, last.text))
}

func argsOf(words []word) string {
	var parts []string
	for _, w := range words[1:] {
		parts = append(parts, w.text)
	}
	return strings.Join(parts, " ")
}

// unknownText explains an unknown directive, spotting the two usual causes:
// a missing space (uwsgi_pass127.0.0.1) and a typo.
func unknownText(h hint) (why, try explain.Text) {
	T := explain.T
	why = T(fmt.Sprintf("nginx has no directive named %q", h.name), fmt.Sprintf("nginx 没有名为 %q 的指令", h.name))
	for n := len(h.name) - 1; n >= 3; n-- {
		if _, ok := byName[h.name[:n]]; ok {
			return why, T(fmt.Sprintf("a space is missing: write %q then its argument %q", h.name[:n], h.name[n:]),
				fmt.Sprintf("缺少空格：应写成 %q 加参数 %q", h.name[:n], h.name[n:]))
		}
	}
	if best := closest(h.name); best != "" {
		return why, T(fmt.Sprintf("check the spelling: did you mean %q?", best), fmt.Sprintf("检查拼写：是不是想写 %q？", best))
	}
	if len(h.words) == 1 {
		return why, T("if this word is an argument, the ';' at the end of the line before is in the wrong place",
			"如果这个词是参数，那么上一行末尾的 ';' 位置不对")
	}
	return why, T("check the spelling against the nginx documentation", "对照 nginx 文档检查拼写")
}

// closest is the known directive nearest to name by edit distance (at most 2).
func closest(name string) string {
	best, bestD := "", 3
	for n := range byName {
		if d := editDistance(name, n); d < bestD || (d == bestD && n < best) {
			best, bestD = n, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 99
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// arityText describes an Arity in words.
func arityText(a Arity) (en, zh string) {
	switch {
	case a&AnyArgs != 0:
		return "any number of arguments", "任意个参数"
	case a&Flag != 0:
		return "exactly one argument, on or off", "恰好一个参数：on 或 off"
	case a&OneOrMore != 0:
		return "one or more arguments", "一个或多个参数"
	case a&TwoOrMore != 0:
		return "two or more arguments", "两个或更多参数"
	}
	var ns []string
	for n := 0; n < maxArgs; n++ {
		if a&(NoArgs<<n) != 0 {
			ns = append(ns, fmt.Sprint(n))
		}
	}
	s := strings.Join(ns, " or ")
	if s == "0" {
		return "no arguments", "不带参数"
	}
	return s + " argument(s)", s + " 个参数"
}

func argsText(ne *NginxError, h hint) (why, try explain.Text) {
	en, zh := arityText(h.spec.arity)
	why = explain.T(fmt.Sprintf("%q takes %s; here it has %d", h.name, en, h.n),
		fmt.Sprintf("%q 需要%s；这里给了 %d 个", h.name, zh, h.n))
	// A missing ';' makes the next line's words arguments of this directive.
	if firstOnLaterLine(h.words) != nil {
		return why, missingSemicolon(h.words)
	}
	return why, explain.T("add or remove arguments; quote an argument that contains spaces",
		"增加或删除参数；含空格的参数要用引号括起来")
}

func ignoredText(s spec) explain.Text {
	return explain.T(
		fmt.Sprintf("real nginx accepts %q (%s); webflow-lab reads it and ignores it", s.name, s.module),
		fmt.Sprintf("真实的 nginx 支持 %q（%s）；webflow-lab 读取但忽略它", s.name, s.module))
}

func dupExtText(ext, now, prev string) explain.Text {
	return explain.T(
		fmt.Sprintf("the extension %q is listed twice; files ending in it are now sent as %s instead of %s", ext, now, prev),
		fmt.Sprintf("扩展名 %q 出现了两次；现在以 %s 而不是 %s 发送", ext, now, prev))
}
