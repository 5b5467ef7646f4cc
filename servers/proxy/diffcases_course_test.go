package proxy

import (
	"strings"

	"webflow-lab/assets"
)

func init() {
	diffGroups["course"] = &diffCourse
}

// assetText is a file the lab ships.
func assetText(name string) string {
	b, err := assets.FS.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// diffCourse: the configs a learner of the course writes or copies, as the
// workspace ships them (mime.types, uwsgi_params, the EMS site) and as the
// course's notes give them (static alias, the SPA fallback, the reverse
// proxy snippet).
var diffCourse = []diffCase{
	{
		name: "the workspace's EMS site",
		http: `
    include       DIR/mime.types;
    default_type  application/octet-stream;
    sendfile           on;
    keepalive_timeout  65;
    upstream ems {
        server BACKEND;
        server BACKEND;
    }
    server {
        listen       127.0.0.1:PORT;
        server_name  localhost;
        charset      utf-8;
        client_max_body_size  2m;
        location /static/ { alias DIR/static/; }
        location /media/ { alias DIR/media/; }
        location / {
            include     DIR/uwsgi_params;
            uwsgi_param HTTP_X_REQUEST_ID $request_id;
            uwsgi_pass  ems;
        }
    }`,
		files: map[string]string{"mime.types": assetText("nginx/mime.types"), "uwsgi_params": uwsgiParamsText,
			"static/css/style.css": "body { margin: 0 }\n", "static/js/ems.js": "console.log('ems')\n",
			"static/img/logo.png": "\x89PNG\r\n\x1a\n", "media/avatars/1.jpg": "\xff\xd8\xff",
			"static/中文.txt": "中文\n"},
		prepare: fixedTimes,
		backend: echoUwsgi,
		reqs: []diffReq{proxyGet("/"), proxyGet("/employees/?page=2"), getReq("/static/css/style.css"),
			getReq("/static/js/ems.js"), getReq("/static/img/logo.png"), getReq("/media/avatars/1.jpg"),
			getReq("/static/"), getReq("/static"), getReq("/static/missing.css"), getReq("/static/%E4%B8%AD%E6%96%87.txt"),
			req("login form", "POST /login/ HTTP/1.1\r\nHost: localhost:8080\r\nContent-Type: application/x-www-form-urlencoded\r\n"+
				"Cookie: sessionid=abc\r\nContent-Length: 28\r\nConnection: close\r\n\r\nusername=ann&password=secret"),
			req("avatar upload", "POST /employees/add/ HTTP/1.1\r\nHost: localhost:8080\r\nContent-Type: multipart/form-data; boundary=XX\r\n"+
				"Content-Length: 3000000\r\n\r\n"+strings.Repeat("z", 3000000))},
	},
	{
		name: "the course's static alias and SPA",
		http: strings.NewReplacer("127.0.0.1:8888", "127.0.0.1:PORT", "127.0.0.1:8000", "127.0.0.1:PORT",
			"127.0.0.1:8081", "127.0.0.1:DEAD", "127.0.0.1:9001", "BACKEND", "include                    uwsgi_params;",
			"include DIR/uwsgi_params;", "alias static/;", "alias DIR/static/;").Replace(assetText("nginx/examples/static-alias.conf")),
		files:   map[string]string{"uwsgi_params": uwsgiParamsText, "static/app.css": "app\n"},
		prepare: fixedTimes,
		backend: echoUwsgi,
		reqs:    []diffReq{getReq("/static/app.css"), proxyGet("/api/x"), getReq("/static")},
	},
	{
		name: "the SPA fallback",
		http: `
    server {
        listen       127.0.0.1:PORT;
        server_name  127.0.0.1;
        location / {
            root       DIR/dist;
            try_files  $uri $uri/ /index.html;
        }
    }`,
		files: map[string]string{"dist/index.html": "<div id=app></div>\n", "dist/js/app.js": "app()\n",
			"dist/about/": ""},
		prepare: fixedTimes,
		reqs: []diffReq{getReq("/"), getReq("/js/app.js"), getReq("/users/42"), getReq("/about"), getReq("/about/"),
			getReq("/js/")},
	},
	{
		name: "the reverse proxy snippet with an upstream",
		http: `
    upstream backend {
        server BACKEND weight=2;
        server BACKEND;
    }
    server {
        listen 127.0.0.1:PORT;
        server_name lab.test;
        location / {
            proxy_pass http://backend;
            proxy_set_header Host $host;
            proxy_set_header X-Real-IP $remote_addr;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_connect_timeout 5s;
            proxy_read_timeout 30s;
        }
        location /static/ {
            alias DIR/static/;
            expires 7d;
            add_header Cache-Control public;
        }
    }`,
		files:   map[string]string{"static/a.css": "a{}\n"},
		prepare: fixedTimes,
		backend: echoHTTP,
		reqs: []diffReq{proxyGet("/"), proxyGet("/api/users?id=1"), getReq("/static/a.css"),
			req("POST json", "POST /api/users HTTP/1.1\r\nHost: lab.test\r\nContent-Type: application/json\r\nContent-Length: 13\r\nConnection: close\r\n\r\n{\"name\":\"a\"}\n")},
	},
}
