package web

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"webflow-lab/assets"
	"webflow-lab/servers/explain"
)

// StaticFS returns the app's static files (assets/ems/static), the folder
// Django's finders search in each app's static/ directory. Paths start with
// "ems/" (ems/css/style.css), as Django namespaces an app's static files.
func StaticFS() fs.FS {
	sub, err := fs.Sub(assets.FS, "ems/static")
	if err != nil {
		panic(err) // the folder is embedded at build time
	}
	return sub
}

// CollectResult counts what CollectStatic did.
type CollectResult struct {
	Copied, Unmodified int
	Root               string // the absolute STATIC_ROOT
}

// String is the line Django's collectstatic prints:
//
//	3 static files copied to '/srv/ems/static'.
//	0 static files copied to '/srv/ems/static', 3 unmodified.
func (r CollectResult) String() string {
	plural := "s"
	if r.Copied == 1 {
		plural = ""
	}
	s := fmt.Sprintf("%d static file%s copied to '%s'", r.Copied, plural, r.Root)
	if r.Unmodified > 0 {
		s += fmt.Sprintf(", %d unmodified", r.Unmodified)
	}
	return s + "."
}

// CollectStatic copies every static file into root (STATIC_ROOT), creating
// folders as needed, like `python manage.py collectstatic --noinput`. A file
// already there with the same content is left alone and counted unmodified
// (Django compares modification times; embedded files have none, so we
// compare bytes). Files in root that are not ours are left alone.
func CollectStatic(root string) (CollectResult, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return CollectResult{}, err
	}
	res := CollectResult{Root: abs}
	src := StaticFS()
	err = fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(src, p)
		if err != nil {
			return err
		}
		dst := filepath.Join(abs, filepath.FromSlash(p))
		if old, err := os.ReadFile(dst); err == nil && bytes.Equal(old, data) {
			res.Unmodified++
			return nil
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			return err
		}
		res.Copied++
		return nil
	})
	if err != nil {
		return res, &explain.Error{
			What:  explain.T("collectstatic: cannot copy the static files", "collectstatic: 无法复制静态文件"),
			Where: abs,
			Why:   explain.T(err.Error(), err.Error()),
			Try:   explain.T("check that STATIC_ROOT's parent folder exists and is writable", "检查 STATIC_ROOT 的上级目录是否存在、是否可写"),
			Err:   err,
		}
	}
	return res, nil
}
