// Package proxy is webflow-lab's nginx: the web server in front of the app
// servers, reading the same nginx.conf a learner writes for real nginx and
// answering with the same statuses, pages, headers and log lines as nginx
// 1.22.1 (the version the course uses).
//
// What real nginx is: a master process that reads the config and binds the
// listening sockets, and worker processes, each a single-threaded event
// loop, that accept connections and run every request through phases: find
// the virtual server (listen + server_name), normalize the URI (decode %XX,
// resolve "." and "..", merge "//"), run the server's rewrite script, find
// the location (exact "=", the longest prefix, nested locations, "^~",
// regexes in file order), check client_max_body_size, run the location's
// rewrite script (rewrite, return), check access (allow, deny), run
// try_files, then a content handler: static files (root, alias, index,
// autoindex) or a proxy module (uwsgi_pass, proxy_pass) that passes the
// request to an upstream peer chosen by the balancer. The answer goes
// through header and body filters (add_header and expires, gzip, ranges).
// Every request ends with an access-log line; problems go to the error log.
//
// This package does those phases in the same order with the same rules,
// checked against nginx's source and against the real binary: the
// differential suite (TestDiff, diffcases_*_test.go) runs the same configs
// and raw requests on nginx 1.22 and on the lab and wants the same answers,
// upstream requests, log lines and -t output. A Server is the master and
// one worker in one process, a goroutine per connection instead of an
// event loop. The compile step (compile.go: a table of one function per
// directive) turns the parsed config into the running settings. The dynamic
// path is servers/proxy/upstream (connect, send, retry per next_upstream)
// with servers/proxy/balance (nginx's algorithms); the config syntax is
// servers/proxy/config.
//
// What this version leaves out: TLS and HTTP/2, the rewrite module's if,
// set and map, caching, limit_req/limit_conn, multi-range requests (one
// range is served as nginx does), sub-requests, open_file_cache,
// FastCGI/SCGI/gRPC, UNIX listen sockets, temp files for request bodies (a
// body is buffered in memory, up to client_max_body_size), host names in
// *_pass and upstream servers other than localhost (the lab stays on
// loopback addresses), and more than one worker (so balancer state is
// shared by every connection, as one nginx worker's is). A directive nginx
// knows and the lab does not implement is accepted and announced at every
// start and reload ("has no effect in webflow-lab"), on the terminal and in
// error.log. gzip compresses with Go's compress/flate: the bytes differ from
// zlib's, the unpacked body does not. A port-only "listen 8080;" binds
// 127.0.0.1 (nginx binds every address): the lab stays on loopback unless
// the config names an address.
//
// The lab's own additions: hop events (trace.Event) for the screen, each
// with the request's $request_id (the proxy sends the app nothing nginx
// would not: the workspace's config passes the id openly with
// "uwsgi_param HTTP_X_REQUEST_ID $request_id;"); alias locations that have
// nginx's missing-slash traversal are served exactly as nginx serves them —
// that is the lesson — and flagged with a note at start-up and by -t.
//
// Reference: https://nginx.org/en/docs/http/ngx_http_core_module.html
package proxy
