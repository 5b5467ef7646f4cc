package uwsgi

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"webflow-lab/servers/explain"
)

// loadApp asks the loader for the app. A failure is not fatal in uWSGI 2.0:
// it logs, goes into "full dynamic mode" and answers every request with 500.
func (s *Server) loadApp() {
	ref := s.appRef()
	h := &appHolder{}
	t0 := time.Now()
	if ref.WSGIFile == "" && ref.Module == "" {
		h.loadErr = errors.New("no app configured")
		s.log.Print("*** no app loaded. going in full dynamic mode ***")
	} else if app, err := s.loader(ref); err != nil {
		h.loadErr = err
		if errors.Is(err, fs.ErrNotExist) && ref.WSGIFile != "" {
			s.log.Printf("failed to open python file %s", ref.WSGIFile)
		} else {
			s.log.Printf("%v", err)
		}
		s.log.Print("unable to load app 0 (mountpoint='') (callable not found or import error)")
		if s.cfg.NeedApp {
			s.log.Print("*** no app loaded. GAME OVER ***")
		} else {
			s.log.Print("*** no app loaded. going in full dynamic mode ***")
		}
	} else {
		h.app = app
		s.log.Printf("WSGI app 0 (mountpoint='') ready in %d seconds on interpreter %p pid: %d (default app)",
			int(time.Since(t0).Seconds()), h, s.pid)
	}
	s.app.Store(h)
}

// closeApp closes the loaded app if it holds resources (the EMS's database):
// in uWSGI the worker processes exit on reload and shutdown, and with them
// every connection the app had open.
func (s *Server) closeApp() {
	h := s.app.Swap(nil)
	if h == nil || h.app == nil {
		return
	}
	if c, ok := h.app.(io.Closer); ok {
		if err := c.Close(); err != nil {
			s.log.Printf("closing the app: %v", err)
		}
	}
}

func (s *Server) appRef() AppRef {
	dir := s.dir
	if dir == "" {
		dir, _ = os.Getwd()
	}
	ref := AppRef{WSGIFile: s.cfg.WSGIFile, Module: s.cfg.Module, Callable: s.cfg.Callable, Dir: dir, Env: s.cfg.Env}
	if ref.Callable == "" {
		ref.Callable = "application"
	}
	if ref.WSGIFile != "" {
		ref.Path = ref.WSGIFile
		if !filepath.IsAbs(ref.Path) {
			ref.Path = filepath.Join(dir, ref.Path)
		}
	}
	return ref
}

// AppError explains why the app did not load (nil when it did): uWSGI 2.0
// keeps running in "full dynamic mode" and answers every request with 500,
// which is what a learner then sees in the browser.
func (s *Server) AppError() *explain.Error {
	h := s.app.Load()
	if h == nil || h.app != nil {
		return nil
	}
	ref := s.appRef()
	e := &explain.Error{
		What: explain.T("uwsgi: no app loaded: every request will get 500 Internal Server Error",
			"uwsgi: 没有加载任何应用：每个请求都会得到 500 Internal Server Error"),
		Where: s.where("wsgi-file", ref.WSGIFile),
		Err:   h.loadErr,
	}
	switch {
	case ref.WSGIFile == "" && ref.Module == "":
		e.Where = s.where("", "")
		e.Why = explain.T("the config names no app (no wsgi-file or module line)", "配置里没有指定应用 (没有 wsgi-file 或 module)")
		e.Try = explain.T("add wsgi-file = project/wsgi.py (relative to chdir)", "加上 wsgi-file = 项目名/wsgi.py (相对于 chdir)")
	case errors.Is(h.loadErr, fs.ErrNotExist):
		e.Why = explain.T("the file "+ref.Path+" does not exist: wsgi-file is relative to chdir, and an inline comment becomes part of the name",
			"文件 "+ref.Path+" 不存在：wsgi-file 是相对于 chdir 的路径，行内注释也会变成文件名的一部分")
		e.Try = explain.T("check chdir and wsgi-file together: chdir + wsgi-file must be the project's wsgi.py",
			"把 chdir 和 wsgi-file 放在一起检查：chdir + wsgi-file 必须正好是项目的 wsgi.py")
	default:
		e.Why = explain.T(h.loadErr.Error(), h.loadErr.Error())
		e.Try = explain.T("the log above shows the error the app raised while loading", "上面的日志里有应用加载时抛出的错误")
	}
	if ref.Module != "" {
		e.Where = s.where("module", ref.Module)
	}
	return e
}

// AppLoaded reports whether an app is loaded (false = full dynamic mode).
func (s *Server) AppLoaded() bool {
	h := s.app.Load()
	return h != nil && h.app != nil
}
