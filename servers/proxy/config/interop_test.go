package config

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"webflow-lab/assets"
	"webflow-lab/servers/testenv"
)

// nginxVerdict runs the real `nginx -t` on main (inside dir, which becomes
// the prefix) and returns its emerg message with file:line, or "ok".
func nginxVerdict(t *testing.T, bin, dir, main string) string {
	t.Helper()
	cmd := exec.Command(bin, "-t", "-p", dir, "-c", main,
		"-g", "error_log "+filepath.Join(dir, "error.log")+";")
	out, _ := cmd.CombinedOutput()
	if cmd.ProcessState.ExitCode() == 0 {
		return "ok"
	}
	// The message may hold a newline (an escaped one in a word), so it runs
	// up to the next line nginx itself starts.
	m := regexp.MustCompile(`\[(?:emerg|crit)\] (?:\d+#\d+: )?((?s).*?)\n(?:nginx: |\d{4}/\d\d/\d\d )`).FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("nginx -t failed without an emerg line:\n%s", out)
	}
	return m[1]
}

func ourVerdict(cfg *Config, err error) string {
	if err == nil {
		return "ok"
	}
	var ne *NginxError
	if !errors.As(err, &ne) {
		return err.Error()
	}
	return ne.Error()
}

// copyTree copies the files under src into dir, and makes dir/logs: nginx
// opens logs/access.log under its prefix even for -t and -T, as a real
// install has it, and git keeps no empty directory.
func copyTree(t *testing.T, src string, dir string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "logs"), 0o755); err != nil {
		t.Fatal(err)
	}
	err := filepath.Walk(src, func(path string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if fi.IsDir() {
			return os.MkdirAll(filepath.Join(dir, rel), 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestInteropCheck runs real nginx -t and our parser on the same files and
// wants the same verdict, message and file:line.
func TestInteropCheck(t *testing.T) {
	bin := testenv.Need(t, "nginx")
	dir := t.TempDir()
	copyTree(t, "testdata/check", dir)
	if err := os.MkdirAll(filepath.Join(dir, "logs"), 0o755); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.conf"))
	for _, main := range files {
		t.Run(strings.TrimSuffix(filepath.Base(main), ".conf"), func(t *testing.T) {
			want := nginxVerdict(t, bin, dir, main)
			cfg, err := Load(main)
			if got := ourVerdict(cfg, err); got != want {
				t.Errorf("got %q, want (nginx -t) %q", got, want)
			}
		})
	}
}

// TestInteropLexer feeds nginx the tokenizer corner cases through `return`,
// whose argument nginx echoes, and compares the verdicts and error lines.
func TestInteropLexer(t *testing.T) {
	bin := testenv.Need(t, "nginx")
	cases := map[string]string{
		"hash-in-token":     "return 200 a#b;",
		"quote-then-char":   `return 200 "x"y;`,
		"quote-then-hash":   `return 200 "x"#y;`,
		"brace-in-token":    "return 200 ok}\n",
		"double-semi":       "return 200 ok;;",
		"long-comment":      "#" + strings.Repeat("c", 5000) + "\nreturn 200 ok;",
		"long-word":         "return 200 " + strings.Repeat("w", 4096) + ";",
		"unclosed-quote":    "return 200 \"" + strings.Repeat("q", 5000),
		"escapes":           `return 200 "\"\'\\ \d";`,
		"variables":         `return 200 "${uri}x$uri";`,
		"paren-after-quote": `if ($uri = "/x") { return 200 ok; }`,
	}
	dir := t.TempDir()
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			main := filepath.Join(dir, name+".conf")
			src := "events { }\nhttp {\n server {\n  listen 127.0.0.1:1;\n  " + body + "\n }\n}\n"
			if err := os.WriteFile(main, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			want := nginxVerdict(t, bin, dir, main)
			cfg, err := Load(main)
			if got := ourVerdict(cfg, err); got != want {
				t.Errorf("got %q, want (nginx -t) %q", got, want)
			}
		})
	}
}

// TestInteropAssets checks that real nginx accepts the lab's shipped configs.
func TestInteropAssets(t *testing.T) {
	bin := testenv.Need(t, "nginx")
	dir := t.TempDir()
	copyTree(t, "../../../assets/nginx", dir)
	for _, sub := range []string{"logs", "static", "media", "dist"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	mains := []string{filepath.Join(dir, "nginx.conf")}
	examples, _ := filepath.Glob(filepath.Join(dir, "examples", "*.conf"))
	for _, ex := range examples {
		if strings.HasPrefix(filepath.Base(ex), "nginx-") {
			mains = append(mains, ex) // a whole main config
			continue
		}
		main := filepath.Join(dir, "wrap-"+filepath.Base(ex))
		if err := os.WriteFile(main, []byte(exampleWrapper(filepath.Base(ex))), 0o644); err != nil {
			t.Fatal(err)
		}
		mains = append(mains, main)
	}
	for _, main := range mains {
		t.Run(filepath.Base(main), func(t *testing.T) {
			if got := nginxVerdict(t, bin, dir, main); got != "ok" {
				t.Errorf("nginx -t: %s", got)
			}
			cfg, err := Load(main)
			if got := ourVerdict(cfg, err); got != "ok" {
				t.Errorf("ours: %s", got)
			}
		})
	}
}

// exampleWrapper is a main config that includes one example file (they are
// http-level fragments); a server to pass to when the example has only an
// upstream.
func exampleWrapper(name string) string {
	s := "events { }\nhttp {\n    include examples/" + name + ";\n"
	if strings.HasPrefix(name, "upstream-") {
		s += "    server {\n        listen 127.0.0.1:8080;\n        location / { include uwsgi_params; uwsgi_pass django; }\n    }\n"
	}
	return s + "}\n"
}

// TestAssetsLoad loads the embedded files the lab ships, as the lab will.
func TestAssetsLoad(t *testing.T) {
	cfg, err := LoadFS(assets.FS, "nginx/nginx.conf")
	if err != nil {
		t.Fatalf("nginx/nginx.conf: %v", err)
	}
	if len(cfg.Warnings) != 0 {
		t.Errorf("got warnings %v, want none", cfg.Warnings)
	}
	var paths []string
	for _, f := range cfg.Files {
		paths = append(paths, f.Path)
	}
	want := []string{"nginx/nginx.conf", "nginx/mime.types", "nginx/conf.d/ems.conf", "nginx/uwsgi_params"}
	if strings.Join(paths, " ") != strings.Join(want, " ") {
		t.Errorf("got files %v, want %v", paths, want)
	}
	http := First(cfg.Directives, "http")
	if http == nil || http.Find("upstream") == nil || http.Find("server") == nil || http.Find("types") == nil {
		t.Fatalf("got %s, want http with types, upstream and server", Format(cfg.Directives))
	}
	if got := All(http.Find("upstream").Block, "server"); len(got) != 2 || got[0].Arg(0) != "127.0.0.1:9001" || got[1].Arg(0) != "127.0.0.1:9011" {
		t.Errorf("got upstream servers %v, want 127.0.0.1:9001 and 127.0.0.1:9011", got)
	}
	examples, _ := filepathGlobFS("nginx/examples/*.conf")
	if len(examples) < 7 {
		t.Fatalf("got %d examples, want at least 7", len(examples))
	}
	for _, ex := range examples {
		name := filepath.Base(ex)
		t.Run(name, func(t *testing.T) {
			if strings.HasPrefix(name, "nginx-") {
				cfg, err := LoadFS(assets.FS, ex)
				if err != nil {
					t.Fatalf("%s: %v", ex, err)
				}
				var got []string
				for _, w := range cfg.Warnings {
					got = append(got, w.Msg)
				}
				want := []string{`"user" directive has no effect in webflow-lab`, `"tcp_nopush" directive has no effect in webflow-lab`,
					`"tcp_nodelay" directive has no effect in webflow-lab`, `"types_hash_max_size" directive has no effect in webflow-lab`}
				if strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Errorf("got warnings %q, want %q", got, want)
				}
				return
			}
			fsys := fstest.MapFS{"nginx/wrap.conf": {Data: []byte(exampleWrapper(name))}}
			for _, f := range []string{ex, "nginx/uwsgi_params"} {
				b, err := assets.FS.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				fsys[f] = &fstest.MapFile{Data: b}
			}
			cfg, err := LoadFS(fsys, "nginx/wrap.conf")
			if err != nil {
				t.Fatalf("%s: %v", ex, err)
			}
			if len(cfg.Warnings) != 0 {
				t.Errorf("got warnings %v, want none", cfg.Warnings)
			}
		})
	}
}

func filepathGlobFS(pattern string) ([]string, error) {
	return globMatches(fsSource{assets.FS}, pattern)
}

// TestInteropWarnings compares nginx's own [warn] lines (not the lab's "has
// no effect" ones) for every config of the corpus.
func TestInteropWarnings(t *testing.T) {
	bin := testenv.Need(t, "nginx")
	dir := t.TempDir()
	copyTree(t, "testdata/check", dir)
	files, _ := filepath.Glob(filepath.Join(dir, "*.conf"))
	re := regexp.MustCompile(`\[warn\] (?:\d+#\d+: )?(.*)`)
	for _, main := range files {
		t.Run(strings.TrimSuffix(filepath.Base(main), ".conf"), func(t *testing.T) {
			out, _ := exec.Command(bin, "-t", "-p", dir, "-c", main, "-g", "error_log "+filepath.Join(dir, "error.log")+";").CombinedOutput()
			var want []string
			for _, m := range re.FindAllStringSubmatch(string(out), -1) {
				want = append(want, m[1])
			}
			cfg, _ := Load(main)
			var got []string
			for _, w := range cfg.Warnings {
				if !strings.Contains(w.Msg, "has no effect in webflow-lab") {
					got = append(got, strings.TrimPrefix(w.String(), "nginx: [warn] "))
				}
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("got warnings %q, want (nginx -t) %q", got, want)
			}
		})
	}
}

// TestInteropDump compares Dump with `nginx -T`'s stdout.
func TestInteropDump(t *testing.T) {
	bin := testenv.Need(t, "nginx")
	dir := t.TempDir()
	copyTree(t, "testdata/check", dir)
	main := filepath.Join(dir, "good-syntax.conf")
	cmd := exec.Command(bin, "-T", "-p", dir, "-c", main, "-g", "error_log "+filepath.Join(dir, "error.log")+";")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	want, err := cmd.Output()
	if err != nil {
		t.Fatalf("nginx -T: %v\n%s", err, stderr.String())
	}
	cfg, err := Load(main)
	if err != nil {
		t.Fatal(err)
	}
	if got := Dump(cfg); got != string(want) {
		t.Errorf("got:\n%s\nwant (nginx -T):\n%s", got, want)
	}
}

func assetsFS() fs.FS { return assets.FS }
