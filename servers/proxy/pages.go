package proxy

import (
	"strconv"
	"strings"
)

// nginxVersion is what the built-in pages and the Server header name, so a
// learner comparing our answers with real nginx 1.22.1 sees the same bytes.
const nginxVersion = "nginx/1.22.1"

// statusLines is nginx's table of status lines (ngx_http_header_filter_module.c).
// Codes missing here are sent as "NNN " with an empty reason, as nginx does.
var statusLines = map[int]string{
	200: "200 OK", 201: "201 Created", 202: "202 Accepted", 204: "204 No Content", 206: "206 Partial Content",
	301: "301 Moved Permanently", 302: "302 Moved Temporarily", 303: "303 See Other", 304: "304 Not Modified",
	307: "307 Temporary Redirect", 308: "308 Permanent Redirect",
	400: "400 Bad Request", 401: "401 Unauthorized", 402: "402 Payment Required", 403: "403 Forbidden",
	404: "404 Not Found", 405: "405 Not Allowed", 406: "406 Not Acceptable", 408: "408 Request Time-out",
	409: "409 Conflict", 410: "410 Gone", 411: "411 Length Required", 412: "412 Precondition Failed",
	413: "413 Request Entity Too Large", 414: "414 Request-URI Too Large", 415: "415 Unsupported Media Type",
	416: "416 Requested Range Not Satisfiable", 421: "421 Misdirected Request", 429: "429 Too Many Requests",
	500: "500 Internal Server Error", 501: "501 Not Implemented", 502: "502 Bad Gateway",
	503: "503 Service Temporarily Unavailable", 504: "504 Gateway Time-out", 505: "505 HTTP Version Not Supported",
	507: "507 Insufficient Storage",
}

// statusLine returns "NNN Reason" for the status line.
func statusLine(code int) string {
	if s, ok := statusLines[code]; ok {
		return s
	}
	return strconv.Itoa(code) + " "
}

// pageTitles are the built-in error pages' titles (ngx_http_special_response.c).
// They differ from the status lines in places (401, 494…497, 498 is a 404 page).
var pageTitles = map[int]string{
	301: "301 Moved Permanently", 302: "302 Found", 303: "303 See Other", 307: "307 Temporary Redirect",
	308: "308 Permanent Redirect",
	400: "400 Bad Request", 401: "401 Authorization Required", 402: "402 Payment Required", 403: "403 Forbidden",
	404: "404 Not Found", 405: "405 Not Allowed", 406: "406 Not Acceptable", 408: "408 Request Time-out",
	409: "409 Conflict", 410: "410 Gone", 411: "411 Length Required", 412: "412 Precondition Failed",
	413: "413 Request Entity Too Large", 414: "414 Request-URI Too Large", 415: "415 Unsupported Media Type",
	416: "416 Requested Range Not Satisfiable", 421: "421 Misdirected Request", 429: "429 Too Many Requests",
	500: "500 Internal Server Error", 501: "501 Not Implemented", 502: "502 Bad Gateway",
	503: "503 Service Temporarily Unavailable", 504: "504 Gateway Time-out", 505: "505 HTTP Version Not Supported",
	507: "507 Insufficient Storage",
}

// nginx's special codes: they are answered with a 400 status and their own page.
const (
	statusClose          = 444 // NGX_HTTP_CLOSE: close the connection without an answer
	statusHeaderTooLarge = 494 // "Request Header Or Cookie Too Large"
	statusClientClosed   = 499 // the client went away; logged, never sent
)

const msiePadding = "<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n"

// builtinPage returns nginx's built-in page for code, or "" when nginx sends an
// empty body (201, 204, 304, unknown codes). tokens is server_tokens.
func builtinPage(code int, tokens bool) string {
	var head string
	switch code {
	case statusHeaderTooLarge:
		head = "<html>\r\n<head><title>400 Request Header Or Cookie Too Large</title></head>\r\n<body>\r\n" +
			"<center><h1>400 Bad Request</h1></center>\r\n<center>Request Header Or Cookie Too Large</center>\r\n"
	case 498:
		code = 404
		fallthrough
	default:
		t, ok := pageTitles[code]
		if !ok {
			return ""
		}
		head = "<html>\r\n<head><title>" + t + "</title></head>\r\n<body>\r\n<center><h1>" + t + "</h1></center>\r\n"
	}
	if tokens {
		return head + "<hr><center>" + nginxVersion + "</center>\r\n</body>\r\n</html>\r\n"
	}
	return head + "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
}

// wantsPadding mirrors nginx's msie_padding: MSIE and Chrome replace short
// error pages with their own "friendly" page, so nginx pads 4xx/5xx pages.
func wantsPadding(userAgent string) bool {
	if i := strings.Index(userAgent, "MSIE "); i >= 0 && i+7 < len(userAgent) {
		return !strings.Contains(userAgent, "Opera")
	}
	return strings.Contains(userAgent, "Chrome/")
}
