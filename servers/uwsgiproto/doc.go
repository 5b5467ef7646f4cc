// Package uwsgiproto is the uwsgi wire protocol: the binary packet nginx's
// uwsgi_pass sends to uWSGI, and the plain HTTP response that comes back.
//
// A request packet is a 4-byte header, a vars block and the body:
//
//	[modifier1:1][datasize:u16 little-endian][modifier2:1][vars: datasize bytes][body: CONTENT_LENGTH bytes]
//
// The vars block is a run of entries, each a u16 LE key length, the key, a u16
// LE value length and the value: no count, no terminator, no padding. Keys may
// repeat; values may be empty; keys may not. datasize counts the vars block
// only, so a block can never exceed 65535 bytes; uWSGI's buffer-size (default
// 4096) is a further, configurable limit on what a server accepts.
//
// The response is not framed: an HTTP/1.x status line, headers, a blank line
// and the body, ended by closing the connection (uWSGI serves one request per
// connection and nginx never reuses one).
//
// Decoding follows uWSGI's core/protocol.c byte for byte, including its log
// wording, so what a learner reads in the lab's log is what uWSGI would print.
//
// The response head is read the way nginx 1.22 reads it (HeadParser):
// ngx_http_parse_status_line, ngx_http_parse_header_line, then the uwsgi
// module's CGI rules (a Status: header, else Location → 302, else 200) or, for
// proxy_pass, HTTP/0.9 when there is no status line. The proxy's upstream
// engine and the uWSGI http router (through ReadResponse) both use it, and
// refuse a head with nginx's error.log words ("upstream sent invalid header:
// …", "upstream sent too big header").
//
// What it leaves out: modifier1 values other than 0 (WSGI) are decoded but not
// interpreted; the server decides what to do with them. HeadParser resumes
// at the line it stopped in, where nginx resumes its state machines at the
// byte; the two differ only for a status line split across reads that then
// turns out invalid.
//
// Reference: https://uwsgi-docs.readthedocs.io/en/latest/Protocol.html
package uwsgiproto
