package config

import (
	"fmt"
	"strings"

	"webflow-lab/servers/explain"
)

// Lint finds the deployment pitfalls the course warns about in a config that
// nginx accepts without a word. It is not part of `-t` (nginx prints nothing
// for these); lessons and the TUI call it to explain what a learner sees.
//
//   - alias and location disagree on the trailing "/": with `location /static
//     { alias /srv/static/; }` a request for /static../secret reads outside
//     the folder; with `location /static/ { alias /srv/static; }` the file
//     /static/a.css is looked up as /srv/statica.css.
//   - a location that sets its own uwsgi_param (or proxy_set_header) drops
//     every one inherited from server and http, including uwsgi_params.
//   - uwsgi_pass with no uwsgi_param at all: the app gets no REQUEST_METHOD,
//     PATH_INFO or QUERY_STRING.
func Lint(cfg *Config) []Warning {
	var out []Warning
	http := First(cfg.Directives, "http")
	if http == nil {
		return nil
	}
	for _, srv := range http.FindAll("server") {
		lintLocations(srv.Block, [][]*Directive{http.Block, srv.Block}, &out)
	}
	return out
}

func lintLocations(list []*Directive, levels [][]*Directive, out *[]Warning) {
	for _, loc := range All(list, "location") {
		chain := append(append([][]*Directive{}, levels...), loc.Block)
		mod, path := loc.LocationMatch()
		if a := loc.Find("alias"); a != nil && (mod == "" || mod == "^~") && !strings.Contains(a.Arg(0), "$") {
			locSlash, aliasSlash := strings.HasSuffix(path, "/"), strings.HasSuffix(a.Arg(0), "/")
			switch {
			case aliasSlash && !locSlash:
				*out = append(*out, Warning{File: a.File, Line: a.Line,
					Msg: fmt.Sprintf(`alias "%s" ends with "/" but location "%s" does not: "%s../" reaches outside the folder`, a.Arg(0), path, path),
					Text: explain.T(
						fmt.Sprintf("nginx replaces the prefix %q with %q and appends the rest of the URI, so %s../secret reads %s../secret", path, a.Arg(0), path, a.Arg(0)),
						fmt.Sprintf("nginx 把前缀 %q 换成 %q 再拼接 URI 的剩余部分，所以 %s../secret 会读到 %s../secret", path, a.Arg(0), path, a.Arg(0))),
				})
			case locSlash && !aliasSlash:
				*out = append(*out, Warning{File: a.File, Line: a.Line,
					Msg: fmt.Sprintf(`location "%s" ends with "/" but alias "%s" does not: %sa.css is looked up as %sa.css`, path, a.Arg(0), path, a.Arg(0)),
					Text: explain.T("end both the location and the alias with \"/\", or neither",
						"location 和 alias 要么都以 \"/\" 结尾，要么都不以 \"/\" 结尾"),
				})
			}
		}
		if pass := loc.Find("uwsgi_pass"); pass != nil {
			mine := loc.FindAll("uwsgi_param")
			inherited := Inherit("uwsgi_param", levels...)
			switch {
			case len(mine) > 0 && len(inherited) > 0:
				*out = append(*out, Warning{File: mine[0].File, Line: mine[0].Line,
					Msg: fmt.Sprintf(`uwsgi_param in location "%s" drops the %d uwsgi_param lines inherited from %s:%d`, path, len(inherited), inherited[0].File, inherited[0].Line),
					Text: explain.T("a level that sets any uwsgi_param replaces all inherited ones: include uwsgi_params again in this location",
						"某一层只要设置了 uwsgi_param，就会替换所有继承来的设置：请在这个 location 中再 include uwsgi_params"),
				})
			case len(Inherit("uwsgi_param", chain...)) == 0:
				*out = append(*out, Warning{File: pass.File, Line: pass.Line,
					Msg:  fmt.Sprintf(`uwsgi_pass in location "%s" sends no uwsgi_param: the app gets no REQUEST_METHOD, PATH_INFO or QUERY_STRING`, path),
					Text: explain.T("add include uwsgi_params; next to uwsgi_pass", "在 uwsgi_pass 旁边加上 include uwsgi_params;"),
				})
			}
		}
		lintLocations(loc.Block, chain, out)
	}
}
