package sim

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"webflow-lab/servers/explain"
)

// The controls that change the deployment by editing the learner's own
// config files (a diff, then a reload), and undo the edit when the reload
// refuses it.

// editAndReload writes edits, reloads the proxy and, when the reload
// refuses them, puts the files back: a control changes nothing when it
// fails. The caller holds l.mu.
func (l *Lab) editAndReload(did explain.Text, eq string, edits ...fileEdit) (Result, error) {
	var diff strings.Builder
	for _, e := range edits {
		if e.old == e.new {
			continue
		}
		diff.WriteString(e.diff(l.dir))
		if err := e.write(); err != nil {
			return Result{}, err
		}
	}
	if diff.Len() == 0 {
		return l.done(Result{Did: explain.T("nothing to change: "+did.EN, "无需修改："+did.ZH), Equivalent: eq})
	}
	if _, err := l.reloadProxy(diff.String()); err != nil {
		for _, e := range edits {
			e.undo()
		}
		l.reloadProxy("")
		return Result{}, err
	}
	l.actions = l.actions[:len(l.actions)-1] // the reload is part of this action
	return l.done(Result{Did: did, Equivalent: eq, Diff: diff.String()})
}

// SetStrategy switches an upstream block's balancing strategy by editing
// the learner's config file ("" names the only upstream block) and
// reloading. strategy is what a learner says: "round-robin", "ip_hash",
// "least_conn", "random", "hash $request_uri consistent", "weight 3,1".
func (l *Lab) SetStrategy(ctx context.Context, upstream, strategy string) (Result, error) {
	return l.control(func() (Result, error) {
		method, weights, err := strategyLines(strings.Fields(strategy))
		if err != nil {
			return Result{}, err
		}
		u, err := findUpstream(l.confFile(), upstream)
		if err != nil {
			return Result{}, err
		}
		edit, err := setStrategy(u, method, weights)
		if err != nil {
			return Result{}, err
		}
		line := strings.TrimSuffix(method, ";")
		if line == "" {
			line = "round robin (no method line)"
			if weights != nil {
				line = "weight=" + strings.Join(weights, ",")
			}
		}
		return l.editAndReload(explain.T("upstream "+u.Args[0]+" now balances by "+line,
			"upstream "+u.Args[0]+" 现在的负载均衡方式："+line),
			fmt.Sprintf("edit %s:%d, then nginx -s reload", l.rel(u.File), u.Line), edit)
	})
}

// BreakStatic breaks the static path the way the course's trap does:
// `alias static/` loses its trailing slash, so /static/ems/css/style.css is
// looked for at static + "ems/css/style.css" = staticems/…: a 404 with
// nginx's open() line in error.log, and pages without their CSS.
func (l *Lab) BreakStatic(ctx context.Context) (Result, error) {
	return l.control(func() (Result, error) { return l.static(true) })
}

// FixStatic puts the trailing slash back.
func (l *Lab) FixStatic(ctx context.Context) (Result, error) {
	return l.control(func() (Result, error) { return l.static(false) })
}

// ToggleStatic breaks the static path when it works and fixes it when it
// is broken, as the workspace's config has it now (whoever changed it last:
// the TUI, a lesson, `ctl`, the learner's editor).
func (l *Lab) ToggleStatic(ctx context.Context) (Result, error) {
	return l.control(func() (Result, error) {
		d, err := findStaticAlias(l.confFile())
		if err != nil {
			return Result{}, err
		}
		return l.static(d.Name != "alias" || strings.HasSuffix(d.Args[0], "/"))
	})
}

func (l *Lab) static(breakIt bool) (Result, error) {
	d, err := findStaticAlias(l.confFile())
	if err != nil {
		return Result{}, err
	}
	path := d.Args[0]
	var edit fileEdit
	switch {
	case breakIt && strings.HasSuffix(path, "/"):
		edit, err = replaceArg(d, path, strings.TrimSuffix(path, "/"))
	case !breakIt && !strings.HasSuffix(path, "/") && d.Name == "alias":
		edit, err = replaceArg(d, path, path+"/")
	default:
		return l.done(Result{Did: explain.T("the static path is already "+map[bool]string{true: "broken", false: "fixed"}[breakIt],
			"静态路径已经是"+map[bool]string{true: "坏的", false: "好的"}[breakIt]+"状态")})
	}
	if err != nil {
		return Result{}, err
	}
	did := explain.T("`alias "+path+"` lost its trailing slash: /static/x.css is looked for at "+strings.TrimSuffix(path, "/")+"x.css",
		"`alias "+path+"` 去掉了结尾的斜杠：/static/x.css 会去找 "+strings.TrimSuffix(path, "/")+"x.css")
	if !breakIt {
		did = explain.T("`alias "+path+"/` has its trailing slash again, like its location", "`alias "+path+"/` 恢复了结尾的斜杠，与 location 一致")
	}
	return l.editAndReload(did, fmt.Sprintf("edit %s:%d, then nginx -s reload", l.rel(d.File), d.Line), edit)
}

// SeparateDBs gives each instance its own database file (db-2.sqlite3, …)
// or puts them all back on the first instance's, by editing each ini's
// `env = EMS_DATABASE=` and restarting the instance: the course's
// "register on one instance, log in on the other" failure.
func (l *Lab) SeparateDBs(ctx context.Context, separate bool) (Result, error) {
	return l.control(func() (Result, error) {
		if len(l.instances) == 0 {
			return Result{}, errors.New("lab: no instances")
		}
		shared := iniEnv(l.instances[0], "EMS_DATABASE")
		if shared == "" {
			shared = filepath.Join(l.dir, "db.sqlite3")
		}
		var edits []fileEdit
		for i, in := range l.instances[1:] {
			want := shared
			if separate {
				ext := filepath.Ext(shared)
				want = strings.TrimSuffix(shared, ext) + "-" + strconv.Itoa(i+2) + ext
			}
			e, err := setIniEnv(in.ini, "EMS_DATABASE", want)
			if err != nil {
				return Result{}, err
			}
			edits = append(edits, e)
		}
		did := explain.T("every instance uses "+l.rel(shared)+" again", "所有实例重新使用同一个数据库 "+l.rel(shared))
		if separate {
			did = explain.T("each instance has its own database file: a user registered on one is unknown to the others",
				"每个实例使用自己的数据库文件：在一个实例上注册的用户，其他实例不认识")
		}
		return l.editAndRestart(ctx, did, "edit env = EMS_DATABASE in each ini, then uwsgi --reload", edits, l.instances[1:])
	})
}

// SharedSessions puts the EMS's sessions in the shared database
// (EMS_SESSIONS=db, Django's database backend) or in each instance's memory
// (EMS_SESSIONS=memory): then a captcha drawn by one instance is unknown to
// the other, and round robin makes logins fail.
func (l *Lab) SharedSessions(ctx context.Context, shared bool) (Result, error) {
	return l.control(func() (Result, error) {
		v := "memory"
		did := explain.T("each instance keeps its own sessions in memory: a captcha drawn by one is unknown to the others",
			"每个实例在自己的内存中保存会话：一个实例生成的验证码，其他实例不知道")
		if shared {
			v = "db"
			did = explain.T("sessions live in the shared database: every instance sees every session", "会话保存在共享数据库中：每个实例都能看到所有会话")
		}
		var edits []fileEdit
		for _, in := range l.instances {
			e, err := setIniEnv(in.ini, "EMS_SESSIONS", v)
			if err != nil {
				return Result{}, err
			}
			edits = append(edits, e)
		}
		return l.editAndRestart(ctx, did, "edit env = EMS_SESSIONS="+v+" in each ini (Django: SESSION_ENGINE), then uwsgi --reload", edits, l.instances)
	})
}

// editAndRestart writes edits to ini files and restarts the instances that
// run, putting the files back when a restart fails. The caller holds l.mu.
func (l *Lab) editAndRestart(ctx context.Context, did explain.Text, eq string, edits []fileEdit, ins []*instance) (Result, error) {
	var diff strings.Builder
	for _, e := range edits {
		if e.old != e.new {
			diff.WriteString(e.diff(l.dir))
			if err := e.write(); err != nil {
				return Result{}, err
			}
		}
	}
	for _, in := range ins {
		if in.state != Running {
			continue
		}
		if err := in.srv.Shutdown(ctx); err != nil {
			return Result{}, err
		}
		in.state = Stopped
		if err := l.startInstance(in); err != nil {
			for _, e := range edits {
				e.undo()
			}
			l.startInstance(in)
			return Result{}, err
		}
	}
	l.renameInstances()
	return l.done(Result{Did: did, Equivalent: eq, Diff: diff.String()})
}

func iniEnv(in *instance, key string) string {
	for _, e := range in.cfg.Env {
		if k, v, ok := strings.Cut(e, "="); ok && k == key {
			return v
		}
	}
	return ""
}

// BreakConfig writes a mistake into the proxy's config and reloads: the
// reload is refused with nginx's [emerg] line, and the old config keeps
// serving. RestoreConfig undoes it. The file as it was is kept under
// .webflow-lab/backup.
func (l *Lab) BreakConfig(ctx context.Context) (Result, error) {
	return l.control(func() (Result, error) {
		d, err := findStaticAlias(l.confFile())
		if err != nil {
			return Result{}, err
		}
		b, err := os.ReadFile(d.File)
		if err != nil {
			return Result{}, err
		}
		if err := os.MkdirAll(backupDir(l.dir), 0o755); err != nil {
			return Result{}, err
		}
		backup := filepath.Join(backupDir(l.dir), filepath.Base(d.File)+".before-break")
		if err := os.WriteFile(backup, b, 0o644); err != nil {
			return Result{}, err
		}
		edit, err := editLines(d.File, func(lines []string) ([]string, error) {
			i := d.Line - 1
			lines[i] = strings.Replace(lines[i], ";", "", 1) // the classic: a missing semicolon
			return lines, nil
		})
		if err != nil {
			return Result{}, err
		}
		if err := edit.write(); err != nil {
			return Result{}, err
		}
		_, rerr := l.reloadProxy("")
		if rerr == nil {
			edit.undo()
			return Result{}, errors.New("lab: the broken config was accepted; the lab put the file back")
		}
		return l.done(Result{Did: explain.T("wrote a missing semicolon into "+l.rel(d.File)+" and reloaded: refused, the old config keeps serving",
			"在 "+l.rel(d.File)+" 中删掉了一个分号并重新加载：被拒绝，旧配置继续服务"),
			Equivalent: "nginx -s reload  (then read error.log, or nginx -t)", Diff: edit.diff(l.dir), Output: rerr.Error()})
	})
}

// RestoreConfig puts back the file BreakConfig changed and reloads.
func (l *Lab) RestoreConfig(ctx context.Context) (Result, error) {
	return l.control(func() (Result, error) {
		matches, _ := filepath.Glob(filepath.Join(backupDir(l.dir), "*.before-break"))
		if len(matches) == 0 {
			return Result{}, stateError(explain.T("lab: no broken config to restore", "lab: 没有需要恢复的配置"),
				explain.T("config restore undoes what config break changed, and it changed nothing now", "config restore 只撤销 config break 做的修改，而现在没有这样的修改"),
				explain.T("to put back your own edits' files, webflow-lab reset (it keeps a backup)", "要恢复自己改过的文件，用 webflow-lab reset（会保留备份）"), "")
		}
		var edits []fileEdit
		for _, m := range matches {
			name := strings.TrimSuffix(filepath.Base(m), ".before-break")
			var target string
			for _, cand := range []string{filepath.Join(l.dir, name), filepath.Join(l.dir, "conf.d", name)} {
				if _, err := os.Stat(cand); err == nil {
					target = cand
					break
				}
			}
			if target == "" {
				continue
			}
			old, _ := os.ReadFile(target)
			b, err := os.ReadFile(m)
			if err != nil {
				return Result{}, err
			}
			edits = append(edits, fileEdit{path: target, old: string(old), new: string(b)})
			os.Remove(m)
		}
		return l.editAndReload(explain.T("restored the config as it was and reloaded", "已恢复原来的配置并重新加载"), "nginx -s reload", edits...)
	})
}
