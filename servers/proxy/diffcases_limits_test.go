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
		name:  "header buffers",
		known: "the error log names no too long header line",
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
		name:  "orderly close after a refused request",
		known: "the connection is reset instead of closed after the answer to an oversized request",
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
		name:  "hosts",
		known: "an empty Host, or one with a space or control byte, is not refused; a leading dot is",
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
		name:  "request line and headers",
		known: "error-log lines lack nginx's action and values",
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
			req("CONNECT", "CONNECT lab.test:443 HTTP/1.1\r\nHost: lab.test\r\n\r\n"),
		},
	},
	{
		name:  "bodies",
		known: "a broken chunked body is answered 200 by return",
		http: `
    server {
        listen 127.0.0.1:PORT;
        server_name lab.test;
        location / { return 200 "ok\n"; }
    }`,
		reqs: []diffReq{
			req("bad chunk", "POST / HTTP/1.1\r\nHost: lab.test\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
			req("good chunks", "POST / HTTP/1.1\r\nHost: lab.test\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\nab\r\n0\r\n\r\n"),
			req("body then next request", "POST / HTTP/1.1\r\nHost: lab.test\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\nHost: lab.test\r\nConnection: close\r\n\r\n"),
		},
	},
}
