package ini

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"webflow-lab/servers/errno"
	"webflow-lab/servers/explain"
)

// maxDepth bounds --ini/include nesting; uWSGI itself would recurse until it
// runs out of stack.
const maxDepth = 16

// LoadFile reads one ini file's [uwsgi] section as `uwsgi --ini path` does
// and resolves it. path may name a section: "app.ini:dev".
func LoadFile(path string) (*Config, error) {
	return Host{}.ParseArgs([]string{"--ini", path})
}

// ParseArgs reads a uWSGI command line (without the program name) the way
// uWSGI 2.0 does, with lookupEnv for $(NAME) placeholders (nil:
// os.LookupEnv), and resolves it. A fatal error is an *explain.Error whose
// What is uWSGI's own message.
func ParseArgs(args []string, lookupEnv func(string) (string, bool)) (*Config, error) {
	return Host{LookupEnv: lookupEnv}.ParseArgs(args)
}

// ParseArgs is the package-level ParseArgs on this host.
//
// The order is uWSGI's (core/uwsgi.c main): UWSGI_* environment variables
// first, then the flags in order, with --ini, --include, --plugins, --strict,
// --set and --listen applied the moment they are read (an ini file's lines
// land in the list where its --ini flag stands), then bare file arguments
// (getopt moves them after every flag), then the $(…), @(…) and %(…) passes,
// then every remaining option is applied in list order.
func (h Host) ParseArgs(args []string) (*Config, error) {
	ld := &loader{h: h}
	if err := ld.run(args); err != nil {
		if errors.Is(err, errAction) {
			// uWSGI signals the pidfile and exits here: what came before is
			// read, nothing after it.
			c := &Config{Options: ld.optionList(), Files: ld.fileNames(), Action: ld.action, ActionArg: ld.actionArg, Notes: ld.notes}
			c.effects = make([]effect, len(c.Options))
			c.effects[len(c.effects)-1].text = explain.T("sends "+map[string]string{"stop": "SIGINT (shut down)", "reload": "SIGHUP (graceful reload)"}[ld.action]+" to the pid in "+ld.actionArg+", then exits",
				"向 "+ld.actionArg+" 中记录的进程发送 "+map[string]string{"stop": "SIGINT（关闭）", "reload": "SIGHUP（平滑重启）"}[ld.action]+"，然后退出")
			return c, nil
		}
		return nil, err
	}
	return ld.resolve()
}

// errAction stops reading at --stop/--reload, which uWSGI runs on the spot.
var errAction = errors.New("ini: action")

// entry is one exported option and uWSGI's bookkeeping for it.
type entry struct {
	Option
	configured      bool // applied already (immediate) or a placeholder only: skipped by the passes and by configure
	placeholderOnly bool
}

type loader struct {
	h          Host
	list       []entry
	strict     bool
	notes      []*explain.Error
	files      []*File
	masterBy   string // the first option whose mere presence turned the master on
	action     string
	actionArg  string
	depth      int
	firstINI   bool // the upper-case magic twins are set
	upper      Magic
	phNotes    map[int]*explain.Error // placeholder notes by option index
	referenced map[string]bool        // names read by %(name)
}

func (ld *loader) optionList() []Option {
	out := make([]Option, 0, len(ld.list))
	for _, e := range ld.list {
		out = append(out, e.Option)
	}
	return out
}

func (ld *loader) fileNames() []string {
	var out []string
	for _, f := range ld.files {
		out = append(out, f.Path)
	}
	return out
}

func (ld *loader) run(args []string) error {
	// parse_sys_envs: UWSGI_PROCESSES=4 is the option processes = 4.
	for _, kv := range ld.h.environ() {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(k, "UWSGI_") || envSkipped[k] {
			continue
		}
		name := strings.ReplaceAll(strings.ToLower(k[len("UWSGI_"):]), "_", "-")
		if err := ld.add(Option{Key: name, Value: v, File: "environment variable " + k}, false); err != nil {
			return err
		}
	}
	var bare []Option
	err := getopt(args, func(o Option) error { return ld.add(o, false) }, func(o Option) { bare = append(bare, o) })
	if err != nil {
		return err
	}
	for _, o := range bare {
		if strings.HasPrefix(o.Value, "[") {
			continue // uWSGI skips "[…]" arguments
		}
		if !strings.HasSuffix(o.Value, ".ini") {
			return fatal(o, fmt.Sprintf("unable to load configuration from %s", o.Value),
				explain.T("uWSGI takes a bare argument as a config file and picks the parser by its extension; the lab reads only .ini files (and app.ini:section must be given as --ini app.ini:section)",
					"uWSGI 把不带 -- 的参数当作配置文件，按扩展名选择解析方式；本实验只读取 .ini 文件（带节名时要写成 --ini app.ini:节名）"),
				explain.T("use --ini file.ini, or check the spelling of the option before it", "使用 --ini file.ini，或检查它前面那个选项的拼写"))
		}
		if err := ld.loadINI(o, o.Value); err != nil {
			return err
		}
	}
	return nil
}

// envSkipped are the UWSGI_* variables uWSGI sets for itself.
var envSkipped = map[string]bool{
	"UWSGI_RELOADS": true, "UWSGI_VASSALS_DIR": true, "UWSGI_EMPEROR_FD": true, "UWSGI_BROODLORD_NUM": true,
	"UWSGI_EMPEROR_FD_CONFIG": true, "UWSGI_EMPEROR_PROXY": true, "UWSGI_JAIL_PID": true, "UWSGI_ORIGINAL_PROC_NAME": true,
}

// add is uWSGI's add_exported_option: append, check strict mode, note the
// flags, and run an immediate option now.
func (ld *loader) add(o Option, placeholderOnly bool) error {
	ld.list = append(ld.list, entry{Option: o, placeholderOnly: placeholderOnly, configured: placeholderOnly})
	if placeholderOnly {
		if isUWSGIOption(o.Key) {
			return fatal(o, fmt.Sprintf("you cannot use %s as a placeholder, it is already available as an option", o.Key),
				explain.T("set-placeholder only defines variables for %(name); this name is a uWSGI option", "set-placeholder 只能定义供 %(name) 使用的变量；这个名字已经是 uWSGI 的选项"),
				explain.T("pick another name, or use set = to set the option", "换一个名字，或用 set = 来设置这个选项"))
		}
		return nil
	}
	if !isUWSGIOption(o.Key) {
		if ld.strict {
			return strictError(o)
		}
		return nil
	}
	fl := flagsOf(o.Key)
	if fl&optMaster != 0 && ld.masterBy == "" {
		ld.masterBy = o.Key
	}
	if fl&optImmediate == 0 {
		return nil
	}
	ld.list[len(ld.list)-1].configured = true
	return ld.immediate(o)
}

// immediate runs an UWSGI_OPT_IMMEDIATE option as it is read.
func (ld *loader) immediate(o Option) error {
	lo, ok := labOptions[o.Key]
	if !ok {
		return nil // noted later, when the list is resolved
	}
	switch lo.kind {
	case kINI:
		return ld.loadINI(o, o.Value)
	case kInclude:
		if !strings.HasSuffix(o.Value, ".ini") {
			return fatal(o, fmt.Sprintf("unable to load configuration from %s", o.Value),
				explain.T("the lab includes only .ini files", "本实验只能 include .ini 文件"),
				explain.T("convert the file to ini", "把这个文件改写成 ini 格式"))
		}
		return ld.loadINI(o, o.Value)
	case kSignal:
		ld.action, ld.actionArg = o.Key, o.Value
		return errAction
	case kStrict:
		ld.strict = truth(o.Value)
	case kSet:
		name, value, ok := strings.Cut(o.Value, "=")
		if !ok {
			return fatal(o, "invalid placeholder/--set value",
				explain.T(o.Key+" takes name=value", o.Key+" 的值必须是 name=value"),
				explain.T("write "+o.Key+" = name=value", "写成 "+o.Key+" = name=value"))
		}
		return ld.add(Option{Key: name, Value: value, File: o.File, Line: o.Line, Flag: o.Flag}, lo.canon == "set-placeholder")
	case kInt: // listen
		if atoi(o.Value) < 0 {
			return negativeError(o)
		}
	}
	return nil
}

// loadINI reads "file[:section]" as uWSGI's uwsgi_opt_load_ini does and adds
// its pairs where the --ini option stands.
func (ld *loader) loadINI(from Option, spec string) error {
	if ld.depth >= maxDepth {
		return fatal(from, fmt.Sprintf("ini: --ini nested more than %d deep at %s", maxDepth, spec),
			explain.T("an ini file includes itself, directly or through others", "ini 文件直接或间接地包含了它自己"),
			explain.T("remove the ini/include line that loops", "删除造成循环的 ini/include 行"))
	}
	path, section := SplitSpec(spec)
	asked := ""
	if i := strings.LastIndexByte(spec, ':'); i >= 0 {
		asked = spec[i+1:]
	}
	if path == "" {
		// "--ini :section" rereads the last file.
		if len(ld.files) == 0 {
			return fatal(from, "realpath() of  failed: No such file or directory [core/utils.c line 3662]",
				explain.T("\":section\" means \"the same file as before\", and no file was read before", "\":节名\" 表示“上一个文件”，但之前没有读过文件"),
				explain.T("name the file: --ini app.ini:section", "写出文件名：--ini app.ini:节名"))
		}
		path = ld.files[len(ld.files)-1].Path
	}
	abs, err := ld.realpath(path)
	if err != nil {
		return fatal(from, fmt.Sprintf("realpath() of %s failed: %s [core/utils.c line 3662]", path, errno.Strerror(err)),
			explain.T("uWSGI could not find the config file "+path+" (relative paths start at the current directory)",
				"uWSGI 找不到配置文件 "+path+"（相对路径从当前目录算起）"),
			explain.T("check the path; run the command from the directory that holds the file, or give an absolute path",
				"检查路径；在文件所在目录运行命令，或写绝对路径"))
	}
	data, err := ld.h.readFile(path)
	if err != nil {
		return fatal(from, fmt.Sprintf("open(\"%s\"): %s [core/io.c line 525]", path, errno.Strerror(err)),
			explain.T("the config file exists but cannot be read", "配置文件存在但无法读取"),
			explain.T("check its permissions", "检查文件权限"))
	}
	m := MagicFor(path, abs, asked, ld.h)
	if !ld.firstINI && from.Key == "ini" {
		ld.firstINI = true
		ld.upper = Magic{}
		for _, c := range "odspcenxij" {
			ld.upper[byte(c)-'a'+'A'] = m[byte(c)]
		}
	}
	for k, v := range ld.upper {
		m[k] = v
	}
	f := Parse(path, data, section, m)
	ld.files = append(ld.files, f)
	for _, l := range f.Lines {
		if n := headerNote(f, l); n != nil {
			ld.notes = append(ld.notes, n)
		}
	}
	if n := f.MissingSection(); n != nil {
		ld.notes = append(ld.notes, n)
	}
	ld.depth++
	defer func() { ld.depth-- }()
	for _, o := range f.Options() {
		if err := ld.add(o, false); err != nil {
			return err
		}
	}
	return nil
}

// realpath is the path uWSGI's magic variables are computed from
// (config_magic_table_fill): realpath() of the file, except that a symlink
// is taken as cwd + "/" + name, unresolved, so %d is the link's directory.
func (ld *loader) realpath(p string) (string, error) {
	if ld.h.Abs != nil {
		return ld.h.Abs(p)
	}
	full := p
	if !filepath.IsAbs(p) {
		full = filepath.Join(ld.h.cwd(), p)
	}
	if fi, err := os.Lstat(full); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		if filepath.IsAbs(p) {
			return p, nil
		}
		return ld.h.cwd() + "/" + p, nil
	}
	return filepath.EvalSymlinks(full)
}

// truth is uwsgi_opt_true: every value is true except false, off, no (any
// case) and "0". An empty value (a bare key) is true.
func truth(v string) bool {
	switch strings.ToLower(v) {
	case "false", "off", "no":
		return false
	}
	return v != "0"
}

// fatal builds the error for a line uWSGI stops on.
func fatal(o Option, msg string, why, try explain.Text) *explain.Error {
	return &explain.Error{What: explain.T(msg, msg), Where: o.Where(), Why: why, Try: try}
}

func strictError(o Option) *explain.Error {
	return fatal(o, "[strict-mode] unknown config directive: "+o.Key,
		explain.T(fmt.Sprintf("strict mode is on, and %q is not a uWSGI option (without strict, uWSGI silently keeps it as a %%(%s) variable)", o.Key, o.Key),
			fmt.Sprintf("开启了 strict 模式，而 %q 不是 uWSGI 的选项（不开 strict 时 uWSGI 会默默把它当作 %%(%s) 变量）", o.Key, o.Key)),
		explain.T("fix the spelling of the key, or remove strict = true", "修正键名的拼写，或去掉 strict = true"))
}

func negativeError(o Option) *explain.Error {
	return fatal(o, fmt.Sprintf("invalid value for option %q: must be > 0", o.Key),
		explain.T(fmt.Sprintf("%s = %s is negative once read as a number (uWSGI reads the leading digits)", o.Key, o.Value),
			fmt.Sprintf("%s = %s 按数字读出来是负数（uWSGI 只读前面的数字）", o.Key, o.Value)),
		explain.T("give a number ≥ 0", "填一个 ≥ 0 的数字"))
}
