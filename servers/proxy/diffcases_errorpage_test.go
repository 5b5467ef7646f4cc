package proxy

import (
	"io"
	"net"
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
		name:  "upstream errors",
		known: "uwsgi_intercept_errors and proxy_intercept_errors have no effect",
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
