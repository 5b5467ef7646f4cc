package upstream_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"

	"webflow-lab/servers/proxy/balance"
	"webflow-lab/servers/proxy/upstream"
	"webflow-lab/servers/uwsgiproto"
)

// An app server that answers one uwsgi request the way uWSGI does: a plain
// HTTP head and body, then close.
func serveOnce(ln net.Listener) {
	c, err := ln.Accept()
	if err != nil {
		return
	}
	defer c.Close()
	if _, err := (uwsgiproto.PacketReader{}).Read(bufio.NewReader(c)); err != nil {
		return
	}
	io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nhello from uwsgi")
}

// A location with `uwsgi_pass app;` where the first server of upstream app
// is down: nginx logs the refusal, retries the GET on the next server and
// relays its answer.
func ExampleEngine_Do() {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	defer ln.Close()
	go serveOnce(ln)

	dead, _ := net.Listen("tcp", "127.0.0.1:0")
	deadAddr := dead.Addr().String()
	dead.Close() // nothing listens there any more: connection refused

	app, _ := balance.NewUpstream("app", []*balance.Peer{balance.NewPeer(deadAddr), balance.NewPeer(ln.Addr().String())}, nil)
	req := &upstream.Request{
		Method: "GET",
		Vars: uwsgiproto.Vars{
			{Key: "REQUEST_METHOD", Value: "GET"}, {Key: "PATH_INFO", Value: "/"}, {Key: "SERVER_PROTOCOL", Value: "HTTP/1.1"},
		},
	}
	res := (&upstream.Engine{}).Do(context.Background(), upstream.Target{Group: app}, upstream.Settings{Protocol: "uwsgi"}, req)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()

	fmt.Println(res.Status, string(body))
	fmt.Println("$upstream_status:", res.UpstreamStatus())
	for _, e := range res.Logs {
		fmt.Printf("[%s] %s\n", e.Level, e.Text())
	}
	// Output:
	// 200 hello from uwsgi
	// $upstream_status: 502, 200
	// [error] connect() failed (111: Connection refused) while connecting to upstream
	// [warn] upstream server temporarily disabled while connecting to upstream
}
