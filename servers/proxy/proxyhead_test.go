package proxy

import (
	"strings"
	"testing"
)

// TestProxyHead: the head proxy_pass sends, as nginx 1.22 builds it (the
// differential suite checks the same against the real binary): nginx's
// default headers unless proxy_set_header names them, values left out
// when empty, client headers after them unless named, and proxy_set_header
// lines at a level replacing all the inherited ones.
func TestProxyHead(t *testing.T) {
	backend := fakeBackend(t, echoHTTP)
	l := startLab(t, `
    proxy_set_header X-From http;
    server {
        listen 127.0.0.1:FREEPORT;
        server_name lab.test;
        location /default/ { proxy_set_header Host $proxy_host; proxy_pass http://`+backend+`; }
        location /inherit/ { proxy_pass http://`+backend+`; }
        location /snippet/ {
            proxy_set_header Host $host;
            proxy_set_header X-Real-IP $remote_addr;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_pass http://`+backend+`;
        }
        location /empty/ { proxy_set_header Connection ""; proxy_set_header X-Gone $http_x_none; proxy_pass http://`+backend+`; }
    }`, nil)
	client := "User-Agent: t\r\nConnection: keep-alive\r\nKeep-Alive: 5\r\nX-Forwarded-For: 10.0.0.1\r\nContent-Length: 2\r\n"
	tests := []struct{ path, want string }{
		{"/default/x", "POST /default/x HTTP/1.0\r\nHost: " + backend + "\r\nConnection: close\r\nContent-Length: 2\r\n" +
			"User-Agent: t\r\nX-Forwarded-For: 10.0.0.1\r\n\r\nab"},
		{"/inherit/x", "POST /inherit/x HTTP/1.0\r\nX-From: http\r\nHost: " + backend + "\r\nConnection: close\r\nContent-Length: 2\r\n" +
			"User-Agent: t\r\nX-Forwarded-For: 10.0.0.1\r\n\r\nab"},
		{"/snippet/x", "POST /snippet/x HTTP/1.0\r\nHost: lab.test\r\nX-Real-IP: 127.0.0.1\r\nX-Forwarded-For: 10.0.0.1, 127.0.0.1\r\n" +
			"Connection: close\r\nContent-Length: 2\r\nUser-Agent: t\r\n\r\nab"},
		{"/empty/x", "POST /empty/x HTTP/1.0\r\nHost: " + backend + "\r\nContent-Length: 2\r\nUser-Agent: t\r\nX-Forwarded-For: 10.0.0.1\r\n\r\nab"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got := do(t, l.addr, "POST "+tt.path+" HTTP/1.1\r\nHost: lab.test\r\n"+client+"\r\nab")
			if got.body != tt.want {
				t.Errorf("got\n%s\nwant\n%s", strings.ReplaceAll(got.body, "\r\n", "⏎\n"), strings.ReplaceAll(tt.want, "\r\n", "⏎\n"))
			}
		})
	}
}
