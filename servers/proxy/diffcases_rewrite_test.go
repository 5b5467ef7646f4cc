package proxy

func init() {
	diffGroups["rewrite"] = &diffRewrite
}

// diffRewrite: return and rewrite (ngx_http_rewrite_module).
var diffRewrite = []diffCase{
	{
		name: "return codes",
		http: `
    server {
        listen 127.0.0.1:PORT;
        server_name lab.test;
        location /gone { return 410; }
        location /ok { return 200; }
        location /nocontent { return 204; }
        location /teapot { return 418; }
        location /text { return 200 "plain text $uri\n"; }
        location /textjson { default_type application/json; return 200 '{"a":1}'; }
        location /close { return 444; }
        location /closetext { return 444 "never"; }
        location /server500 { return 500; }
        location /code599 { return 599; }
        location /typed.html { return 200 "typed by extension"; }
    }`,
		reqs: []diffReq{getReq("/gone"), getReq("/ok"), getReq("/nocontent"), getReq("/teapot"), getReq("/text"),
			getReq("/textjson"), getReq("/close"), getReq("/closetext"), getReq("/server500"), getReq("/code599"),
			getReq("/typed.html"),
			req("HEAD text", "HEAD /text HTTP/1.1\r\nHost: lab.test\r\nConnection: close\r\n\r\n"),
			req("HTTP/1.0", "GET /ok HTTP/1.0\r\n\r\n"),
			req("444 keep-alive", "GET /close HTTP/1.1\r\nHost: lab.test\r\n\r\n")},
	},
	{
		name: "return redirects",
		http: `
    server {
        listen 127.0.0.1:PORT;
        server_name lab.test;
        location /go { return 302 /a.txt; }
        location /perm { return 301 http://example.test/x; }
        location /seeother { return 303 /y; }
        location /temp307 { return 307 /z; }
        location /url { return http://example.test/url; }
        location /redir-nolocation { return 301; }
        location /relative { return 302 relative/path; }
        location /noabs { absolute_redirect off; return 301 /x; }
        location /noport { port_in_redirect off; return 301 /x; }
    }`,
		reqs: []diffReq{getReq("/go"), getReq("/perm"), getReq("/seeother"), getReq("/temp307"), getReq("/url"),
			getReq("/redir-nolocation"), getReq("/relative"), getReq("/noabs"), getReq("/noport"),
			hostReq("other.test:81", "/go")},
	},
	{
		name: "server level return",
		http: `
    server {
        listen 127.0.0.1:PORT;
        server_name lab.test;
        return 301 https://lab.test$request_uri;
        location / { return 200 "never\n"; }
    }`,
		reqs: []diffReq{getReq("/x?y=1")},
	},
	{
		name: "rewrite flags",
		http: `
    server {
        listen 127.0.0.1:PORT;
        server_name lab.test;
        root DIR/html;
        rewrite ^/old/(.*)$ /new/$1 last;
        rewrite ^/moved/(.*)$ /new/$1 permanent;
        rewrite ^/temp/(.*)$ /new/$1 redirect;
        rewrite ^/ext/(.*)$ http://example.test/$1;
        location /new/ { return 200 "new uri=$uri args=$args\n"; }
        location /brk/ {
            rewrite ^/brk/(.*)$ /files/$1 break;
            return 200 "not reached\n";
        }
        location /brk2/ {
            rewrite ^/brk2/(.*)$ /$1 break;
        }
        location /last/ {
            rewrite ^/last/(.*)$ /new/$1 last;
            return 200 "not reached\n";
        }
        location /args/ {
            rewrite ^/args/(.*)$ /new/$1?added=1 last;
        }
        location /argsq/ {
            rewrite ^/argsq/(.*)$ /new/$1?added=1? last;
        }
        location /noflag/ {
            rewrite ^/noflag/(.*)$ /new/$1;
            return 200 "after rewrite uri=$uri\n";
        }
        location /loop/ {
            rewrite ^/loop/(.*)$ /loop/$1 last;
        }
        location /named/ {
            rewrite ^/named/(?<rest>.*)$ /new/$rest last;
        }
    }`,
		files:   map[string]string{"html/a.txt": "a\n"},
		prepare: fixedTimes,
		reqs: []diffReq{getReq("/old/x?q=1"), getReq("/moved/x?q=1"), getReq("/temp/x"), getReq("/ext/x?q=2"),
			getReq("/brk/x"), getReq("/brk2/a.txt"), getReq("/last/y"), getReq("/args/z?q=1"), getReq("/argsq/z?q=1"),
			getReq("/noflag/w"), getReq("/loop/x"), getReq("/named/abc")},
	},
	{
		name: "rewrite details",
		http: `
    server {
        listen 127.0.0.1:PORT;
        server_name lab.test;
        root DIR/html;
        rewrite ^/srv/(.*)$ /show/$1;
        location /show/ { return 200 "show uri=$uri args=$args\n"; }
        location /order/ {
            return 200 "return first\n";
            rewrite ^ /show/never;
        }
        location /brk/ {
            rewrite ^/brk/(.*)$ /show/$1;
            break;
            rewrite ^ /show/never;
        }
        location /twice/ {
            rewrite ^/twice/(.*)$ /twice2/$1;
            rewrite ^/twice2/(.*)$ /show/two-$1;
        }
        location /esc/ { rewrite ^/esc/(.*)$ /show/$1; }
        location /escr/ { rewrite ^/escr/(.*)$ /target/$1?c=$1 redirect; }
        location /escargs/ { rewrite ^/escargs/(.*)$ /show/x?c=$1; }
        location /onlyargs/ { rewrite ^ /show/y?a=b? last; }
        location /scheme/ { rewrite ^/scheme/(.*)$ $scheme://$host/$1; }
        location /pct/ { rewrite ^ /x%41%2F%25%3F%20z?q=%41 permanent; }
        location /nested/ {
            rewrite ^/nested/(.*)$ /show/outer-$1;
            location /nested/in/ { return 200 "inner uri=$uri\n"; }
        }
        location /toerr/ { error_page 404 /srv/from-error; }
        location /named/ { try_files /none @n; }
        location @n { rewrite ^ /show/from-named last; }
        location /cycle/ { rewrite ^/cycle/(.*)$ /cycle/$1; }
        location /stop/ { rewrite ^/stop/(.*)$ /stop/$1 break; return 200 "stopped uri=$uri\n"; }
    }`,
		files: map[string]string{"html/index.html": "home\n"},
		reqs: []diffReq{getReq("/srv/a?x=1"), getReq("/order/x"), getReq("/brk/x"), getReq("/twice/t"),
			getReq("/esc/a%20b+c"), getReq("/escr/a%20b+c?d=1"), getReq("/escr/plain?d=1"), getReq("/escargs/a&b%26"),
			getReq("/onlyargs/z?old=1"), getReq("/scheme/s?q=1"), getReq("/pct/x"), getReq("/nested/in/x"),
			getReq("/toerr/x"), getReq("/named/x"), getReq("/cycle/x"), getReq("/stop/x")},
	},
}
