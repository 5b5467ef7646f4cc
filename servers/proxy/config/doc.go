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
// Left out: directives of the dynamic modules (perl, xslt, image_filter,
// geoip, mail, stream) are unknown, as on a stock Debian nginx without
// load_module; host names in upstream and listen are not resolved (nginx
// resolves them at startup and fails with "host not found"); the checks nginx
// makes when it opens files and sockets after parsing (log files, bind) are
// the proxy's job; only the supported directives' own value rules are
// checked, beyond the generic on/off, number, size and time slots that every
// directive gets.
package config
