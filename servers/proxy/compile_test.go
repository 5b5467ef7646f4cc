package proxy

import (
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"webflow-lab/servers/proxy/config"
)

// TestDirectiveTable keeps the one list of what the lab implements true:
// config's supported directives (announced nowhere; every other directive
// nginx knows is announced as having no effect) must be exactly the
// directives the compile step gives a meaning (the directives table), plus
// include, which the config parser carries out itself.
func TestDirectiveTable(t *testing.T) {
	byParser := map[string]bool{"include": true}
	var listedNotCompiled, compiledNotListed []string
	for _, info := range config.Directives() {
		if info.Class == config.Supported && directives[info.Name] == nil && !byParser[info.Name] {
			listedNotCompiled = append(listedNotCompiled, info.Name)
		}
	}
	for name := range directives {
		if !config.IsSupported(name) {
			compiledNotListed = append(compiledNotListed, name)
		}
	}
	sort.Strings(listedNotCompiled)
	sort.Strings(compiledNotListed)
	for _, n := range listedNotCompiled {
		t.Errorf("%q is listed as implemented (config's supported) but the compile step gives it no meaning: "+
			"implement it in the directives table or remove it from the list", n)
	}
	for _, n := range compiledNotListed {
		t.Errorf("%q is implemented (compile's directives table) but listed as having no effect: "+
			"add it to config's supported list", n)
	}
}

// TestUnimplementedAnnounced: a directive nginx knows and the lab ignores
// is announced at every start and reload, on the terminal (Warnings, in
// nginx's "[warn]" form) and in error.log; nginx's own warnings go to
// error.log only on a reload, as nginx's (its log is not open yet while it
// parses at start).
func TestUnimplementedAnnounced(t *testing.T) {
	dir, errLog := t.TempDir(), &syncBuffer{}
	text := "error_log logs/error.log warn;\nevents { }\nhttp {\n    tcp_nopush on;\n" +
		"    server { listen 127.0.0.1:FREEPORT; server_name a; }\n    server { listen 127.0.0.1:FREEPORT; server_name b; }\n}\n"
	cfg := loadConf(t, dir, text)
	srv, err := New(cfg, Options{Prefix: dir, ErrorLog: errLog, AccessLog: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	where := filepath.Join(dir, "nginx.conf") + ":4"
	want := `nginx: [warn] "tcp_nopush" directive has no effect in webflow-lab in ` + where
	var got []string
	for _, w := range srv.Warnings() {
		got = append(got, w.String())
	}
	if len(got) != 1 || got[0] != want {
		t.Errorf("terminal: got %q, want [%q]", got, want)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	line := regexp.MustCompile(`(?m)^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[warn\] \d+#\d+: "tcp_nopush" directive has no effect in webflow-lab in ` +
		regexp.QuoteMeta(where) + `$`)
	if n := len(line.FindAllString(errLog.String(), -1)); n != 1 {
		t.Errorf("error.log after start: got %d lines, want 1:\n%s", n, errLog.String())
	}
	// a second server on the same address and name: nginx's own warning
	text = strings.Replace(text, "server_name b;", "server_name a;", 1)
	text = strings.ReplaceAll(text, "FREEPORT", strings.TrimPrefix(srv.Addrs()[0].String(), "127.0.0.1:"))
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := srv.Reload(loadConfPath(t, filepath.Join(dir, "nginx.conf"))); err != nil {
		t.Fatal(err)
	}
	if n := len(line.FindAllString(errLog.String(), -1)); n != 2 {
		t.Errorf("error.log after reload: got %d lines, want 2:\n%s", n, errLog.String())
	}
	if !strings.Contains(errLog.String(), `[warn] `) || !regexp.MustCompile(`\[warn\] \d+#\d+: conflicting server name "a" on 127\.0\.0\.1:\d+, ignored\n`).MatchString(errLog.String()) {
		t.Errorf("error.log after reload lacks nginx's own warning:\n%s", errLog.String())
	}
}
