package config

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"testing/fstest"
)

// shape is a directive tree without positions, for comparing a config with
// its printed-and-reparsed form.
type shape struct {
	Name  string
	Args  []string
	Block []shape
	IsBlk bool
}

func shapes(list []*Directive) []shape {
	var out []shape
	for _, d := range list {
		out = append(out, shape{Name: d.Name, Args: d.Args, Block: shapes(d.Block), IsBlk: d.IsBlock()})
	}
	return out
}

// FuzzParse: any input parses or fails without panic or hang; a config that
// parses, printed with Format and parsed again, gives the same directives;
// every error names a line inside the file.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/check/*.conf")
	for _, s := range append(seeds, "../../../assets/nginx/nginx.conf", "../../../assets/nginx/uwsgi_params",
		"../../../assets/nginx/conf.d/ems.conf", "../../../assets/nginx/mime.types") {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`http { server { return 200 "a\"b\\c\n" '${x}' a#b \d; } }`))
	params, _ := os.ReadFile("../../../assets/nginx/uwsgi_params")
	f.Fuzz(func(t *testing.T, src []byte) {
		if len(src) > 64<<10 {
			return
		}
		fsys := fstest.MapFS{"uwsgi_params": {Data: params}, "inc.conf": {Data: src}}
		cfg, err := Parse("main.conf", src, Options{FS: fsys, MaxIncludeDepth: 4})
		if err != nil {
			var ne *NginxError
			if e, ok := err.(interface{ Unwrap() error }); ok {
				ne, _ = e.Unwrap().(*NginxError)
			}
			if ne == nil {
				t.Fatalf("error %T %v is not an explained *NginxError", err, err)
			}
			return
		}
		printed := Format(cfg.Directives)
		again, err := Parse("main.conf", []byte(printed), Options{FS: fstest.MapFS{}})
		if err != nil {
			t.Fatalf("printed config does not parse: %v\n--- input\n%q\n--- printed\n%s", err, src, printed)
		}
		if got, want := shapes(again.Directives), shapes(cfg.Directives); !reflect.DeepEqual(got, want) {
			t.Fatalf("round trip changed the config\n--- input\n%q\n--- printed\n%s", src, printed)
		}
	})
}
