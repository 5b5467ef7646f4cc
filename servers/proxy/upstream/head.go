package upstream

import "webflow-lab/servers/uwsgiproto"

// Head is an upstream's response head as nginx understood it. The parser
// (nginx 1.22's status-line and header-line state machines, with the uwsgi
// and proxy modules' rules) lives in uwsgiproto, which our uWSGI http router
// also reads its workers' answers with: see uwsgiproto.ParseHead.
type Head = uwsgiproto.Head

// headModule names the nginx module whose head rules apply to protocol.
func headModule(protocol string) uwsgiproto.Module {
	if protocol == "http" {
		return uwsgiproto.ProxyModule
	}
	return uwsgiproto.UwsgiModule
}
