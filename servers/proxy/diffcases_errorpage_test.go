package proxy

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"

	"webflow-lab/servers/uwsgiproto"
)

func init() {
	diffGroups["errorpage"] = &diffErrorPage
}

// diffErrorPage: error_page for local and upstream errors.
var diffErrorPage = []diffCase{
	{
		name: "local errors",
		http: `
    server {
        listen 127.0.0.1:PORT;
        server_name lab.test;
        root DIR/html;
        error_page 404 /errors/404.html;
        error_page 500 502 503 504 /50x.html;
        location = /50x.html { }
        location /named/ { error_page 404 @nf; }
        location @nf { return 200 "named not found uri=$uri\n"; }
        location /eq/ { error_page 404 =200 /errors/404.html; }
        location /eqcode/ { error_page 404 =302 /elsewhere; }
        location /redirect/ { error_page 404 http://example.test/nf; }
        location /redirect301/ { error_page 404 =301 http://example.test/nf; }
        location /gone/ { error_page 410 /errors/404.html; return 410; }
        location /limited/ { client_max_body_size 5; error_page 413 /errors/413.html; }
        location /missing/ { error_page 404 /errors/missing.html; }
        location /inherit/ { }
    }`,
		files: map[string]string{"html/errors/404.html": "custom 404\n", "html/50x.html": "custom 50x\n",
			"html/errors/413.html": "too big\n"},
		prepare: fixedTimes,
		reqs: []diffReq{getReq("/nope"), getReq("/named/x"), getReq("/eq/x"), getReq("/eqcode/x"), getReq("/redirect/x"),
			getReq("/redirect301/x"), getReq("/gone/x"), getReq("/missing/x"), getReq("/inherit/x"),
			req("413 page", "POST /limited/x HTTP/1.1\r\nHost: lab.test\r\nContent-Length: 6\r\nConnection: close\r\n\r\n123456"),
			req("HEAD 404", "HEAD /nope HTTP/1.1\r\nHost: lab.test\r\nConnection: close\r\n\r\n"),
			req("POST 404", "POST /nope HTTP/1.1\r\nHost: lab.test\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx")},
	},
	{
		name: "upstream errors",
		http: `
    server {
        listen 127.0.0.1:PORT;
        server_name lab.test;
        root DIR/html;
        error_page 502 503 504 /50x.html;
        location = /50x.html { }
        location /dead/ { uwsgi_pass 127.0.0.1:DEAD; }
        location /deadproxy/ { proxy_pass http://127.0.0.1:DEAD; }
        location /app/ { include DIR/uwsgi_params; uwsgi_pass BACKEND; }
        location /intercept/ { include DIR/uwsgi_params; uwsgi_intercept_errors on; uwsgi_pass BACKEND; }
        location /pintercept/ { proxy_intercept_errors on; proxy_pass http://BACKEND; }
        location /pnointercept/ { proxy_pass http://BACKEND; }
    }`,
		files: map[string]string{"html/50x.html": "custom 50x\n", "uwsgi_params": uwsgiParamsText},
		backend: func(c net.Conn) {
			answer("HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\napp own 502")(c)
			io.Copy(io.Discard, c)
		},
		prepare: fixedTimes,
		reqs: []diffReq{getReq("/dead/x"), getReq("/deadproxy/x"), getReq("/app/x"), getReq("/intercept/x"),
			getReq("/pintercept/x"), getReq("/pnointercept/x")},
	},
}

// statusBackend answers a uwsgi or HTTP request with the status its path
// ends with ("/x/404" → 404), its own body and a header of its own.
func statusBackend(c net.Conn) {
	br := bufio.NewReader(c)
	path := ""
	if b, err := br.Peek(1); err == nil && b[0] == 0 {
		p, err := uwsgiproto.PacketReader{BufferSize: 65535}.Read(br)
		if err != nil {
			return
		}
		path, _ = p.Vars.Get("PATH_INFO")
	} else {
		line, _ := br.ReadString('\n')
		if f := strings.Fields(line); len(f) > 1 {
			path = f[1]
		}
		for {
			h, err := br.ReadString('\n')
			if err != nil || h == "\r\n" {
				break
			}
		}
	}
	status := path[strings.LastIndexByte(path, '/')+1:]
	body := "app says " + status
	fmt.Fprintf(c, "HTTP/1.1 %s App\r\nContent-Type: text/plain\r\nX-App: 1\r\nContent-Length: %d\r\n\r\n%s", status, len(body), body)
}

func init() {
	diffErrorPage = append(diffErrorPage, diffCase{
		name: "intercepted statuses",
		http: `
    log_format up '$request $status up=$upstream_status';
    server {
        listen 127.0.0.1:PORT;
        server_name lab.test;
        root DIR/html;
        access_log logs/access.log up;
        error_page 404 @fallback;
        error_page 500 502 503 504 /50x.html;
        error_page 302 =200 /moved.html;
        location = /50x.html { }
        location = /moved.html { }
        location @fallback { return 200 "fallback for $uri\n"; }
        location /u/ { include DIR/uwsgi_params; uwsgi_intercept_errors on; uwsgi_pass BACKEND; }
        location /p/ { proxy_intercept_errors on; proxy_pass http://BACKEND; }
        location /off/ { proxy_pass http://BACKEND; }
        location /own/ { proxy_intercept_errors on; error_page 404 /50x.html; proxy_pass http://BACKEND; }
    }`,
		files: map[string]string{"html/50x.html": "custom 50x\n", "html/moved.html": "moved page\n",
			"uwsgi_params": uwsgiParamsText},
		backend: statusBackend,
		prepare: fixedTimes,
		reqs: []diffReq{getReq("/u/200"), getReq("/u/404"), getReq("/u/502"), getReq("/u/418"), getReq("/u/302"),
			getReq("/p/404"), getReq("/p/503"), getReq("/p/301"), getReq("/off/404"), getReq("/own/404")},
	})
}
