package config

import (
	"fmt"
	"strings"

	"webflow-lab/servers/explain"
)

// parser holds the state of one Parse: the nginx cycle's view of the config.
type parser struct {
	opts   Options
	src    source
	prefix string
	cfg    *Config
	stack  []string // files being read, outermost first (include nesting)

	upstreams map[string]*Directive   // upstream blocks by lower-cased name
	passes    []*Directive            // uwsgi_pass/proxy_pass to check once all upstreams are known
	servers   []*Directive            // http server blocks, for duplicate locations
	http      *Directive              // the http block
	formats   map[string]bool         // log_format names defined so far
	listens   map[string][]*Directive // server blocks by listen address
	defaults  map[string]bool         // addresses that have a default_server
}

// block is one open { } (or the main context): nginx's cf->cmd_type plus the
// per-block configuration that decides "is duplicate".
type block struct {
	ctx   Context
	raw   string        // the owner's name when the body goes to a custom handler ("types")
	owner *Directive    // nil for main
	outer *block        // enclosing block
	list  *[]*Directive // where parsed directives go
	seen  map[string]*Directive

	// upstream { } state
	balancer     string // ip_hash, hash, random, least_conn, or "" (round robin)
	upstreamSrvs int
}

func (b *block) remember(d *Directive) {
	if b.seen == nil {
		b.seen = make(map[string]*Directive)
	}
	b.seen[d.Name] = d
}

// parseFile mirrors ngx_conf_parse: it reads statements until the end of the
// file (inBlock false) or the "}" that closes the current block.
func (p *parser) parseFile(lx *lexer, b *block, inBlock bool) error {
	for {
		words, st, err := lx.next()
		if err != nil {
			return p.wrap(err, b)
		}
		switch st {
		case stopBlockDone:
			if !inBlock {
				return p.fail(lx.file, lx.line, errUnexpectedBrace, hint{}, `unexpected "}"`)
			}
			return nil
		case stopFileDone:
			if inBlock {
				return p.fail(lx.file, lx.line, errEOFBrace, hint{name: b.owner.Name, line: b.owner.EndLine, file: b.owner.File},
					`unexpected end of file, expecting "}"`)
			}
			return nil
		}
		if b.raw != "" {
			if err := p.rawStatement(lx, b, words, st); err != nil {
				return err
			}
			continue
		}
		if err := p.handle(lx, b, words, st); err != nil {
			return err
		}
	}
}

// wrap gives a lexer error its explanation, now that the enclosing block is known.
func (p *parser) wrap(err error, b *block) error {
	le, ok := err.(*lexError)
	if !ok {
		return err
	}
	h := hint{char: le.char, words: le.words}
	if b.owner != nil {
		h.name, h.line, h.file = b.owner.Name, b.owner.EndLine, b.owner.File
	}
	return p.fail(le.file, le.line, le.kind, h, "%s", le.msg)
}

// handle mirrors ngx_conf_handler: find the directive, check its context,
// its terminator and its argument count, then run it.
func (p *parser) handle(lx *lexer, b *block, words []word, st stop) error {
	name := words[0].text
	specs := byName[name]
	h := hint{name: name, n: len(words) - 1, ctx: b.ctx, words: words}
	if len(specs) == 0 {
		return p.fail(lx.file, lx.line, errUnknown, h, `unknown directive "%s"`, name)
	}
	for _, s := range specs {
		if s.ctx&b.ctx == 0 {
			continue
		}
		h.spec = s
		if s.arity&Block == 0 && st != stopSemicolon {
			return p.fail(lx.file, lx.line, errNotTerminated, h, `directive "%s" is not terminated by ";"`, name)
		}
		if s.arity&Block != 0 && st != stopBlockStart {
			return p.fail(lx.file, lx.line, errNoOpening, h, `directive "%s" has no opening "{"`, name)
		}
		if !s.arity.accepts(len(words) - 1) {
			return p.fail(lx.file, lx.line, errArgs, h, `invalid number of arguments in "%s" directive`, name)
		}
		return p.run(lx, b, s, words)
	}
	for _, s := range specs {
		h.spec.ctx |= s.ctx
	}
	return p.fail(lx.file, lx.line, errNotAllowed, h, `"%s" directive is not allowed here`, name)
}

// run is the directive's "set" function: check its values, record it, and
// parse its block.
func (p *parser) run(lx *lexer, b *block, s spec, words []word) error {
	d := &Directive{Name: s.name, File: lx.file, Line: words[0].line, EndLine: lx.line}
	if len(words) > 1 {
		d.Args = make([]string, len(words)-1)
		for i, w := range words[1:] {
			d.Args[i] = w.text
		}
	}
	if s.name == "include" {
		return p.include(lx, b, d)
	}
	if err := p.check(b, s, d); err != nil {
		return err
	}
	if !supported[s.name] {
		p.cfg.Warnings = append(p.cfg.Warnings, Warning{
			Msg:  fmt.Sprintf(`"%s" directive has no effect in webflow-lab`, s.name),
			File: d.File, Line: d.EndLine,
			Text: ignoredText(s), Unimplemented: true,
		})
	}
	*b.list = append(*b.list, d)
	b.remember(d)
	if s.arity&Block == 0 {
		return nil
	}
	d.Block = []*Directive{}
	child := &block{ctx: childContext(s.name, b.ctx), owner: d, outer: b, list: &d.Block}
	if child.ctx == 0 {
		child.raw = s.name
	}
	if err := p.parseFile(lx, child, true); err != nil {
		return err
	}
	return p.closeBlock(lx, child)
}

// rawStatement handles a line inside types { } and the other blocks nginx
// gives to a custom handler: any words, no nested blocks, include allowed.
func (p *parser) rawStatement(lx *lexer, b *block, words []word, st stop) error {
	if st == stopBlockStart {
		return p.fail(lx.file, lx.line, errUnexpectedChar, hint{char: '{', name: b.raw, words: words}, `unexpected "{"`)
	}
	d := &Directive{Name: words[0].text, File: lx.file, Line: words[0].line, EndLine: lx.line}
	for _, w := range words[1:] {
		d.Args = append(d.Args, w.text)
	}
	if b.raw == "map" {
		if err := p.mapEntry(lx, b, d); err != nil || d.Name == "include" {
			return err
		}
		*b.list = append(*b.list, d)
		return nil
	}
	if d.Name == "include" && (b.raw == "types" || b.raw == "geo") {
		if len(d.Args) != 1 {
			return p.fail(lx.file, lx.line, errArgs, hint{name: "include", n: len(d.Args)},
				`invalid number of arguments in "include" directive`)
		}
		return p.include(lx, b, d)
	}
	if b.raw == "types" {
		// ngx_http_core_type: a later type for the same extension wins, with a warning.
		for _, ext := range d.Args {
			ext = strings.ToLower(ext)
			for _, prev := range *b.list {
				for _, e := range prev.Args {
					if strings.ToLower(e) == ext {
						p.cfg.Warnings = append(p.cfg.Warnings, Warning{
							Msg: fmt.Sprintf(`duplicate extension "%s", content type: "%s", previous content type: "%s"`,
								ext, d.Name, prev.Name),
							File: d.File, Line: d.EndLine,
							Text: dupExtText(ext, d.Name, prev.Name),
						})
					}
				}
			}
		}
	}
	*b.list = append(*b.list, d)
	return nil
}

// mapEntry mirrors the handler of map { } (ngx_http_map): "hostnames",
// "volatile", or exactly a key and a value; one default; a string key once
// (compared without case).
func (p *parser) mapEntry(lx *lexer, b *block, d *Directive) error {
	mapHint := hint{
		why: explain.T("each line of a map block is a source value and a result: key value;", "map 块的每一行是一个源值和一个结果：键 值;"),
		try: explain.T("quote a value that contains spaces; end each line with ';'", "含空格的值要加引号；每行以 ';' 结尾"),
	}
	if len(d.Args) == 0 && (d.Name == "hostnames" || d.Name == "volatile") {
		return nil
	}
	if len(d.Args) != 1 {
		return p.fail(lx.file, lx.line, errValue, mapHint, "invalid number of the map parameters")
	}
	if d.Name == "include" {
		return p.include(lx, b, d)
	}
	if msg := scriptError(d.Args[0]); msg != "" {
		return p.fail(lx.file, lx.line, errValue, hint{
			why: explain.T("a '$' starts a variable: $name or ${name}, with letters, digits and _", "'$' 表示变量：$name 或 ${name}，由字母、数字和 _ 组成"),
			try: explain.T("complete the variable name, or close the ${…} bracket", "补全变量名，或补上 ${…} 的右括号"),
		}, "%s", msg)
	}
	key := strings.ToLower(d.Name)
	if strings.HasPrefix(key, "~") {
		return nil
	}
	for _, prev := range *b.list {
		if strings.ToLower(prev.Name) != key {
			continue
		}
		if key == "default" {
			return p.fail(lx.file, lx.line, errValue, mapHint, "duplicate default map parameter")
		}
		return p.fail(lx.file, lx.line, errValue, mapHint, `conflicting parameter "%s"`, key) // nginx prints the lower-cased key
	}
	return nil
}

// include mirrors ngx_conf_include: a plain path must exist; a pattern with
// * ? or [ may match nothing. Each file is parsed in the current context.
func (p *parser) include(lx *lexer, b *block, d *Directive) error {
	full := p.src.full(p.prefix, d.Args[0])
	if !strings.ContainsAny(full, "*?[") {
		return p.includeFile(lx, b, full)
	}
	files, err := globMatches(p.src, strings.ReplaceAll(full, `\/`, "/"))
	if err != nil {
		return p.fail(lx.file, lx.line, errInclude, hint{arg: full},
			`glob() "%s" failed (22: Invalid argument)`, full)
	}
	for _, f := range files {
		if err := p.includeFile(lx, b, f); err != nil {
			return err
		}
	}
	return nil
}

func (p *parser) includeFile(lx *lexer, b *block, name string) error {
	clean := p.src.clean(name)
	for _, f := range p.stack {
		if f == clean {
			chain := append(append([]string{}, p.stack...), clean)
			return p.fail(lx.file, lx.line, errIncludeCycle, hint{arg: name, extra: strings.Join(chain, " → ")},
				`include of "%s" would read it again while it is being read`, name)
		}
	}
	if len(p.stack) > p.opts.MaxIncludeDepth {
		return p.fail(lx.file, lx.line, errIncludeDepth, hint{arg: name, n: p.opts.MaxIncludeDepth},
			`include of "%s" is nested more than %d levels deep`, name, p.opts.MaxIncludeDepth)
	}
	src, err := p.src.read(name)
	if err != nil {
		return openError(name, lx.file, lx.line, err)
	}
	// Like nginx's config_dump tree: a file included twice is listed once.
	listed := false
	for _, f := range p.cfg.Files {
		listed = listed || f.Path == name
	}
	if !listed {
		p.cfg.Files = append(p.cfg.Files, File{Path: name, Text: src})
	}
	p.stack = append(p.stack, clean)
	defer func() { p.stack = p.stack[:len(p.stack)-1] }()
	return p.parseFile(newLexer(name, src), b, false)
}
