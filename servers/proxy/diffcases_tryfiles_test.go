package proxy

func init() {
	diffGroups["tryfiles"] = &diffTryFiles
}

// diffTryFiles: try_files with files, directories ($uri/) and fallbacks.
var diffTryFiles = []diffCase{
	{
		name: "uri and uri slash",
		http: `
    server {
        listen 127.0.0.1:PORT;
        server_name lab.test;
        root DIR/html;
        location / { try_files $uri $uri/ =404; }
        location /noidx/ { index none.html; try_files $uri $uri/ =404; }
        location /spa/ { try_files $uri $uri/ /spa/index.html; }
        location /dironly/ { try_files $uri/ =404; }
        location /fallback/ { try_files $uri $uri/ /fallback/missing.html; }
    }`,
		files: map[string]string{
			"html/index.html": "home\n", "html/a.txt": "a\n", "html/withidx/index.html": "withidx\n", "html/noidx/": "",
			"html/noidx/sub/": "", "html/spa/index.html": "spa shell\n", "html/spa/x.js": "js\n", "html/dironly/d/index.html": "d\n",
			"html/dironly/f": "f\n", "html/plain/": "",
		},
		prepare: fixedTimes,
		reqs: []diffReq{getReq("/a.txt"), getReq("/withidx"), getReq("/withidx/"), getReq("/plain"), getReq("/plain/"),
			getReq("/nope"), getReq("/noidx/sub"), getReq("/noidx/sub/"), getReq("/noidx/"), getReq("/spa/deep/route?x=1"),
			getReq("/spa/"), getReq("/spa/x.js"), getReq("/dironly/d"), getReq("/dironly/d/"), getReq("/dironly/f"),
			getReq("/fallback/zzz")},
	},
	{
		name: "fallbacks",
		http: `
    server {
        listen 127.0.0.1:PORT;
        server_name lab.test;
        root DIR/html;
        location /code/ { try_files $uri =418; }
        location /named/ { try_files $uri @back; }
        location @back { return 200 "back uri=$uri args=$args\n"; }
        location /args/ { try_files $uri /show?from=try; }
        location /noargs/ { try_files $uri /show; }
        location = /show { return 200 "show uri=$uri args=$args\n"; }
        location /loop/ { try_files $uri /loop/again; }
    }`,
		files: map[string]string{"html/code/here.txt": "here\n"},
		reqs: []diffReq{getReq("/code/here.txt"), getReq("/code/x"), getReq("/named/x?q=1"), getReq("/args/x?q=1"),
			getReq("/noargs/x?q=1"), getReq("/loop/x")},
	},
	{
		name: "alias",
		http: `
    server {
        listen 127.0.0.1:PORT;
        server_name lab.test;
        location /a/ { alias DIR/data/; try_files $uri $uri/ =404; }
        location /b/ { alias DIR/data/; try_files $uri /b/file.txt; }
        location /c/ { alias DIR/data/; try_files /file.txt =404; }
        location /d/ { alias DIR/data/; try_files /dir/ =404; }
    }`,
		files:   map[string]string{"data/file.txt": "data\n", "data/dir/index.html": "dir index\n"},
		prepare: fixedTimes,
		reqs: []diffReq{getReq("/a/file.txt"), getReq("/a/dir"), getReq("/a/dir/"), getReq("/a/nope"), getReq("/b/nope"),
			getReq("/c/x"), getReq("/d/x")},
	},
}
