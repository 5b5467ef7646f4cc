package uwsgi

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"webflow-lab/servers/wsgi"
)

// Builtins are the apps every instance can run by name: `wsgi-file = hello`
// or `hello.py`, `module = echo`. Their Python twins are in testdata/.
// `sleep` (see Sleep) is one more, configured by the ini's env.
var Builtins = map[string]wsgi.App{
	"hello": wsgi.Hello,
	"echo":  wsgi.Echo,
}

// BuiltinLoader finds a built-in app by the base name of wsgi-file or module
// ("hello", "hello.py", "apps/echo.py", "echo:application"). Anything else is
// an error a learner can read: a missing file wraps fs.ErrNotExist (uWSGI:
// "failed to open python file"), an existing Python file cannot be run here.
func BuiltinLoader(ref AppRef) (wsgi.App, error) {
	name := ref.Name()
	base := name
	if ref.Module != "" {
		base, _, _ = strings.Cut(base, ":")
		if i := strings.LastIndexByte(base, '.'); i >= 0 {
			base = base[i+1:]
		}
	} else {
		base = strings.TrimSuffix(filepath.Base(base), ".py")
	}
	if app, ok := Builtins[base]; ok {
		return app, nil
	}
	if base == "sleep" {
		return sleepFromEnv(ref.Env)
	}
	if ref.WSGIFile != "" {
		if _, err := os.Stat(ref.Path); err != nil {
			return nil, &fs.PathError{Op: "open", Path: ref.WSGIFile, Err: fs.ErrNotExist}
		}
		return nil, fmt.Errorf("webflow-lab cannot run Python code: %s is not one of the built-in apps (hello, echo, sleep)", ref.WSGIFile)
	}
	return nil, fmt.Errorf("ModuleNotFoundError: No module named '%s'", strings.SplitN(name, ":", 2)[0])
}
