package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"webflow-lab/servers/testenv"
)

// crlf rewrites text with CRLF line endings, as a Windows editor saves it.
func crlf(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
}

// TestCRLFAssets: every config the lab ships, saved with CRLF line endings,
// reads to the same directives as the original (nginx's lexer takes CR for
// a space, ngx_conf_read_token), and real nginx -t accepts it too.
func TestCRLFAssets(t *testing.T) {
	lf, cr := t.TempDir(), t.TempDir()
	copyTree(t, "../../../assets/nginx", lf)
	copyTree(t, "../../../assets/nginx", cr)
	filepath.Walk(cr, func(path string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(path, []byte(crlf(string(b))), 0o644)
	})
	mains := []string{"nginx.conf"}
	examples, _ := filepath.Glob(filepath.Join(lf, "examples", "nginx-*.conf"))
	for _, ex := range examples {
		mains = append(mains, filepath.Join("examples", filepath.Base(ex)))
	}
	for _, main := range mains {
		t.Run(main, func(t *testing.T) {
			want, err := Load(filepath.Join(lf, main))
			if err != nil {
				t.Fatalf("LF: %v", err)
			}
			got, err := Load(filepath.Join(cr, main))
			if err != nil {
				t.Fatalf("CRLF: %v", err)
			}
			if g, w := strings.ReplaceAll(Format(got.Directives), cr, "DIR"), strings.ReplaceAll(Format(want.Directives), lf, "DIR"); g != w {
				t.Errorf("CRLF reads differently:\ngot  %s\nwant %s", g, w)
			}
		})
	}
	t.Run("nginx -t", func(t *testing.T) {
		bin := testenv.Need(t, "nginx")
		os.MkdirAll(filepath.Join(cr, "static"), 0o755)
		if got := nginxVerdict(t, bin, cr, filepath.Join(cr, "nginx.conf")); got != "ok" {
			t.Errorf("nginx -t on the CRLF nginx.conf: %s", got)
		}
	})
}

// TestInteropCRLF: what CR does where it is not a line ending — inside
// quotes, alone as a line break (an old Mac file), in a comment, before an
// error — compared with real nginx -t: the same verdict and the same line.
func TestInteropCRLF(t *testing.T) {
	tests := []struct{ name, conf string }{
		{"CRLF everywhere", "events {}\r\nhttp {\r\n    server {\r\n        listen 127.0.0.1:8080;\r\n        return 200 ok;\r\n    }\r\n}\r\n"},
		{"CR kept inside quotes", "events {}\r\nhttp {\r\n    server {\r\n        listen 127.0.0.1:8080;\r\n        return 200 \"one\r\ntwo\";\r\n    }\r\n}\r\n"},
		{"comment ended by CRLF", "# a comment\r\nevents {} # another\r\nhttp { }\r\n"},
		{"CR alone is a space, not a line", "events {}\rhttp {\r  bogus on;\r}\r"},
		{"error line counts LF", "events {}\r\nhttp {\r\n\r\n    bogus on;\r\n}\r\n"},
		{"unterminated after CRLF", "events {}\r\nhttp {\r\n    server {\r\n"},
		{"closing quote then CR", "events {}\r\nhttp {\r\n    server { listen 127.0.0.1:8080; return 200 \"x\"\r\n; }\r\n}\r\n"},
	}
	bin := testenv.Need(t, "nginx")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			os.MkdirAll(filepath.Join(dir, "logs"), 0o755)
			main := filepath.Join(dir, "nginx.conf")
			if err := os.WriteFile(main, []byte(tt.conf), 0o644); err != nil {
				t.Fatal(err)
			}
			want := nginxVerdict(t, bin, dir, main)
			t.Logf("nginx: %s", want)
			cfg, err := Load(main)
			if got := ourVerdict(cfg, err); got != want {
				t.Errorf("got %s, want nginx's %s", got, want)
			}
		})
	}
}
