package proxy

import (
	"bufio"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func init() {
	diffGroups["headers"] = &diffHeaders
	diffGroups["access"] = &diffAccess
	diffGroups["gzip"] = &diffGzip
}

// diffHeaders: add_header and expires (ngx_http_headers_filter_module).
var diffHeaders = []diffCase{
	{
		name: "add_header inheritance and always",
		http: `
    add_header X-Http http;
    server {
        listen 127.0.0.1:PORT;
        server_name lab.test;
        root DIR/html;
        add_header X-Server server;
        add_header X-Frame-Options SAMEORIGIN;
        location / { }
        location /own/ { add_header X-Own own; }
        location /always/ { add_header X-Always yes always; add_header X-Not no; }
        location /var/ { add_header X-Uri $uri; add_header X-Empty ""; add_header X-Maybe $http_x_maybe; }
        location /ret/ { add_header X-Ret ret; return 200 "ret\n"; }
        location /redir/ { add_header X-Redir r; return 302 /x; }
        location /err/ { add_header X-Err e; return 404; }
        location /errA/ { add_header X-Err e always; return 404; }
        location /cc/ { add_header Cache-Control no-cache; add_header Last-Modified ""; add_header ETag "\"mine\""; }
        location /lm/ { add_header Last-Modified "Mon, 01 Jan 2001 00:00:00 GMT"; add_header etag ""; }
        location /up/ { add_header X-Up up; add_header X-Up-Always up always; proxy_pass http://BACKEND; }
        location /uperr/ { add_header X-Up up; add_header X-Up-Always up always; proxy_pass http://BACKEND/err; }
        location /page/ { error_page 404 /page.html; add_header X-Page p always; }
        location = /page.html { add_header X-Final final; return 200 "page\n"; }
    }`,
		backend: func(c net.Conn) {
			br := bufio.NewReader(c)
			line, _ := br.ReadString('\n')
			for {
				h, err := br.ReadString('\n')
				if err != nil || h == "\r\n" {
					break
				}
			}
			if strings.Contains(line, "/err") {
				io.WriteString(c, "HTTP/1.0 500 Oops\r\nX-App: 1\r\nContent-Length: 2\r\n\r\nno")
				return
			}
			io.WriteString(c, "HTTP/1.0 200 OK\r\nX-App: 1\r\nContent-Length: 2\r\n\r\nok")
		},
		files: map[string]string{"html/a.txt": "a\n", "html/own/a.txt": "own\n", "html/always/a.txt": "al\n",
			"html/var/a.txt": "var\n", "html/cc/a.txt": "cc\n", "html/lm/a.txt": "lm\n"},
		prepare: fixedTimes,
		reqs: []diffReq{getReq("/a.txt"), getReq("/nope"), getReq("/own/a.txt"), getReq("/always/a.txt"), getReq("/always/nope"),
			getReq("/var/a.txt"), getReq("/ret/x"), getReq("/redir/x"), getReq("/err/x"), getReq("/errA/x"), getReq("/cc/a.txt"),
			req("304", "GET /a.txt HTTP/1.1\r\nHost: lab.test\r\nIf-None-Match: \"6553f100-2\"\r\nConnection: close\r\n\r\n"),
			getReq("/lm/a.txt"), getReq("/up/x"), getReq("/uperr/x"), getReq("/page/x"),
			req("range", "GET /a.txt HTTP/1.1\r\nHost: lab.test\r\nRange: bytes=0-0\r\nConnection: close\r\n\r\n")},
	},
	{
		name: "expires",
		http: `
    server {
        listen 127.0.0.1:PORT;
        server_name lab.test;
        root DIR/html;
        location /hour/ { expires 1h; }
        location /max/ { expires max; }
        location /epoch/ { expires epoch; }
        location /off/ { expires off; }
        location /neg/ { expires -1; }
        location /mod/ { expires modified +1d; }
        location /daily/ { expires @15h30m; }
        location /withcc/ { expires 1h; add_header Cache-Control public; }
        location /ret/ { expires 1h; return 200 "ret\n"; }
        location /old/ { expires modified 1h; }
        location /zero/ { expires 0; }
        location /var/ { expires $arg_e; }
        location /proxied/ { expires 30m; proxy_pass http://BACKEND; }
    }`,
		backend: answer("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nExpires: Thu, 01 Jan 2000 00:00:00 GMT\r\n" +
			"Cache-Control: private\r\nCache-Control: no-store\r\nX-After: 1\r\nContent-Length: 3\r\n\r\nup\n"),
		prepare: func(t *testing.T, dir string) {
			at := time.Unix(1700000000, 0)
			os.Chtimes(filepath.Join(dir, "html/old/a.txt"), at, at)
		},
		files: map[string]string{"html/hour/a.txt": "h\n", "html/max/a.txt": "m\n", "html/epoch/a.txt": "e\n", "html/off/a.txt": "o\n",
			"html/neg/a.txt": "n\n", "html/mod/a.txt": "d\n", "html/daily/a.txt": "y\n", "html/withcc/a.txt": "c\n",
			"html/old/a.txt": "o\n", "html/zero/a.txt": "z\n", "html/var/a.txt": "v\n"},
		reqs: []diffReq{getReq("/hour/a.txt"), getReq("/hour/nope"), getReq("/max/a.txt"), getReq("/epoch/a.txt"), getReq("/off/a.txt"),
			getReq("/neg/a.txt"), getReq("/withcc/a.txt"), getReq("/ret/x"), getReq("/mod/a.txt"), getReq("/daily/a.txt"),
			getReq("/old/a.txt"), getReq("/zero/a.txt"), getReq("/var/a.txt?e=2h"), getReq("/var/a.txt?e=off"), getReq("/var/a.txt?e=bad"),
			getReq("/proxied/x")},
	},
}

// diffAccess: allow and deny (ngx_http_access_module).
var diffAccess = []diffCase{
	{
		name: "allow and deny",
		http: `
    server {
        listen 127.0.0.1:PORT;
        server_name lab.test;
        location / { return 200 "open\n"; }
        location /local/ { allow 127.0.0.1; deny all; return 200 "local\n"; }
        location /denied/ { deny 127.0.0.0/8; allow all; return 200 "never\n"; }
        location /all/ { deny all; }
        location /net/ { allow 10.0.0.0/8; deny all; return 200 "never\n"; }
        location /v6/ { allow ::1; deny all; return 200 "never\n"; }
        location /inherit/ {
            deny all;
            location /inherit/in/ { return 200 "inner\n"; }
            location /inherit/own/ { allow all; return 200 "own\n"; }
        }
        location /page/ { deny all; error_page 403 /forbidden.html; }
        location = /forbidden.html { return 200 "forbidden page\n"; }
        location /tried/ { deny all; try_files $uri @named; }
        location @named { return 200 "named\n"; }
    }
    server {
        listen 127.0.0.1:PORT;
        server_name denied.test;
        deny all;
        location / { }
        location /open/ { allow 127.0.0.1; return 200 "open\n"; }
    }`,
		reqs: []diffReq{getReq("/"), getReq("/local/x"), getReq("/denied/x"), getReq("/all/x"), getReq("/net/x"), getReq("/v6/x"),
			getReq("/inherit/in/x"), getReq("/inherit/own/x"), getReq("/page/x"), getReq("/tried/x"),
			hostReq("denied.test", "/x"), hostReq("denied.test", "/open/x")},
	},
}

// diffGzip: gzip for text types (ngx_http_gzip_filter_module).
var diffGzip = []diffCase{
	{
		name:      "gzip",
		gzipSizes: true,
		http: `
    types { text/html html; text/plain txt; text/css css; application/javascript js; image/png png; }
    server {
        listen 127.0.0.1:PORT;
        server_name lab.test;
        root DIR/html;
        gzip on;
        location /vary/ { gzip_vary on; gzip_types text/css application/javascript; }
        location /min/ { gzip_min_length 10000; }
        location /level/ { gzip_comp_level 9; }
        location /off/ { gzip off; }
        location /ret/ { return 200 "RETURNED TEXT RETURNED TEXT RETURNED TEXT RETURNED TEXT\n"; }
    }`,
		files: map[string]string{"html/big.html": longText, "html/small.txt": "small\n", "html/big.txt": longText,
			"html/img.png": longText, "html/vary/a.css": longText, "html/vary/a.js": longText, "html/vary/a.txt": longText,
			"html/min/a.txt": longText, "html/level/a.txt": longText, "html/off/a.txt": longText},
		prepare: fixedTimes,
		reqs: []diffReq{gzipReq("/big.html"), gzipReq("/small.txt"), gzipReq("/big.txt"), gzipReq("/img.png"), getReq("/big.txt"),
			gzipReq("/vary/a.css"), gzipReq("/vary/a.js"), gzipReq("/vary/a.txt"), getReq("/vary/a.css"), gzipReq("/min/a.txt"),
			gzipReq("/level/a.txt"), gzipReq("/off/a.txt"), gzipReq("/ret/x"), gzipReq("/nope"),
			req("HTTP/1.0", "GET /big.txt HTTP/1.0\r\nAccept-Encoding: gzip\r\n\r\n"),
			req("HEAD", "HEAD /big.txt HTTP/1.1\r\nHost: lab.test\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n"),
			req("range", "GET /big.txt HTTP/1.1\r\nHost: lab.test\r\nAccept-Encoding: gzip\r\nRange: bytes=0-9\r\nConnection: close\r\n\r\n"),
			req("deflate only", "GET /big.txt HTTP/1.1\r\nHost: lab.test\r\nAccept-Encoding: deflate\r\nConnection: close\r\n\r\n"),
			req("gzip;q=0", "GET /big.txt HTTP/1.1\r\nHost: lab.test\r\nAccept-Encoding: gzip;q=0\r\nConnection: close\r\n\r\n")},
	},
}

func init() {
	diffGzip = append(diffGzip, diffCase{
		name:      "gzip on every path",
		gzipSizes: true,
		http: `
    types { text/html html; text/plain txt; }
    gzip on;
    gzip_types text/plain;
    server {
        listen 127.0.0.1:PORT;
        server_name lab.test;
        root DIR/html;
        location /list/ { autoindex on; }
        location /up/ { proxy_pass http://BACKEND; }
        location /proxied/ { gzip_proxied any; }
        location /v10/ { gzip_http_version 1.0; }
        location /hdr/ { add_header X-A a; expires 1h; gzip_vary on; }
        location /ret/ { default_type text/plain; return 200 "a returned text long enough to be worth compressing\n"; }
    }`,
		files: map[string]string{"html/big.txt": strings.Repeat(longText, 2000), "html/list/a.txt": "a", "html/list/b/": "",
			"html/proxied/a.txt": longText, "html/v10/a.txt": longText, "html/hdr/a.txt": longText},
		prepare: fixedTimes,
		backend: func(c net.Conn) {
			answer("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n" + longText)(c)
		},
		reqs: []diffReq{gzipReq("/big.txt"), gzipReq("/list/"), gzipReq("/up/x"), gzipReq("/ret/x"), gzipReq("/hdr/a.txt"),
			req("via", "GET /big.txt HTTP/1.1\r\nHost: lab.test\r\nVia: 1.1 cache\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n"),
			req("via allowed", "GET /proxied/a.txt HTTP/1.1\r\nHost: lab.test\r\nVia: 1.1 cache\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n"),
			req("HTTP/1.0 allowed", "GET /v10/a.txt HTTP/1.0\r\nAccept-Encoding: gzip\r\n\r\n"),
			req("keep-alive then close", "GET /hdr/a.txt HTTP/1.1\r\nHost: lab.test\r\nAccept-Encoding: gzip\r\n\r\n"+
				"GET /hdr/a.txt HTTP/1.1\r\nHost: lab.test\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n"),
			req("x-gzip", "GET /big.txt HTTP/1.1\r\nHost: lab.test\r\nAccept-Encoding: x-gzip\r\nConnection: close\r\n\r\n"),
			req("q=0.5", "GET /big.txt HTTP/1.1\r\nHost: lab.test\r\nAccept-Encoding: br, gzip;q=0.5\r\nConnection: close\r\n\r\n"),
			req("GZIP upper", "GET /big.txt HTTP/1.1\r\nHost: lab.test\r\nAccept-Encoding: GZIP\r\nConnection: close\r\n\r\n"),
			aeReq("gzip;q=0.05"), aeReq("gzip;q=1.001"), aeReq("gzip;q=0.000"), aeReq("gzip; q=0.5"),
			aeReq("gzip;level=1"), aeReq("xgzip, gzip"), aeReq("gzipx"), aeReq("\xc4\xb0gzip")},
	})
}

const longText = "The quick brown fox jumps over the lazy dog. 敏捷的棕色狐狸跳过了懒狗。\n" +
	"The quick brown fox jumps over the lazy dog. 敏捷的棕色狐狸跳过了懒狗。\n" +
	"The quick brown fox jumps over the lazy dog. 敏捷的棕色狐狸跳过了懒狗。\n" +
	"The quick brown fox jumps over the lazy dog. 敏捷的棕色狐狸跳过了懒狗。\n"

func gzipReq(path string) diffReq {
	return req("gzip "+path, "GET "+path+" HTTP/1.1\r\nHost: lab.test\r\nAccept-Encoding: gzip, deflate\r\nConnection: close\r\n\r\n")
}

// aeReq asks for /big.txt with the given Accept-Encoding.
func aeReq(ae string) diffReq {
	return req("Accept-Encoding "+ae, "GET /big.txt HTTP/1.1\r\nHost: lab.test\r\nAccept-Encoding: "+ae+"\r\nConnection: close\r\n\r\n")
}
