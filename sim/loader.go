package sim

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"webflow-lab/servers/ems/web"
	"webflow-lab/servers/uwsgi"
	"webflow-lab/servers/wsgi"
)

// Loader is how the lab's app servers find their app, the way uWSGI loads a
// Python file: a Django-style `project/wsgi.py` (wsgi-file) or `project.wsgi`
// (module) is the EMS, configured from the instance's `env = EMS_…` lines;
// anything else is a built-in app (hello, echo).
func Loader(ref uwsgi.AppRef) (wsgi.App, error) {
	if isDjangoWSGI(ref) {
		if ref.WSGIFile != "" {
			// uWSGI opens the file before anything else: a wrong chdir or
			// relative path is "failed to open python file".
			if _, err := os.Stat(ref.Path); err != nil {
				return nil, &fs.PathError{Op: "open", Path: ref.WSGIFile, Err: fs.ErrNotExist}
			}
		}
		return web.Load(web.EnvMap(ref.Env), ref.Dir)
	}
	return uwsgi.BuiltinLoader(ref)
}

func isDjangoWSGI(ref uwsgi.AppRef) bool {
	if ref.WSGIFile != "" {
		return filepath.Base(ref.WSGIFile) == "wsgi.py"
	}
	mod, _, _ := strings.Cut(ref.Module, ":")
	return strings.HasSuffix(mod, ".wsgi")
}
