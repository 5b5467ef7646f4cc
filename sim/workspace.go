package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"

	"webflow-lab/assets"
	"webflow-lab/servers/ems/web"
	"webflow-lab/servers/explain"
)

// workspaceFiles maps a shipped file (below assets/) to its place in a new
// workspace. A folder entry copies every file below it.
var workspaceFiles = []struct{ from, to string }{
	{"nginx/nginx.conf", "nginx.conf"},
	{"nginx/mime.types", "mime.types"},
	{"nginx/uwsgi_params", "uwsgi_params"},
	{"nginx/conf.d", "conf.d"},
	{"uwsgi/uwsgi-1.ini", "uwsgi-1.ini"},
	{"uwsgi/uwsgi-2.ini", "uwsgi-2.ini"},
	{"ems/ems_project/wsgi.py", "ems_project/wsgi.py"},
}

// workspaceDirs are created empty: collected static files, uploads, logs.
var workspaceDirs = []string{"static", "media", "logs"}

// EnsureWorkspace makes dir a lab workspace if it is not one yet: the
// default configs (with opts.Ports written in), the EMS project's wsgi.py,
// and static/ filled by collectstatic. An existing workspace (one with
// nginx.conf) is left exactly as the learner left it, deleted files and
// ports included, so a broken setup stays broken until they fix it. It
// reports whether it created the workspace.
func EnsureWorkspace(dir string, opts Options) (created bool, err error) {
	if _, err := os.Stat(filepath.Join(dir, "nginx.conf")); err == nil {
		return false, nil
	}
	if entries, err := os.ReadDir(dir); err == nil && slices.ContainsFunc(entries, func(e os.DirEntry) bool { return e.Name() != ".webflow-lab" }) {
		return false, &explain.Error{
			What:  explain.T("lab: "+dir+" is not a lab workspace", "lab: "+dir+" 不是实验工作区"),
			Where: dir,
			Why:   explain.T("the folder is not empty and has no nginx.conf; the lab writes only inside its own workspace", "该文件夹不为空，且没有 nginx.conf；实验只在自己的工作区里写文件"),
			Try:   explain.T("pass --workspace with a new or empty folder", "用 --workspace 指定一个新的或空的文件夹"),
		}
	}
	ports := opts.Ports.withDefaults()
	if err := ports.check(opts.Ports); err != nil {
		return false, err
	}
	edits := ports.edits()
	for _, f := range workspaceFiles {
		if err := copyAsset(f.from, dir, f.to, edits); err != nil {
			return false, err
		}
	}
	for name := range edits {
		return false, fmt.Errorf("lab: %s is not among the shipped files; cannot set its port", name)
	}
	for _, d := range workspaceDirs {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return false, err
		}
	}
	if _, err := web.CollectStatic(filepath.Join(dir, "static")); err != nil {
		return false, fmt.Errorf("lab: collectstatic: %w", err)
	}
	if err := savePorts(dir, ports); err != nil {
		return false, err
	}
	return true, nil
}

// portsPath is where a workspace keeps the ports it was made with, so that
// `webflow-lab reset` writes the same ones again (a learner who moved off
// a busy 8080 stays off it).
func portsPath(dir string) string { return filepath.Join(dir, ".webflow-lab", "ports.json") }

func savePorts(dir string, p Ports) error {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(portsPath(dir)), 0o755); err != nil {
		return err
	}
	return os.WriteFile(portsPath(dir), append(b, '\n'), 0o644)
}

// savedPorts reads the ports the workspace at dir was made with; ok is false
// for a workspace made before they were kept, or a damaged file.
func savedPorts(dir string) (p Ports, ok bool) {
	b, err := os.ReadFile(portsPath(dir))
	if err != nil || json.Unmarshal(b, &p) != nil || p.Proxy == 0 {
		return Ports{}, false
	}
	return p, true
}

// copyAsset copies one shipped file, or every file below a shipped folder,
// to dir/to, applying the port edits named for each file.
func copyAsset(from, dir, to string, edits map[string][]portEdit) error {
	return fs.WalkDir(assets.FS, from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(filepath.FromSlash(from), filepath.FromSlash(p))
		name := to
		if rel != "." {
			name = path.Join(to, filepath.ToSlash(rel))
		}
		dst := filepath.Join(dir, filepath.FromSlash(name))
		b, err := fs.ReadFile(assets.FS, p)
		if err != nil {
			return err
		}
		if e, ok := edits[name]; ok {
			text, err := applyEdits(name, string(b), e)
			if err != nil {
				return err
			}
			b = []byte(text)
			delete(edits, name)
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if _, err := os.Stat(dst); err == nil {
			return nil // never overwrite what is there
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
}

// InstanceFiles returns the workspace's app-server configs, uwsgi-1.ini,
// uwsgi-2.ini, … in order.
func InstanceFiles(dir string) ([]string, error) {
	var out []string
	for i := 1; ; i++ {
		p := filepath.Join(dir, fmt.Sprintf("uwsgi-%d.ini", i))
		if _, err := os.Stat(p); err != nil {
			break
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("lab: no uwsgi-1.ini in %s", dir)
	}
	return out, nil
}
