package proxy

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func init() {
	diffGroups["static"] = &diffStatic
}

// siteFiles is a small site most static cases serve.
var siteFiles = map[string]string{
	"html/index.html":      "home\n",
	"html/a.txt":           "a text\n",
	"html/style.css":       "body{}\n",
	"html/app.js":          "let x = 1;\n",
	"html/page.html":       "<p>page</p>\n",
	"html/sub/index.html":  "sub index\n",
	"html/sub/b.txt":       "b\n",
	"html/empty/":          "",
	"html/other/home.html": "other home\n",
	"html/other/x.txt":     "x\n",
	"data/file.txt":        "data file\n",
	"data/dir/index.html":  "data dir index\n",
	"secret.txt":           "top secret\n",
}

// fixedTimes gives the site files one mtime, so Last-Modified, ETag and
// autoindex dates are the same for both servers.
func fixedTimes(t *testing.T, dir string) {
	at := time.Unix(1700000000, 0)
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil {
			os.Chtimes(p, at, at)
		}
		return nil
	})
}

// diffStatic: root, alias, index, autoindex, types and the file handler.
var diffStatic = []diffCase{
	{
		name: "root and index",
		http: `
    types { text/html html; text/plain txt; text/css css; }
    server {
        listen 127.0.0.1:PORT;
        server_name lab.test;
        root DIR/html;
    }`,
		files: siteFiles, prepare: fixedTimes,
		reqs: []diffReq{getReq("/"), getReq("/a.txt"), getReq("/sub"), getReq("/sub?x=1"), getReq("/sub/"), getReq("/empty/"),
			getReq("/nope"), getReq("/nodir/"), getReq("/a.txt/"), getReq("/sub/b.txt"), getReq("/style.css"), getReq("/app.js"),
			req("HEAD", "HEAD /a.txt HTTP/1.1\r\nHost: lab.test\r\nConnection: close\r\n\r\n"),
			req("POST to a file", "POST /a.txt HTTP/1.1\r\nHost: lab.test\r\nContent-Length: 2\r\nConnection: close\r\n\r\nab"),
			req("PUT", "PUT /a.txt HTTP/1.1\r\nHost: lab.test\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
			req("DELETE a dir", "DELETE /sub/ HTTP/1.1\r\nHost: lab.test\r\nConnection: close\r\n\r\n"),
			req("OPTIONS", "OPTIONS /a.txt HTTP/1.1\r\nHost: lab.test\r\nConnection: close\r\n\r\n"),
			req("HTTP/1.0", "GET /a.txt HTTP/1.0\r\n\r\n"),
			req("keep-alive then close", "GET /a.txt HTTP/1.1\r\nHost: lab.test\r\n\r\nGET /nope HTTP/1.1\r\nHost: lab.test\r\nConnection: close\r\n\r\n"),
			req("range", "GET /a.txt HTTP/1.1\r\nHost: lab.test\r\nRange: bytes=1-3\r\nConnection: close\r\n\r\n"),
			req("If-Modified-Since", "GET /a.txt HTTP/1.1\r\nHost: lab.test\r\nIf-Modified-Since: Tue, 14 Nov 2023 22:13:20 GMT\r\nConnection: close\r\n\r\n"),
			req("If-None-Match", "GET /a.txt HTTP/1.1\r\nHost: lab.test\r\nIf-None-Match: \"6553f100-7\"\r\nConnection: close\r\n\r\n"),
		},
	},
	{
		name: "index list and absolute index",
		http: `
    server {
        listen 127.0.0.1:PORT;
        server_name lab.test;
        root DIR/html;
        location /other/ { index nothere.html home.html; }
        location /abs/ { index /page.html; }
        location /sub/ { index missing.html; autoindex off; }
    }`,
		files: siteFiles, prepare: fixedTimes,
		reqs: []diffReq{getReq("/other/"), getReq("/abs/"), getReq("/sub/"), getReq("/other/x.txt")},
	},
	{
		name: "alias with and without slashes",
		http: `
    server {
        listen 127.0.0.1:PORT;
        server_name lab.test;
        root DIR/html;
        location /files/ { alias DIR/data/; }
        location /static { alias DIR/data/; }
        location /nos/ { alias DIR/data; }
        location ~ ^/re/(.*)$ { alias DIR/data/$1; }
    }`,
		noTest: "the lab adds its note on the /static alias (missing-slash traversal)",
		files:  siteFiles, prepare: fixedTimes,
		reqs: []diffReq{getReq("/files/file.txt"), getReq("/files/"), getReq("/files/dir"), getReq("/files/dir/"),
			getReq("/static/file.txt"), getReq("/static../secret.txt"), getReq("/static%2e%2e/secret.txt"),
			getReq("/nos/file.txt"), getReq("/re/file.txt"), getReq("/re/dir/"), getReq("/files/../secret.txt")},
	},
	{
		name: "autoindex",
		http: `
    server {
        listen 127.0.0.1:PORT;
        server_name lab.test;
        root DIR/html;
        location / { autoindex on; }
        location /sizes/ { alias DIR/html/; autoindex on; autoindex_exact_size off; }
    }`,
		files: siteFiles, prepare: fixedTimes,
		reqs: []diffReq{getReq("/empty/"), getReq("/other/"), getReq("/sizes/"), getReq("/nodir/"),
			req("HTTP/1.0", "GET /other/ HTTP/1.0\r\n\r\n")},
	},
	{
		name: "types and default_type",
		http: `
    types { text/html html htm; text/plain txt; application/javascript js; }
    default_type application/octet-stream;
    server {
        listen 127.0.0.1:PORT;
        server_name lab.test;
        root DIR/html;
        location /other/ { types { } default_type text/x-other; }
        location /sub/ { charset utf-8; }
    }`,
		files: siteFiles, prepare: fixedTimes,
		reqs: []diffReq{getReq("/a.txt"), getReq("/style.css"), getReq("/app.js"), getReq("/other/x.txt"), getReq("/sub/b.txt")},
	},
	{
		name: "server_tokens and etag off",
		http: `
    server {
        listen 127.0.0.1:PORT;
        server_name lab.test;
        root DIR/html;
        server_tokens off;
        location /noetag/ { alias DIR/html/; etag off; }
    }`,
		files: siteFiles, prepare: fixedTimes,
		reqs: []diffReq{getReq("/a.txt"), getReq("/nope"), getReq("/noetag/a.txt")},
	},
	{
		name: "uri normalization",
		http: `
    server {
        listen 127.0.0.1:PORT;
        server_name lab.test;
        root DIR/html;
        location /show/ { return 200 "uri=$uri args=$args request_uri=$request_uri\n"; }
    }`,
		files: siteFiles,
		reqs: []diffReq{getReq("/show/a/../b"), getReq("/show//x///y"), getReq("/show/%41%42?q=%20"), getReq("/show/./x"),
			getReq("/../secret.txt"), getReq("/%2e%2e/secret.txt"), getReq("/sub/../a.txt"), getReq("/show/a%2Fb"),
			getReq("/show/x#frag"), getReq("/show/?"), getReq("/a%zz"), getReq("/a%00b")},
	},
}
