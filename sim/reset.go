package sim

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"webflow-lab/servers/explain"
)

// Reset puts the workspace at dir back to the shipped defaults, as a fresh
// `webflow-lab` would create it. Nothing is lost: everything in it (but the
// lab's own .webflow-lab folder) is first moved to
// .webflow-lab/backup/<time>/, whose path Reset returns. A folder that is
// not a workspace is refused, so a mistyped --workspace cannot sweep away
// someone's files. The lab must not be running in dir.
func Reset(dir string, opts Options) (backup string, err error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	entries, err := os.ReadDir(abs)
	if errors.Is(err, fs.ErrNotExist) {
		_, err := EnsureWorkspace(abs, opts)
		return "", err
	}
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(abs, "nginx.conf")); err != nil && len(entries) > 0 {
		if _, err := os.Stat(filepath.Join(abs, ".webflow-lab")); err != nil {
			return "", &explain.Error{
				What:  explain.T("lab: "+abs+" is not a lab workspace", "lab: "+abs+" 不是实验工作区"),
				Where: abs,
				Why:   explain.T("it has no nginx.conf and no .webflow-lab folder; reset only touches a workspace", "其中没有 nginx.conf 也没有 .webflow-lab 文件夹；重置只作用于实验工作区"),
				Try:   explain.T("pass the workspace folder: webflow-lab reset --workspace DIR", "请指定工作区：webflow-lab reset --workspace 目录"),
			}
		}
	}
	if opts.Ports.Proxy == 0 && len(opts.Ports.Instances) == 0 {
		if p, ok := savedPorts(abs); ok {
			opts.Ports = p
		}
	}
	backup = filepath.Join(backupDir(abs), time.Now().Format("2006-01-02T15-04-05"))
	moved := false
	for _, e := range entries {
		if e.Name() == ".webflow-lab" {
			continue
		}
		if !moved {
			if err := os.MkdirAll(backup, 0o755); err != nil {
				return "", err
			}
			moved = true
		}
		if err := os.Rename(filepath.Join(abs, e.Name()), filepath.Join(backup, e.Name())); err != nil {
			return backup, err
		}
	}
	if !moved {
		backup = ""
	}
	_, err = EnsureWorkspace(abs, opts)
	return backup, err
}
