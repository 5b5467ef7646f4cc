package ini

// argKind is getopt_long's has_arg: whether a flag takes the next argument.
type argKind uint8

const (
	argNone     argKind = iota // --master; "--master=x" is an error on the command line
	argRequired                // --socket ADDR or --socket=ADDR
	argOptional                // --need-app or --need-app=VALUE, never the next argument
)

// uwsgiOpt is one entry of uWSGI's own option table (see uwsgiopts.go).
type uwsgiOpt struct {
	name  string
	arg   argKind
	short byte
	flags optFlag
}

// optFlag holds the UWSGI_OPT_* flags the lab mirrors.
type optFlag uint8

const (
	optImmediate optFlag = 1 << iota // applied the moment it is read; the placeholder passes skip it
	optMaster                        // naming the option turns the master process on
)

// kind is how uWSGI turns an option's value into a setting: the uwsgi_opt_*
// setter named in its option table (core/uwsgi.c).
type kind uint8

const (
	kIgnored    kind = iota // a real uWSGI option the lab accepts and does not act on
	kBool                   // uwsgi_opt_true: false only for false/off/no (any case) and "0"
	kBoolNeg                // uwsgi_opt_false: the same test, inverted (disable-logging)
	kInt                    // uwsgi_opt_set_int: atoi, negative is fatal
	kUint64                 // uwsgi_opt_set_64bit: strtoul
	kUint16                 // uwsgi_opt_set_16bit: strtoul, capped at 65535
	kString                 // uwsgi_opt_set_str: last one wins
	kList                   // uwsgi_opt_add_string_list: all kept
	kSocket                 // uwsgi_opt_add_socket
	kRouter                 // uwsgi_opt_corerouter: the http router
	kStaticMap              // uwsgi_opt_static_map: "mount=docroot" or fatal
	kEnv                    // uwsgi_opt_set_env: putenv(value)
	kPlugins                // uwsgi_opt_load_plugin: comma-separated names
	kPythonPath             // uwsgi_opt_pythonpath
	kINI                    // uwsgi_opt_load_ini: read a file now
	kInclude                // uwsgi_opt_load: read a file now, by extension
	kSignal                 // uwsgi_opt_pidfile_signal: --stop/--reload, act and exit
	kStrict                 // strict: unknown keys become fatal
	kSet                    // set/set-placeholder: "name=value" adds an option
)

// labOpt is an option the lab reads: which Config field it feeds (canon)
// and the flags from uWSGI's table that matter here.
type labOpt struct {
	kind   kind
	canon  string // the Config field's option name: "workers" → "processes"
	plugin string // the plugin that provides it in a modular build ("python", "http"); "" for core
}

// labOptions are the options the lab gives a meaning to, by every name uWSGI
// accepts for them (core/uwsgi.c, plugins/python/python_plugin.c,
// plugins/http/http.c). Every other name in uwsgiOptions is accepted and
// ignored, with a note.
var labOptions = map[string]labOpt{
	"socket":       {kind: kSocket, canon: "socket"},
	"uwsgi-socket": {kind: kSocket, canon: "socket"},
	"http-socket":  {kind: kSocket, canon: "http-socket"},
	"http":         {kind: kRouter, canon: "http", plugin: "http"},

	"processes": {kind: kInt, canon: "processes"},
	"workers":   {kind: kInt, canon: "processes"},
	"threads":   {kind: kInt, canon: "threads"},
	"master":    {kind: kBool, canon: "master"},

	"stats":          {kind: kString, canon: "stats"},
	"stats-server":   {kind: kString, canon: "stats"},
	"stats-http":     {kind: kBool, canon: "stats-http"},
	"stats-minified": {kind: kBool, canon: "stats-minified"},

	"static-map":      {kind: kStaticMap, canon: "static-map"},
	"static-index":    {kind: kList, canon: "static-index"},
	"static-skip-ext": {kind: kList, canon: "static-skip-ext"},
	"check-static":    {kind: kList, canon: "check-static"},

	"chdir":       {kind: kString, canon: "chdir"},
	"wsgi-file":   {kind: kString, canon: "wsgi-file", plugin: "python"},
	"file":        {kind: kString, canon: "wsgi-file", plugin: "python"},
	"module":      {kind: kString, canon: "module", plugin: "python"},
	"wsgi":        {kind: kString, canon: "module", plugin: "python"},
	"callable":    {kind: kString, canon: "callable", plugin: "python"},
	"pythonpath":  {kind: kPythonPath, canon: "pythonpath", plugin: "python"},
	"python-path": {kind: kPythonPath, canon: "pythonpath", plugin: "python"},
	"pp":          {kind: kPythonPath, canon: "pythonpath", plugin: "python"},
	"virtualenv":  {kind: kString, canon: "virtualenv", plugin: "python"},
	"venv":        {kind: kString, canon: "virtualenv", plugin: "python"},
	"home":        {kind: kString, canon: "virtualenv", plugin: "python"},
	"pyhome":      {kind: kString, canon: "virtualenv", plugin: "python"},

	"pidfile":   {kind: kString, canon: "pidfile"},
	"pidfile2":  {kind: kString, canon: "pidfile2"},
	"daemonize": {kind: kString, canon: "daemonize"},
	"logto":     {kind: kString, canon: "logto"},
	"vacuum":    {kind: kBool, canon: "vacuum"},

	"listen":         {kind: kInt, canon: "listen"},
	"harakiri":       {kind: kInt, canon: "harakiri"},
	"buffer-size":    {kind: kUint16, canon: "buffer-size"},
	"socket-timeout": {kind: kInt, canon: "socket-timeout"},
	"http-timeout":   {kind: kInt, canon: "http-timeout", plugin: "http"},
	"max-requests":   {kind: kUint64, canon: "max-requests"},

	"die-on-term":     {kind: kBool, canon: "die-on-term"},
	"need-app":        {kind: kBool, canon: "need-app"},
	"enable-threads":  {kind: kBool, canon: "enable-threads"},
	"lazy-apps":       {kind: kBool, canon: "lazy-apps"},
	"disable-logging": {kind: kBoolNeg, canon: "disable-logging"},
	"memory-report":   {kind: kBool, canon: "memory-report"},

	"env":          {kind: kEnv, canon: "env"},
	"plugins":      {kind: kPlugins, canon: "plugins"},
	"plugin":       {kind: kPlugins, canon: "plugins"},
	"need-plugins": {kind: kPlugins, canon: "plugins"},
	"need-plugin":  {kind: kPlugins, canon: "plugins"},

	"ini":             {kind: kINI, canon: "ini"},
	"include":         {kind: kInclude, canon: "include"},
	"stop":            {kind: kSignal, canon: "stop"},
	"reload":          {kind: kSignal, canon: "reload"},
	"strict":          {kind: kStrict, canon: "strict"},
	"set":             {kind: kSet, canon: "set"},
	"set-placeholder": {kind: kSet, canon: "set-placeholder"},
	"set-ph":          {kind: kSet, canon: "set-placeholder"},
}

// uwsgiOptIndex finds an option of uWSGI's table by exact name.
var uwsgiOptIndex = func() map[string]int {
	m := make(map[string]int, len(uwsgiOptions))
	for i, o := range uwsgiOptions {
		if _, dup := m[o.name]; !dup {
			m[o.name] = i
		}
	}
	return m
}()

// isUWSGIOption reports whether uWSGI 2.0 (with python and http) knows name.
func isUWSGIOption(name string) bool {
	_, ok := uwsgiOptIndex[name]
	return ok
}

// flagsOf returns uWSGI's flags for an option name (0 if unknown).
func flagsOf(name string) optFlag {
	if i, ok := uwsgiOptIndex[name]; ok {
		return uwsgiOptions[i].flags
	}
	return 0
}
