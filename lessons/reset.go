package lessons

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"webflow-lab/sim"
)

// Reset puts the running lab back to a fresh workspace's state without
// stopping it, as a teacher would before the next exercise: the config
// files as shipped (with the workspace's own ports), the collected static
// files, and the lab's controls undone — breakpoints cleared, firewall
// rules removed, latency and errors off, the database started, every
// instance restarted from its ini file, nginx reloaded. Files it replaces
// are moved to .webflow-lab/backup/<time>-lesson/ first. Logs, uploads and
// the database's rows stay. It returns what it did and the lab's variables
// afterwards.
func (r *Runner) Reset(ctx context.Context) ([]string, map[string]string, error) {
	dir := r.Lab.Dir()
	s, err := r.Lab.Snapshot(ctx)
	if err != nil {
		return nil, nil, err
	}
	tmp, err := os.MkdirTemp("", "webflow-lab-defaults-")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(tmp)
	def := filepath.Join(tmp, "ws")
	ports, err := portsOf(s, dir)
	if err != nil {
		return nil, nil, err
	}
	if _, err := sim.EnsureWorkspace(def, sim.Options{Ports: ports}); err != nil {
		return nil, nil, err
	}
	if r.Defaults != nil {
		if err := r.Defaults(def); err != nil {
			return nil, nil, err
		}
	}
	backup := filepath.Join(dir, ".webflow-lab", "backup", time.Now().Format("2006-01-02T15-04-05.000")+"-lesson")
	var out []string
	moved := 0
	keep := func(rel string) error {
		src := filepath.Join(dir, rel)
		if _, err := os.Stat(src); err != nil {
			return nil
		}
		dst := filepath.Join(backup, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		moved++
		return os.Rename(src, dst)
	}
	var restored []string
	err = filepath.WalkDir(def, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(def, p)
		want, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		have, herr := os.ReadFile(filepath.Join(dir, rel))
		if herr == nil && bytes.Equal(have, want) {
			return nil
		}
		if err := keep(rel); err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, rel)), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, rel), want, 0o644); err != nil {
			return err
		}
		if !strings.HasPrefix(filepath.ToSlash(rel), "static/") {
			restored = append(restored, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return out, nil, err
	}
	// A site a lesson added (conf.d/spa.conf) would be included still.
	extra, _ := filepath.Glob(filepath.Join(dir, "conf.d", "*.conf"))
	for _, p := range extra {
		rel, _ := filepath.Rel(dir, p)
		if _, err := os.Stat(filepath.Join(def, rel)); err != nil {
			if err := keep(rel); err != nil {
				return out, nil, err
			}
			restored = append(restored, filepath.ToSlash(rel)+" (removed)")
		}
	}
	if len(restored) > 0 {
		out = append(out, "restored "+strings.Join(restored, ", "))
	}
	if moved > 0 {
		rel, _ := filepath.Rel(dir, backup)
		out = append(out, "  what they held is kept in "+filepath.ToSlash(rel))
	}

	// The lab's controls, undone in the order that leaves no request stuck.
	var cmds []string
	if len(s.Breakpoints) > 0 || len(s.Held) > 0 {
		cmds = append(cmds, "clear all")
	}
	for _, b := range s.Blocked {
		cmds = append(cmds, "unblock "+strconv.Itoa(b.Port))
	}
	for _, f := range s.Faults {
		if f.Latency > 0 {
			cmds = append(cmds, "latency "+f.Instance+" off")
		}
		if f.Every > 0 {
			cmds = append(cmds, "errors "+f.Instance+" off")
		}
	}
	if s.DB.State != sim.Running {
		cmds = append(cmds, "db start")
	}
	for _, in := range s.Instances {
		if in.State == sim.Running {
			cmds = append(cmds, "reload "+in.Name)
		} else {
			cmds = append(cmds, "start "+in.Name)
		}
	}
	if s.Proxy.State == sim.Running {
		cmds = append(cmds, "reload proxy")
	} else {
		cmds = append(cmds, "start proxy")
	}
	for _, c := range cmds {
		res, err := r.Lab.Do(ctx, c)
		if err != nil {
			return out, nil, fmt.Errorf("lesson: reset: %s: %w", c, err)
		}
		if !strings.HasPrefix(c, "reload") {
			out = append(out, res.Did.In(r.Lang))
		}
	}
	s, err = r.Lab.Snapshot(ctx)
	if err != nil {
		return out, nil, err
	}
	ws := r.Workspace
	if ws == "" {
		ws = dir
	}
	cmd := r.Cmd
	if cmd == "" {
		cmd = "webflow-lab"
	}
	return out, labVars(s, ws, cmd), nil
}

// portsOf reads the lab's ports from its snapshot, so the defaults a reset
// puts back name the ports this workspace runs on.
func portsOf(s sim.Snapshot, dir string) (sim.Ports, error) {
	var p sim.Ports
	if len(s.Proxy.Addrs) > 0 {
		p.Proxy = atoi(portOf(s.Proxy.Addrs[0]))
	} else if port := listenPort(dir); port > 0 {
		p.Proxy = port
	}
	for _, in := range s.Instances {
		p.Instances = append(p.Instances, sim.InstancePorts{Socket: atoi(portOf(in.Socket)), HTTP: atoi(portOf(in.HTTP)), Stats: atoi(portOf(in.Stats))})
	}
	if p.Proxy == 0 || slices.ContainsFunc(p.Instances, func(i sim.InstancePorts) bool { return i.Socket == 0 || i.HTTP == 0 || i.Stats == 0 }) {
		return p, fmt.Errorf("lesson: reset: cannot tell the lab's ports (proxy %d, instances %v); reset the workspace instead: quit the lab, webflow-lab reset", p.Proxy, p.Instances)
	}
	return p, nil
}

// listenPort finds the port of conf.d/ems.conf's listen line, for a lab
// whose proxy is stopped.
func listenPort(dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, "conf.d", "ems.conf"))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(strings.TrimSuffix(strings.TrimSpace(l), ";"))
		if len(f) >= 2 && f[0] == "listen" {
			return atoi(portOf(f[1]))
		}
	}
	return 0
}
