package proxy

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"webflow-lab/assets"
	"webflow-lab/servers/testenv"
)

// TestInteropExamples loads each course snippet (assets/nginx/examples and
// the default site) into real nginx and into our proxy, with the listen
// ports moved to free ones and the app servers replaced by our echo
// instances, and checks that both answer the same requests alike.
func TestInteropExamples(t *testing.T) {
	testenv.Need(t, "nginx")
	app1, app2 := startOurUwsgi(t, "echo.py"), startOurUwsgi(t, "echo.py")
	files := map[string]string{
		"static/css/site.css":  "body{}\n",
		"static/js/app.js":     "var x;\n",
		"media/avatars/me.png": "png",
		"dist/index.html":      "<div id=app></div>\n",
		"dist/assets/a.js":     "spa js\n",
		"secret.txt":           "secret\n",
	}
	requests := []string{"/", "/static/css/site.css", "/static/js/app.js", "/static../secret.txt", "/static/nope.css",
		"/media/avatars/me.png", "/employees/?page=2", "/deep/spa/route", "/assets/a.js", "/assets/"}
	listenRe := regexp.MustCompile(`listen\s+127\.0\.0\.1:(\d+)`)
	var examples []string
	ents, _ := assets.FS.ReadDir("nginx/examples")
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".conf") && e.Name() != "nginx-debian.conf" {
			examples = append(examples, "nginx/examples/"+e.Name())
		}
	}
	examples = append(examples, "nginx/conf.d/ems.conf")
	for _, ex := range examples {
		t.Run(filepath.Base(ex), func(t *testing.T) {
			src, err := assets.FS.ReadFile(ex)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			os.Chmod(dir, 0o755)
			writeFiles(t, dir, files)
			for _, f := range []string{"uwsgi_params", "mime.types"} {
				b, _ := assets.FS.ReadFile("nginx/" + f)
				writeFiles(t, dir, map[string]string{f: string(b)})
			}
			site := strings.NewReplacer("127.0.0.1:9001", app1, "127.0.0.1:9011", app2).Replace(string(src))
			if !strings.Contains(site, "server {") {
				// an upstream-only snippet: put a server in front of it
				name := regexp.MustCompile(`upstream\s+(\w+)`).FindStringSubmatch(site)[1]
				site += "\nserver { listen 127.0.0.1:8080; location / { include uwsgi_params; uwsgi_pass " + name + "; } }\n"
			}
			ports := listenRe.FindAllStringSubmatch(site, -1)
			build := func(suffix string) (string, []string) {
				s := site
				var addrs []string
				for _, p := range ports {
					free := freePort(t)
					s = strings.Replace(s, "listen       127.0.0.1:"+p[1], "listen 127.0.0.1:"+p[1], 1)
					s = strings.Replace(s, "listen 127.0.0.1:"+p[1], "listen 127.0.0.1:"+free, 1)
					addrs = append(addrs, "127.0.0.1:"+free)
				}
				return "user root;\nevents {}\nhttp {\n include mime.types;\n default_type application/octet-stream;\n" +
					" access_log logs/access-" + suffix + ".log;\n error_log logs/error-" + suffix + ".log;\n" + s + "\n}\n", addrs
			}
			nconf, naddrs := build("nginx")
			oconf, oaddrs := build("ours")
			startNginx(t, dir, nconf, naddrs[0])
			startOurs(t, dir, oconf)
			for i := range naddrs {
				for _, path := range requests {
					n := do(t, naddrs[i], get(path))
					o := do(t, oaddrs[i], get(path))
					nv := echoView(t, strings.ReplaceAll(n.body, naddrs[i], "ADDR"))
					ov := echoView(t, strings.ReplaceAll(o.body, oaddrs[i], "ADDR"))
					if n.status != o.status || nv != ov || n.header.Get("Content-Type") != o.header.Get("Content-Type") {
						t.Errorf("server %d GET %s:\n--- nginx %d %s\n%.600s\n--- ours %d %s\n%.600s", i, path,
							n.status, n.header.Get("Content-Type"), nv, o.status, o.header.Get("Content-Type"), ov)
					}
				}
			}
		})
	}
}
