package uwsgi

import (
	"time"

	"webflow-lab/servers/uwsgi/ini"
)

// FromINI maps the ini package's view of an instance's options onto the
// server's Config. Addresses keep their raw text (uWSGI binds, logs and
// reports SERVER_PORT from it, inline comments included); Where remembers
// each option's file:line for error messages.
func FromINI(c *ini.Config) Config {
	raw := func(as []ini.Addr) []string {
		out := make([]string, 0, len(as))
		for _, a := range as {
			out = append(out, a.Raw)
		}
		return out
	}
	cfg := Config{
		Sockets: raw(c.Sockets), HTTP: raw(c.HTTP), HTTPSockets: raw(c.HTTPSockets),
		Processes: c.Processes, Threads: c.Threads, Master: c.Master,
		Stats: c.Stats.Raw, StatsHTTP: c.StatsHTTP,
		Chdir: c.Chdir, WSGIFile: c.WSGIFile, Module: c.Module, Callable: c.Callable, Env: c.Env,
		Pidfile: c.Pidfile, Daemonize: c.Daemonize, Vacuum: c.Vacuum, Virtualenv: c.Virtualenv,
		Listen: c.Listen, Harakiri: c.Harakiri, BufferSize: c.BufferSize,
		SocketTimeout:  time.Duration(c.SocketTimeout) * time.Second,
		DisableLogging: c.DisableLogging, NeedApp: c.NeedApp, DieOnTerm: c.DieOnTerm,
		Notes: c.Notes, Files: c.Files,
		Where: map[string]string{},
	}
	for _, sm := range c.StaticMaps {
		cfg.StaticMaps = append(cfg.StaticMaps, sm.Mount+"="+sm.Dir)
	}
	for _, o := range c.Options {
		if cfg.File == "" && o.File != "" {
			cfg.File = o.File
		}
		// Scalars: the last line wins, so the last one is where to look.
		cfg.Where[o.Key] = o.Where()
		cfg.Where[o.Key+"="+o.Value] = o.Where()
	}
	return cfg
}
