package upstream

import (
	"strings"

	"webflow-lab/servers/wsgi"
)

// HTTPHead writes a request head for proxy_pass: "METHOD URI VERSION", the
// headers in order, the blank line. Which headers go (proxy_set_header
// merged with nginx's defaults Host: $proxy_host, Connection: close …, then
// the client's) is the proxy's choice.
func HTTPHead(method, uri, version string, headers []wsgi.Header) []byte {
	var b strings.Builder
	b.WriteString(method)
	b.WriteByte(' ')
	b.WriteString(uri)
	b.WriteByte(' ')
	b.WriteString(version)
	b.WriteString("\r\n")
	for _, h := range headers {
		b.WriteString(h.Name)
		b.WriteString(": ")
		b.WriteString(h.Value)
		b.WriteString("\r\n")
	}
	b.WriteString("\r\n")
	return []byte(b.String())
}
