package proxy

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"webflow-lab/servers/explain"
	goldenfile "webflow-lab/servers/testenv/golden"
)

// golden compares got with testdata/golden/name (go test -update rewrites it).
func golden(t *testing.T, name, got string) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", "golden", name), got)
}

// TestLearnerMessages pins the text a learner reads for config mistakes the
// proxy itself catches (the config package has its own goldens), in English
// and Chinese.
func TestLearnerMessages(t *testing.T) {
	tests := []struct {
		name string
		http string
	}{
		{"alias-pitfall", `server { listen 127.0.0.1:18999; location /static { alias DIR/static/; } }`},
		{"host-not-found", `server { listen 127.0.0.1:18999; location / { uwsgi_pass nosuch.invalid:9001; } }`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := loadConf(t, dir, "events {}\nhttp {\n"+tt.http+"\n}\n")
			srv, err := New(cfg, Options{Prefix: dir, ConfFile: "nginx.conf", ErrorLog: &syncBuffer{}, AccessLog: &syncBuffer{}})
			var out strings.Builder
			if err != nil {
				var e *explain.Error
				if !errors.As(err, &e) {
					t.Fatalf("error %v is not an *explain.Error", err)
				}
				out.WriteString(e.Block("en") + "\n\n" + e.Block("zh") + "\n")
			} else {
				for _, w := range srv.Warnings() {
					out.WriteString(w.String() + "\n" + w.ZH + "\n")
				}
				srv.Close()
			}
			golden(t, tt.name+".txt", strings.ReplaceAll(out.String(), dir, "DIR"))
		})
	}
	t.Run("busy-port", func(t *testing.T) {
		busy := startLab(t, `server { listen 127.0.0.1:FREEPORT; }`, nil)
		dir := t.TempDir()
		cfg := loadConf(t, dir, "events {}\nhttp { server { listen "+busy.addr+"; } }\n")
		srv, err := New(cfg, Options{Prefix: dir, ErrorLog: &syncBuffer{}, AccessLog: &syncBuffer{}})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		err = srv.Start()
		var e *explain.Error
		if !errors.As(err, &e) {
			t.Fatalf("Start: got %v, want an *explain.Error", err)
		}
		out := strings.ReplaceAll(e.Block("en")+"\n\n"+e.Block("zh")+"\n", busy.addr, "ADDR")
		golden(t, "busy-port.txt", strings.ReplaceAll(out, dir, "DIR"))
	})
}
