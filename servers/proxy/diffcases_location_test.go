package proxy

func init() {
	diffGroups["location"] = &diffLocation
}

// diffLocation: which location answers (nginx.md §3), named captures, and
// the server's choice by Host.
var diffLocation = []diffCase{
	{
		name: "matching order",
		http: `
    server {
        listen 127.0.0.1:PORT;
        server_name lab.test;
        location ~ \.txt$ { return 200 "regex txt\n"; }
        location ^~ /pre/ { return 200 "noregex pre\n"; }
        location /pre2/ { return 200 "prefix pre2\n"; }
        location = /exact { return 200 "exact\n"; }
        location /exact { return 200 "prefix exact\n"; }
        location ~* \.TXT$ { return 200 "regex ci TXT\n"; }
        location /static { return 200 "prefix static\n"; }
        location / { return 200 "root\n"; }
        location /nest/ {
            location /nest/inner/ { return 200 "nested prefix\n"; }
            location ~ \.png$ { return 200 "nested regex\n"; }
            return 200 "nest\n";
        }
        location ~ ^/nest/.*\.(png|jpg)$ { return 200 "outer regex\n"; }
    }`,
		reqs: []diffReq{getReq("/pre/a.txt"), getReq("/pre2/a.txt"), getReq("/pre2/A.TXT"), getReq("/static/x/f.txt"),
			getReq("/exact"), getReq("/exact/"), getReq("/exactly"), getReq("/static"), getReq("/other"),
			getReq("/nest/inner/a.png"), getReq("/nest/a.png"), getReq("/nest/a.jpg"), getReq("/nest/inner/x"), getReq("/nest/x")},
	},
	{
		name: "auto redirect to the slash",
		http: `
    server {
        listen 127.0.0.1:PORT;
        server_name lab.test;
        location /app/ { proxy_pass http://127.0.0.1:DEAD; }
        location /api/ { uwsgi_pass 127.0.0.1:DEAD; }
        location /both/ { uwsgi_pass 127.0.0.1:DEAD; }
        location = /both { return 200 "exact both\n"; }
    }`,
		reqs: []diffReq{getReq("/app"), getReq("/app?q=1"), getReq("/api"), getReq("/both")},
	},
	{
		name: "regex captures",
		http: `
    server {
        listen 127.0.0.1:PORT;
        server_name lab.test;
        location ~ ^/num/(\d+)/(\w+)$ { return 200 "one=$1 two=$2\n"; }
        location ~ ^/user/(?<id>\d+)/(?<tab>\w+)$ { return 200 "id=$id tab=$tab one=$1\n"; }
        location ~* ^/CI/(?<word>[a-z]+)$ { return 200 "word=$word\n"; }
    }`,
		reqs: []diffReq{getReq("/num/42/abc"), getReq("/user/7/posts"), getReq("/ci/Hello"), getReq("/user/x/y")},
	},
	{
		name: "server by host",
		http: `
    server {
        listen 127.0.0.1:PORT;
        server_name lab.test www.lab.test;
        return 200 "lab server_name=$server_name host=$host\n";
    }
    server {
        listen 127.0.0.1:PORT;
        server_name *.wild.test;
        return 200 "wild server_name=$server_name host=$host\n";
    }
    server {
        listen 127.0.0.1:PORT;
        server_name .dot.test;
        return 200 "dot server_name=$server_name host=$host\n";
    }
    server {
        listen 127.0.0.1:PORT;
        server_name pre.*;
        return 200 "pre server_name=$server_name host=$host\n";
    }
    server {
        listen 127.0.0.1:PORT;
        server_name ~^(?<sub>[a-z]+)\.re\.test$;
        return 200 "regex sub=$sub server_name=$server_name host=$host\n";
    }
    server {
        listen 127.0.0.1:PORT;
        server_name ~^num(\d+)\.test$;
        return 200 "numbered one=$1 server_name=$server_name\n";
    }
    server {
        listen 127.0.0.1:PORT default_server;
        server_name _;
        return 200 "default server_name=$server_name host=$host\n";
    }`,
		reqs: []diffReq{hostReq("lab.test", "/"), hostReq("WWW.Lab.Test.", "/"), hostReq("a.wild.test", "/"),
			hostReq("wild.test", "/"), hostReq("dot.test", "/"), hostReq("x.dot.test", "/"), hostReq("pre.anything", "/"),
			hostReq("api.re.test", "/"), hostReq("num42.test", "/"), hostReq("nobody.test", "/"),
			hostReq("lab.test:8080", "/"),
			req("HTTP/1.0 no host", "GET / HTTP/1.0\r\n\r\n"),
			req("absolute URI", "GET http://api.re.test/x HTTP/1.1\r\nHost: lab.test\r\nConnection: close\r\n\r\n")},
	},
	{
		name: "captures carried over",
		http: `
    log_format caps '$request sub=$sub word=$word';
    server {
        listen 127.0.0.1:PORT;
        server_name ~^(?<sub>[a-z]+)\.cap\.test$ ~^num(\d+)\.cap\.test$ ~^UPPER\.test$;
        access_log logs/access.log caps;
        location ~ \.nogroup$ { return 200 "sub=$sub one=$1\n"; }
        location ~ ^/(?<word>[a-z]+)\.grp$ { return 200 "sub=$sub word=$word one=$1\n"; }
        location /plain/ { return 200 "sub=[$sub] one=[$1] word=[$word] server_name=$server_name\n"; }
    }
    server {
        listen 127.0.0.1:PORT;
        server_name .other.test;
        location / { return 200 "server_name=$server_name sub=[$sub]\n"; }
    }`,
		reqs: []diffReq{hostReq("api.cap.test", "/a.nogroup"), hostReq("num5.cap.test", "/a.nogroup"),
			hostReq("api.cap.test", "/abc.grp"), hostReq("num5.cap.test", "/abc.grp"), hostReq("api.cap.test", "/plain/x"),
			hostReq("upper.test", "/plain/x"), hostReq("x.other.test", "/"), hostReq("API.cap.test", "/plain/y")},
	},
	{
		name: "internal and named locations",
		http: `
    server {
        listen 127.0.0.1:PORT;
        server_name lab.test;
        location /hidden/ { internal; return 200 "hidden\n"; }
        location /go/ { try_files /nothing @named; }
        location @named { return 200 "named uri=$uri\n"; }
        location /err/ { error_page 404 /hidden/page; return 404; }
    }`,
		reqs: []diffReq{getReq("/hidden/x"), getReq("/go/x?a=1"), getReq("/err/x")},
	},
}
