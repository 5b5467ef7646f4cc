package config

import (
	"strings"
	"testing"

	"webflow-lab/assets"
)

func TestLint(t *testing.T) {
	tests := []struct {
		name string
		srv  string
		want []string // substrings of the warnings, in order
	}{
		{"alias slash on alias only", `location /static { alias /srv/static/; }`,
			[]string{`alias "/srv/static/" ends with "/" but location "/static" does not`}},
		{"alias slash on location only", `location /static/ { alias /srv/static; }`,
			[]string{`location "/static/" ends with "/" but alias "/srv/static" does not`}},
		{"alias both slashes", `location /static/ { alias /srv/static/; }`, nil},
		{"alias neither slash", `location /static { alias /srv/static; }`, nil},
		{"regex alias is not a prefix", `location ~ ^/s/(.*)$ { alias /srv/$1; }`, nil},
		{"params dropped", `include uwsgi_params; location / { uwsgi_param X 1; uwsgi_pass 127.0.0.1:9001; }`,
			[]string{`uwsgi_param in location "/" drops the 14 uwsgi_param lines inherited from`}},
		{"no params", `location / { uwsgi_pass 127.0.0.1:9001; }`,
			[]string{`uwsgi_pass in location "/" sends no uwsgi_param`}},
		{"params in location", `location / { include uwsgi_params; uwsgi_pass 127.0.0.1:9001; }`, nil},
		{"params inherited", `include uwsgi_params; location / { location /a/ { uwsgi_pass 127.0.0.1:9001; } }`, nil},
	}
	params, err := assets.FS.ReadFile("nginx/uwsgi_params")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "events { }\nhttp {\n server {\n  listen 127.0.0.1:8080;\n  " + tt.srv + "\n }\n}\n"
			cfg, err := Parse("t.conf", []byte(src), Options{FS: fsOf(map[string][]byte{"uwsgi_params": params})})
			if err != nil {
				t.Fatal(err)
			}
			got := Lint(cfg)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d warnings %v, want %d %q", len(got), got, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i].Msg, w) {
					t.Errorf("got %q, want it to contain %q", got[i].Msg, w)
				}
			}
		})
	}
}

// TestLintAssets: the lab's default config has none of the pitfalls.
func TestLintAssets(t *testing.T) {
	cfg, err := LoadFS(assets.FS, "nginx/nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	if got := Lint(cfg); len(got) != 0 {
		t.Errorf("got %v, want no pitfalls in the default config", got)
	}
}
