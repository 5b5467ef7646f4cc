package upstream

import (
	"strconv"
	"strings"

	"webflow-lab/servers/wsgi"
)

// proxyDropped are the client headers nginx's default proxy_set_header set
// replaces or removes (ngx_http_proxy_headers in 1.22): Host and Connection
// get new values, Content-Length is recomputed from the buffered body, and
// Transfer-Encoding, TE, Keep-Alive, Expect and Upgrade are sent empty,
// which means not at all.
var proxyDropped = []string{"host", "connection", "content-length", "transfer-encoding", "te", "keep-alive", "expect", "upgrade"}

// HTTPHead builds the request head proxy_pass sends with nginx 1.22's
// defaults: "METHOD URI HTTP/1.0", Host: $proxy_host, Connection: close,
// Content-Length when the client sent a body length (bodyLen ≥ 0; -1 = none),
// then the client's headers in order minus the ones above.
func HTTPHead(method, uri, proxyHost string, client []wsgi.Header, bodyLen int64) []byte {
	var b strings.Builder
	b.WriteString(method)
	b.WriteByte(' ')
	b.WriteString(uri)
	b.WriteString(" HTTP/1.0\r\nHost: ")
	b.WriteString(proxyHost)
	b.WriteString("\r\nConnection: close\r\n")
	if bodyLen >= 0 {
		b.WriteString("Content-Length: ")
		b.WriteString(strconv.FormatInt(bodyLen, 10))
		b.WriteString("\r\n")
	}
next:
	for _, h := range client {
		for _, d := range proxyDropped {
			if strings.EqualFold(h.Name, d) {
				continue next
			}
		}
		b.WriteString(h.Name)
		b.WriteString(": ")
		b.WriteString(h.Value)
		b.WriteString("\r\n")
	}
	b.WriteString("\r\n")
	return []byte(b.String())
}
