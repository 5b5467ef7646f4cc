// Package config reads nginx configuration files with nginx's own rules, so
// that what a learner writes for the lab is what real nginx would accept.
//
// nginx's config is a list of directives, `name arg …;` or `name arg … { … }`,
// each allowed only in some contexts (main, events, http, server, location,
// upstream, if). The tokenizer here is a port of ngx_conf_read_token
// (src/core/ngx_conf_file.c): "#" starts a comment only at the start of a
// word, quotes open only at the start of a word and must be followed by a
// space, ";" or "{", `\"` `\'` `\\` `\n` `\r` `\t` are the only escapes, and
// "${name}" is a variable, not a block. include expands globs in sorted order
// relative to the main file's directory; a pattern may match nothing, a plain
// file must exist.
//
// Every directive of the modules built into Debian's nginx 1.22.1 is in the
// table (generated from nginx's ngx_command_t arrays, see gen_directives.py)
// with its contexts and argument rule. Three classes: Supported (the lab's
// proxy implements it), Ignored (real nginx accepts it; Parse warns that it
// has no effect here) and Unknown (`unknown directive "x"`). Errors are
// *explain.Error with nginx's exact message and file:line (checked against
// `nginx -t` in interop_test.go), plus why and what to try in English and
// Chinese; Transcript prints them as `nginx -t` does.
//
// After the blocks are read it makes the checks nginx makes at the end of
// http { }: upstream targets (`no port in upstream "ems"`), duplicate
// locations, listen/default_server clashes, `unknown "x" variable`, and the
// "conflicting server name" warnings; then `no "events" section`. Lint adds
// the course's silent pitfalls (alias slashes, uwsgi_param inheritance),
// which nginx itself never reports.
//
// How close it is: interop_test.go runs the real `nginx -t` on every file in
// testdata/check and wants the same verdict, message, file and line, and the
// same [warn] lines; difftest_test.go does the same for configs broken at
// random (go test -run Mutations -mutations 5000 -mutation-seed 9).
//
// Left out, on purpose: host names are not resolved (nginx resolves listen,
// upstream and proxy_pass hosts at startup and fails with "host not found";
// here only text that cannot be a host fails); regexes are not compiled with
// PCRE, so a broken regex passes here; log files are not opened and sockets
// not bound (nginx -t does both; the proxy does it when it starts); the
// directives the lab only accepts get the generic checks (on/off, numbers,
// sizes, times, "is duplicate") but not their own rules (limit_req_zone's
// zone=, ssl_* files …); directives of the dynamic modules (perl, xslt,
// image_filter, geoip, mail, stream) are unknown, as on a stock Debian nginx
// without load_module.
package config
