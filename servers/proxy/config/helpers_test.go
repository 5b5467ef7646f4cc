package config

import (
	"os"
	"reflect"
	"testing"
	"testing/fstest"
	"time"
)

func TestHelpers(t *testing.T) {
	src := `events { }
http {
    uwsgi_param A 1;
    uwsgi_param B 2;
    upstream ems {
        server 127.0.0.1:9001 weight=5 max_fails=3 fail_timeout=30s;
        server localhost max_conns=7 backup;
        server unix:/run/ems.sock down;
    }
    server {
        listen 8080 default_server;
        location =/exact { }
        location ~* \.png$ { }
        location /api/ { uwsgi_param C 3; }
        location / { }
    }
}
`
	cfg, err := Parse("t.conf", []byte(src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	http := First(cfg.Directives, "http")
	srv := http.Find("server")
	locs := srv.FindAll("location")

	t.Run("inherit replaces all", func(t *testing.T) {
		var got []string
		for _, d := range Inherit("uwsgi_param", http.Block, srv.Block, locs[2].Block) {
			got = append(got, d.Arg(0))
		}
		if !reflect.DeepEqual(got, []string{"C"}) {
			t.Errorf("got %v, want [C]", got)
		}
		got = nil
		for _, d := range Inherit("uwsgi_param", http.Block, srv.Block, locs[3].Block) {
			got = append(got, d.Arg(0))
		}
		if !reflect.DeepEqual(got, []string{"A", "B"}) {
			t.Errorf("got %v, want [A B]", got)
		}
	})
	t.Run("location match", func(t *testing.T) {
		want := [][2]string{{"=", "/exact"}, {"~*", `\.png$`}, {"", "/api/"}, {"", "/"}}
		for i, l := range locs {
			m, p := l.LocationMatch()
			if m != want[i][0] || p != want[i][1] {
				t.Errorf("location %d: got %q %q, want %q %q", i, m, p, want[i][0], want[i][1])
			}
		}
	})
	t.Run("listen", func(t *testing.T) {
		l := srv.Find("listen")
		if l.ListenAddr() != "0.0.0.0:8080" || !l.HasParam("default_server") {
			t.Errorf("got %q default=%v, want 0.0.0.0:8080 default=true", l.ListenAddr(), l.HasParam("default_server"))
		}
	})
	t.Run("peers", func(t *testing.T) {
		want := []Peer{
			{Addr: "127.0.0.1:9001", Name: "127.0.0.1:9001", Weight: 5, MaxFails: 3, FailTimeout: 30 * time.Second},
			{Addr: "localhost:80", Name: "localhost", Weight: 1, MaxFails: 1, FailTimeout: 10 * time.Second, MaxConns: 7, Backup: true},
			{Addr: "unix:/run/ems.sock", Name: "unix:/run/ems.sock", Weight: 1, MaxFails: 1, FailTimeout: 10 * time.Second, Down: true},
		}
		for i, d := range http.Find("upstream").FindAll("server") {
			got, err := d.Peer()
			got.Directive = nil
			if err != nil || got != want[i] {
				t.Errorf("peer %d: got %+v, %v; want %+v", i, got, err, want[i])
			}
		}
	})
}

func BenchmarkParseAssets(b *testing.B) {
	for b.Loop() {
		if _, err := LoadFS(assetsFS(), "nginx/nginx.conf"); err != nil {
			b.Fatal(err)
		}
	}
}

// TestImplicitListen: a server without listen is on *:80 as root and *:8000
// otherwise, as nginx's ngx_http_core_merge_srv_conf decides.
func TestImplicitListen(t *testing.T) {
	cfg, err := Parse("t.conf", []byte("events { }\nhttp {\n  server { server_name x; }\n  server { server_name x; }\n}\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := `nginx: [warn] conflicting server name "x" on 0.0.0.0:8000, ignored`
	if os.Getuid() == 0 {
		want = `nginx: [warn] conflicting server name "x" on 0.0.0.0:80, ignored`
	}
	if len(cfg.Warnings) != 1 || cfg.Warnings[0].String() != want {
		t.Errorf("got %v, want [%s]", cfg.Warnings, want)
	}
}

func fsOf(files map[string][]byte) fstest.MapFS {
	m := fstest.MapFS{}
	for k, v := range files {
		m[k] = &fstest.MapFile{Data: v}
	}
	return m
}
