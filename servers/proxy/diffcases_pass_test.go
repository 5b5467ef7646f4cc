package proxy

import (
	"bufio"
	"io"
	"net"
	"strings"

	"webflow-lab/assets"
)

func init() {
	diffGroups["proxy"] = &diffProxy
	diffGroups["uwsgi"] = &diffUwsgi
}

// uwsgiParamsText is the stock uwsgi_params the lab ships (nginx's own).
var uwsgiParamsText = func() string {
	b, err := assets.FS.ReadFile("nginx/uwsgi_params")
	if err != nil {
		panic(err)
	}
	return string(b)
}()

// clientHeaders are what a browser behind a proxy might send, hop-by-hop
// headers and an X-Forwarded-For of an earlier proxy included.
const clientHeaders = "User-Agent: lab-test\r\nAccept: */*\r\nX-Forwarded-For: 10.0.0.1\r\nX-Request-Id: client-chosen-id\r\n" +
	"Keep-Alive: 300\r\nTE: trailers\r\nUpgrade: websocket\r\n"

func proxyGet(path string) diffReq {
	return req("GET "+path, "GET "+path+" HTTP/1.1\r\nHost: lab.test\r\n"+clientHeaders+"Connection: close\r\n\r\n")
}

// diffProxy: proxy_pass and the request head it builds.
var diffProxy = []diffCase{
	{
		name: "default headers",
		http: `
    server {
        listen 127.0.0.1:PORT;
        server_name lab.test;
        location / { proxy_pass http://BACKEND; }
        location /prefix/ { proxy_pass http://BACKEND/other/; }
        location /noslash/ { proxy_pass http://BACKEND/x; }
    }`,
		backend: echoHTTP,
		reqs: []diffReq{proxyGet("/a/b?c=d"), proxyGet("/prefix/x%20y?q=1"), proxyGet("/noslash/rest"),
			req("POST", "POST /form HTTP/1.1\r\nHost: lab.test\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 7\r\nConnection: close\r\n\r\na=1&b=2"),
			req("chunked POST", "POST /up HTTP/1.1\r\nHost: lab.test\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
			req("Expect", "POST /e HTTP/1.1\r\nHost: lab.test\r\nExpect: 100-continue\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"),
			req("HTTP/1.0 client", "GET /old HTTP/1.0\r\nUser-Agent: old\r\n\r\n"),
			req("HEAD", "HEAD /h HTTP/1.1\r\nHost: lab.test\r\nConnection: close\r\n\r\n")},
	},
	{
		name: "the standard snippet",
		http: `
    server {
        listen 127.0.0.1:PORT;
        server_name lab.test;
        location / {
            proxy_pass http://BACKEND;
            proxy_set_header Host $host;
            proxy_set_header X-Real-IP $remote_addr;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }
    }`,
		backend: echoHTTP,
		reqs: []diffReq{proxyGet("/a?b=c"), hostReq("Other.Host:81", "/h"),
			req("two X-Forwarded-For", "GET / HTTP/1.1\r\nHost: lab.test\r\nX-Forwarded-For: 1.1.1.1\r\nX-Forwarded-For: 2.2.2.2\r\nConnection: close\r\n\r\n"),
			req("HTTP/1.0 without host", "GET /old HTTP/1.0\r\n\r\n")},
	},
	{
		name: "inheritance and empty values",
		http: `
    proxy_set_header X-From http;
    server {
        listen 127.0.0.1:PORT;
        server_name lab.test;
        proxy_set_header X-Server yes;
        proxy_set_header Accept "";
        location / { proxy_pass http://BACKEND; }
        location /own/ { proxy_set_header X-Own own; proxy_set_header Connection keep-alive; proxy_pass http://BACKEND; }
        location /empty/ { proxy_set_header Host ""; proxy_set_header X-Maybe $http_x_maybe; proxy_pass http://BACKEND; }
        location /id/ { proxy_set_header X-Request-Id $request_id; proxy_pass http://BACKEND; }
    }`,
		backend: echoHTTP,
		reqs: []diffReq{proxyGet("/x"), proxyGet("/own/x"), proxyGet("/empty/x"), proxyGet("/id/x"),
			req("X-Maybe set", "GET /empty/y HTTP/1.1\r\nHost: lab.test\r\nX-Maybe: here\r\nConnection: close\r\n\r\n")},
	},
	{
		name: "what is passed",
		http: `
    server {
        listen 127.0.0.1:PORT;
        server_name lab.test;
        location /v11/ { proxy_http_version 1.1; proxy_pass http://BACKEND; }
        location /noheaders/ { proxy_pass_request_headers off; proxy_pass http://BACKEND; }
        location /nobody/ { proxy_pass_request_body off; proxy_pass http://BACKEND; }
        location /nobodynolength/ { proxy_pass_request_body off; proxy_set_header Content-Length ""; proxy_pass http://BACKEND; }
        location /vars/ { proxy_set_header X-Host $proxy_host; proxy_set_header X-Port $proxy_port; proxy_pass http://BACKEND; }
        location /notpassed/ { return 200 "proxy_host=[$proxy_host] xff=[$proxy_add_x_forwarded_for]\n"; }
    }`,
		backend: echoHTTP,
		reqs: []diffReq{proxyGet("/v11/x"), proxyGet("/noheaders/x"), proxyGet("/vars/x"), proxyGet("/notpassed/x"),
			req("POST no body", "POST /nobody/x HTTP/1.1\r\nHost: lab.test\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello"),
			proxyGet("/dyn/x?to=BACKEND"), proxyGet("/dyn/x?to=uwsgi://BACKEND"), proxyGet("/dyn/x?to=nowhere"),
			req("POST no body no length", "POST /nobodynolength/x HTTP/1.1\r\nHost: lab.test\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello")},
	},
	{
		name: "upstream block and variables in the uri",
		http: `
    upstream app { server BACKEND; }
    server {
        listen 127.0.0.1:PORT;
        server_name lab.test;
        location /up/ { proxy_pass http://app; }
        location /upuri/ { proxy_pass http://app/base/; }
        location ~ ^/re/(?<rest>.*)$ { proxy_pass http://app/mapped/$rest$is_args$args; }
        location ~ ^/num/(\d+)$ { proxy_pass http://BACKEND/n/$1; }
        location /to/ { proxy_pass http://$arg_to; }
        location /url/ { proxy_pass $arg_url; }
        location /query/ { proxy_pass http://app?x=$arg_x; }
    }`,
		backend: echoHTTP,
		reqs: []diffReq{proxyGet("/up/x?y=1"), proxyGet("/upuri/x"), proxyGet("/re/a/b?c=1"), proxyGet("/re/z"), proxyGet("/num/42"),
			proxyGet("/to/x?to=app"), proxyGet("/to/x?to=BACKEND"), proxyGet("/to/x?to=localhost"), proxyGet("/to/x?to=nosuch.test:81"),
			proxyGet("/url/x?url=ftp://x"), proxyGet("/query/q?x=1")},
	},
}

// diffUwsgi: uwsgi_pass and the vars block it builds.
var diffUwsgi = []diffCase{
	{
		name: "uwsgi_params",
		http: `
    server {
        listen 127.0.0.1:PORT;
        server_name lab.test;
        location / { include DIR/uwsgi_params; uwsgi_pass BACKEND; }
    }`,
		files:   map[string]string{"uwsgi_params": uwsgiParamsText},
		backend: echoUwsgi,
		reqs: []diffReq{proxyGet("/a/b?c=d"), proxyGet("/%E4%B8%AD?x=%20"),
			req("POST", "POST /form HTTP/1.1\r\nHost: lab.test\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 7\r\nConnection: close\r\n\r\na=1&b=2"),
			req("chunked POST", "POST /up HTTP/1.1\r\nHost: lab.test\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
			req("HTTP/1.0", "GET /old HTTP/1.0\r\n\r\n"),
			req("cookies", "GET /c HTTP/1.1\r\nHost: lab.test\r\nCookie: a=1\r\nCookie: b=2\r\nConnection: close\r\n\r\n")},
	},
	{
		name: "request id passed openly",
		http: `
    server {
        listen 127.0.0.1:PORT;
        server_name lab.test;
        location / { include DIR/uwsgi_params; uwsgi_param HTTP_X_REQUEST_ID $request_id; uwsgi_pass BACKEND; }
        location /none/ { include DIR/uwsgi_params; uwsgi_pass BACKEND; }
    }`,
		files:   map[string]string{"uwsgi_params": uwsgiParamsText},
		backend: echoUwsgi,
		reqs:    []diffReq{proxyGet("/x"), getReq("/x"), proxyGet("/none/x"), getReq("/none/x")},
	},
	{
		name: "inheritance and own params",
		http: `
    uwsgi_param FROM_HTTP yes;
    server {
        listen 127.0.0.1:PORT;
        server_name lab.test;
        location / { uwsgi_pass BACKEND; }
        location /own/ {
            uwsgi_param REQUEST_METHOD $request_method;
            uwsgi_param PATH_INFO $uri;
            uwsgi_param HTTP_HOST override.test;
            uwsgi_param MAYBE $http_x_maybe if_not_empty;
            uwsgi_param EMPTY "";
            uwsgi_pass BACKEND;
        }
        location /noheaders/ { include DIR/uwsgi_params; uwsgi_pass_request_headers off; uwsgi_pass BACKEND; }
        location /mod/ { include DIR/uwsgi_params; uwsgi_modifier1 5; uwsgi_modifier2 9; uwsgi_pass BACKEND; }
        location /nobody/ { include DIR/uwsgi_params; uwsgi_pass_request_body off; uwsgi_pass BACKEND; }
        location /dyn/ { include DIR/uwsgi_params; uwsgi_pass $arg_to; }
    }`,
		files:   map[string]string{"uwsgi_params": uwsgiParamsText},
		backend: echoUwsgi,
		reqs: []diffReq{proxyGet("/x"), proxyGet("/own/x"), proxyGet("/noheaders/x"), proxyGet("/mod/x"),
			req("POST no body", "POST /nobody/x HTTP/1.1\r\nHost: lab.test\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello"),
			proxyGet("/dyn/x?to=BACKEND"), proxyGet("/dyn/x?to=uwsgi://BACKEND"), proxyGet("/dyn/x?to=nowhere"),
			req("X-Maybe", "GET /own/y HTTP/1.1\r\nHost: lab.test\r\nX-Maybe: here\r\nConnection: close\r\n\r\n")},
	},
	{
		name: "workspace config",
		http: strings.Replace(`
    upstream ems { server BACKEND; }
    server {
        listen 127.0.0.1:PORT;
        server_name localhost;
        location / {
            include DIR/uwsgi_params;
            uwsgi_param HTTP_X_REQUEST_ID $request_id;
            uwsgi_pass ems;
        }
    }`, "\t", "    ", -1),
		files:   map[string]string{"uwsgi_params": uwsgiParamsText},
		backend: echoUwsgi,
		reqs:    []diffReq{proxyGet("/employees?page=2")},
	},
}

// redirector answers every proxied request with a 302 whose Location the
// path chooses: /rel → "/x", /abs → an absolute URL of the backend itself
// (its Host), /other → another site's.
func redirector(c net.Conn) {
	br := bufio.NewReader(c)
	line, err := br.ReadString('\n')
	if err != nil {
		return
	}
	host := ""
	for {
		h, err := br.ReadString('\n')
		if err != nil || h == "\r\n" {
			break
		}
		if k, v, ok := strings.Cut(strings.TrimRight(h, "\r\n"), ":"); ok && strings.EqualFold(k, "Host") {
			host = strings.TrimSpace(v)
		}
	}
	loc := "http://other.test/z"
	switch f := strings.Fields(line); {
	case len(f) > 1 && strings.Contains(f[1], "/rel"):
		loc = "/x"
	case len(f) > 1 && strings.Contains(f[1], "/abs"):
		loc = "http://" + host + "/prefix/y"
	}
	io.WriteString(c, "HTTP/1.0 302 Found\r\nLocation: "+loc+"\r\nX-After: 1\r\nContent-Length: 0\r\n\r\n")
}

func init() {
	diffProxy = append(diffProxy, diffCase{
		name: "upstream redirects",
		http: `
    server {
        listen 127.0.0.1:PORT;
        server_name lab.test;
        location /prefix/ { proxy_pass http://BACKEND/prefix/; }
        location /other/ { proxy_pass http://BACKEND/prefix/; }
        location / { proxy_pass http://BACKEND; }
    }`,
		backend: redirector,
		reqs: []diffReq{getReq("/prefix/rel"), getReq("/prefix/abs"), getReq("/prefix/other"), getReq("/other/abs"),
			getReq("/rel"), getReq("/abs")},
	})
}
