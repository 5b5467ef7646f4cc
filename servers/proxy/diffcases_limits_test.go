package proxy

import "strings"

func init() {
	diffGroups["limits"] = &diffLimits
	diffGroups["malformed"] = &diffMalformed
}

// diffLimits: client_max_body_size and the header buffers.
var diffLimits = []diffCase{
	{
		name: "body size",
		http: `
    server {
        listen 127.0.0.1:PORT;
        server_name lab.test;
        client_max_body_size 10;
        location / { return 200 "ok\n"; }
        location /big/ { client_max_body_size 1k; return 200 "big ok\n"; }
        location /unlimited/ { client_max_body_size 0; return 200 "unlimited ok\n"; }
    }`,
		reqs: []diffReq{
			req("at the limit", "POST /x HTTP/1.1\r\nHost: lab.test\r\nContent-Length: 10\r\nConnection: close\r\n\r\n0123456789"),
			req("over the limit", "POST /x HTTP/1.1\r\nHost: lab.test\r\nContent-Length: 11\r\n\r\n01234567890"),
			req("over, body much larger", "POST /x HTTP/1.1\r\nHost: lab.test\r\nContent-Length: 200000\r\n\r\n"+strings.Repeat("z", 200000)),
			req("chunked over", "POST /x HTTP/1.1\r\nHost: lab.test\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nb\r\n01234567890\r\n0\r\n\r\n"),
			req("location limit", "POST /big/x HTTP/1.1\r\nHost: lab.test\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n"+strings.Repeat("b", 1000)),
			req("unlimited", "POST /unlimited/x HTTP/1.1\r\nHost: lab.test\r\nContent-Length: 5000\r\nConnection: close\r\n\r\n"+strings.Repeat("u", 5000)),
		},
	},
	{
		name: "header buffers",
		http: `
    server {
        listen 127.0.0.1:PORT;
        server_name lab.test;
        client_header_buffer_size 1k;
        large_client_header_buffers 2 2k;
        location / { return 200 "ok\n"; }
    }`,
		reqs: []diffReq{
			req("long uri", "GET /"+strings.Repeat("a", 2100)+" HTTP/1.1\r\nHost: lab.test\r\n\r\n"),
			req("uri fits a large buffer", "GET /"+strings.Repeat("a", 1500)+" HTTP/1.1\r\nHost: lab.test\r\nConnection: close\r\n\r\n"),
			req("long header", "GET / HTTP/1.1\r\nHost: lab.test\r\nX-Big: "+strings.Repeat("b", 2100)+"\r\n\r\n"),
			req("too many large headers", "GET / HTTP/1.1\r\nHost: lab.test\r\n"+strings.Repeat("X-M: "+strings.Repeat("m", 1500)+"\r\n", 3)+"\r\n"),
		},
	},
	{
		name: "orderly close after a refused request",
		http: `
    server {
        listen 127.0.0.1:PORT;
        server_name lab.test;
        location / { return 200 "ok\n"; }
    }`,
		reqs: []diffReq{
			req("huge uri then more", "GET /"+strings.Repeat("a", 9000)+" HTTP/1.1\r\nHost: lab.test\r\nX-More: "+strings.Repeat("m", 50000)+"\r\n\r\n"),
			req("huge header then body", "POST / HTTP/1.1\r\nHost: lab.test\r\nContent-Length: 100000\r\nX-Big: "+strings.Repeat("b", 9000)+"\r\n\r\n"+strings.Repeat("x", 100000)),
			req("bad request line then more", "get / HTTP/1.1\r\nHost: lab.test\r\nX-More: "+strings.Repeat("m", 50000)+"\r\n\r\n"),
			req("bad header then more", "GET / HTTP/1.1\r\nHost: lab.test\r\nX Y: z\r\nX-More: "+strings.Repeat("m", 50000)+"\r\n\r\n"),
			req("bad host then body", "POST / HTTP/1.1\r\nHost: a b\r\nContent-Length: 50000\r\n\r\n"+strings.Repeat("x", 50000)),
		},
	},
	{
		name: "keepalive_requests",
		http: `
    server {
        listen 127.0.0.1:PORT;
        server_name lab.test;
        keepalive_requests 2;
        location / { return 200 "ok $connection_requests\n"; }
    }`,
		reqs: []diffReq{req("three on one connection", strings.Repeat("GET / HTTP/1.1\r\nHost: lab.test\r\n\r\n", 3))},
	},
}

// diffMalformed: requests nginx refuses while reading them, and hosts.
var diffMalformed = []diffCase{
	{
		name: "hosts",
		http: `
    server {
        listen 127.0.0.1:PORT;
        server_name lab.test;
        location / { return 200 "ok host=$host\n"; }
    }`,
		reqs: []diffReq{
			req("no host in HTTP/1.1", "GET / HTTP/1.1\r\nConnection: close\r\n\r\n"),
			req("empty host in HTTP/1.1", "GET / HTTP/1.1\r\nHost: \r\nConnection: close\r\n\r\n"),
			req("empty host in HTTP/1.0", "GET / HTTP/1.0\r\nHost: \r\n\r\n"),
			req("host with a space", "GET / HTTP/1.1\r\nHost: lab test\r\nConnection: close\r\n\r\n"),
			req("host with a tab", "GET / HTTP/1.1\r\nHost: lab\ttest\r\nConnection: close\r\n\r\n"),
			req("host with a control byte", "GET / HTTP/1.1\r\nHost: lab\x01test\r\nConnection: close\r\n\r\n"),
			req("host with DEL", "GET / HTTP/1.1\r\nHost: lab\x7ftest\r\nConnection: close\r\n\r\n"),
			req("host with a slash", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"),
			req("host with a backslash", "GET / HTTP/1.1\r\nHost: a\\b\r\nConnection: close\r\n\r\n"),
			req("host with dot dot", "GET / HTTP/1.1\r\nHost: a..b\r\n\r\n"),
			req("host leading dot", "GET / HTTP/1.1\r\nHost: .lab.test\r\nConnection: close\r\n\r\n"),
			req("host only a dot", "GET / HTTP/1.1\r\nHost: .\r\nConnection: close\r\n\r\n"),
			req("host trailing dot", "GET / HTTP/1.1\r\nHost: lab.test.\r\nConnection: close\r\n\r\n"),
			req("host upper case and port", "GET / HTTP/1.1\r\nHost: LAB.Test:80\r\nConnection: close\r\n\r\n"),
			req("host two colons", "GET / HTTP/1.1\r\nHost: lab.test:80:90\r\nConnection: close\r\n\r\n"),
			req("host ipv6", "GET / HTTP/1.1\r\nHost: [::1]:80\r\nConnection: close\r\n\r\n"),
			req("host only a port", "GET / HTTP/1.1\r\nHost: :80\r\nConnection: close\r\n\r\n"),
			req("two hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
			req("absolute uri with a bad host", "GET http://a..b/ HTTP/1.1\r\nHost: lab.test\r\n\r\n"),
		},
	},
	{
		name: "request line and headers",
		http: `
    server {
        listen 127.0.0.1:PORT;
        server_name lab.test;
        location / { return 200 "ok host=$host\n"; }
    }`,
		reqs: []diffReq{
			req("lowercase method", "get / HTTP/1.1\r\nHost: lab.test\r\n\r\n"),
			req("HTTP/2.0", "GET / HTTP/2.0\r\nHost: lab.test\r\n\r\n"),
			req("HTTP/0.9", "GET /\r\n"),
			req("control byte in uri", "GET /a\x01b HTTP/1.1\r\nHost: lab.test\r\n\r\n"),
			req("bad content-length", "POST / HTTP/1.1\r\nHost: lab.test\r\nContent-Length: x\r\n\r\n"),
			req("two content-lengths", "POST / HTTP/1.1\r\nHost: lab.test\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx"),
			req("te and cl", "POST / HTTP/1.1\r\nHost: lab.test\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
			req("unknown te", "POST / HTTP/1.1\r\nHost: lab.test\r\nTransfer-Encoding: gzip\r\n\r\n"),
			req("te in HTTP/1.0", "POST / HTTP/1.0\r\nHost: lab.test\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
			req("space in header name", "GET / HTTP/1.1\r\nHost: lab.test\r\nX Y: z\r\n\r\n"),
			req("folded header", "GET / HTTP/1.1\r\nHost: lab.test\r\n continued\r\n\r\n"),
			req("no colon", "GET / HTTP/1.1\r\nHost: lab.test\r\nNoColonHere\r\nConnection: close\r\n\r\n"),
			req("underscore header", "GET / HTTP/1.1\r\nHost: lab.test\r\nX_Under: 1\r\nConnection: close\r\n\r\n"),
			req("odd header name", "GET / HTTP/1.1\r\nHost: lab.test\r\nX.Dot: 1\r\nConnection: close\r\n\r\n"),
			req("tab around a value", "GET / HTTP/1.1\r\nHost:\tlab.test\t\r\nConnection: close\r\n\r\n"),
			req("tls hello", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 tls hello\r\n\r\n"),
			req("lf only", "GET / HTTP/1.1\nHost: lab.test\nConnection: close\n\n"),
			req("leading empty lines", "\r\n\r\nGET / HTTP/1.1\r\nHost: lab.test\r\nConnection: close\r\n\r\n"),
			req("garbage after a request", "GET / HTTP/1.1\r\nHost: lab.test\r\n\r\n\x00\x01garbage\r\n\r\n"),
			req("nul in header value", "GET / HTTP/1.1\r\nHost: lab.test\r\nX-A: a\x00b\r\n\r\n"),
			req("TRACE", "TRACE / HTTP/1.1\r\nHost: lab.test\r\n\r\n"),
			req("space in uri", "GET /a b HTTP/1.1\r\nHost: lab.test\r\n\r\n"),
			req("spaces around uri", "GET   /a   HTTP/1.1  \r\nHost: lab.test\r\nConnection: close\r\n\r\n"),
			req("HTTP/1.10", "GET / HTTP/1.10\r\nHost: lab.test\r\nConnection: close\r\n\r\n"),
			req("HTTP/1.1000", "GET / HTTP/1.1000\r\nHost: lab.test\r\n\r\n"),
			req("HTTP/01.1", "GET / HTTP/01.1\r\nHost: lab.test\r\n\r\n"),
			req("HTTP/10.1", "GET / HTTP/10.1\r\nHost: lab.test\r\n\r\n"),
			req("HTTP/1.1x", "GET / HTTP/1.1x\r\nHost: lab.test\r\n\r\n"),
			req("http lower case", "GET / http/1.1\r\nHost: lab.test\r\n\r\n"),
			req("CR inside the line", "GET /a\rb HTTP/1.1\r\nHost: lab.test\r\n\r\n"),
			req("no slash", "GET a HTTP/1.1\r\nHost: lab.test\r\n\r\n"),
			req("absolute without path", "GET http://lab.test HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
			req("absolute with port and query", "GET http://lab.test:81?q=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
			req("absolute ipv6", "GET http://[::1]:80/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
			req("absolute without Host", "GET http://lab.test/x HTTP/1.1\r\nConnection: close\r\n\r\n"),
			req("POST HTTP/0.9", "POST /\r\n"),
			req("high bytes in uri", "GET /\xc3\xa9 HTTP/1.1\r\nHost: lab.test\r\nConnection: close\r\n\r\n"),
			req("CR inside a value", "GET / HTTP/1.1\r\nHost: lab.test\r\nX-A: a\rb\r\n\r\n"),
			req("space before colon", "GET / HTTP/1.1\r\nHost: lab.test\r\nX-A : b\r\n\r\n"),
			req("duplicate If-None-Match", "GET / HTTP/1.1\r\nHost: lab.test\r\nIf-None-Match: a\r\nIf-None-Match: b\r\n\r\n"),
			req("two Connection headers", "GET / HTTP/1.1\r\nHost: lab.test\r\nConnection: close\r\nConnection: keep-alive\r\n\r\n"),
			req("empty content-length", "POST / HTTP/1.1\r\nHost: lab.test\r\nContent-Length: \r\n\r\n"),
			req("content-length with spaces", "POST / HTTP/1.1\r\nHost: lab.test\r\nContent-Length:  2  \r\nConnection: close\r\n\r\nab"),
			req("CONNECT", "CONNECT lab.test:443 HTTP/1.1\r\nHost: lab.test\r\n\r\n"),
		},
	},
	{
		name: "bodies",
		http: `
    server {
        listen 127.0.0.1:PORT;
        server_name lab.test;
        location / { return 200 "ok\n"; }
        location /file/ { alias DIR/; }
        location /nope/ { }
        location /up/ { proxy_pass http://BACKEND; }
    }`,
		backend: echoHTTP,
		files:   map[string]string{"f.txt": "file\n"},
		prepare: fixedTimes,
		reqs: []diffReq{
			req("bad chunk to a file", "POST /file/f.txt HTTP/1.1\r\nHost: lab.test\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
			req("bad chunk to an error page", "GET /nope/x HTTP/1.1\r\nHost: lab.test\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
			req("Expect to a file", "GET /file/f.txt HTTP/1.1\r\nHost: lab.test\r\nExpect: 100-continue\r\nContent-Length: 2\r\nConnection: close\r\n\r\nab"),
			req("Expect to an error page", "GET /nope/x HTTP/1.1\r\nHost: lab.test\r\nExpect: 100-continue\r\nContent-Length: 2\r\nConnection: close\r\n\r\nab"),
			req("bad chunk", "POST / HTTP/1.1\r\nHost: lab.test\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
			req("good chunks", "POST / HTTP/1.1\r\nHost: lab.test\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\nab\r\n0\r\n\r\n"),
			req("Expect to a return", "POST / HTTP/1.1\r\nHost: lab.test\r\nExpect: 100-continue\r\nContent-Length: 2\r\nConnection: close\r\n\r\nab"),
			req("Expect without a body", "POST / HTTP/1.1\r\nHost: lab.test\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n"),
			req("Expect in HTTP/1.0", "POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nab"),
			reqCut("body cut short to a return", "POST / HTTP/1.1\r\nHost: lab.test\r\nContent-Length: 10\r\n\r\nabc"),
			reqCut("body cut short to a proxy", "POST /up/x HTTP/1.1\r\nHost: lab.test\r\nContent-Length: 10\r\n\r\nabc"),
			reqCut("chunked body cut short to a proxy", "POST /up/x HTTP/1.1\r\nHost: lab.test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"),
			reqCut("head cut short", "GET / HTTP/1.1\r\nHost: lab.t"),
			reqCut("line cut short", "GET /abc"),
			req("body then next request", "POST / HTTP/1.1\r\nHost: lab.test\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\nHost: lab.test\r\nConnection: close\r\n\r\n"),
		},
	},
}
