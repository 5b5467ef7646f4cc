package sim

import (
	"fmt"
	"strconv"
	"strings"

	"webflow-lab/servers/explain"
)

// Ports are the loopback TCP ports of a lab. They are written into the
// config files when a workspace is created — nginx's `listen` and `upstream`
// servers, each instance's `socket`, `http` and `stats` — exactly where a
// learner would edit them; after that the files are the truth, and changing a
// port means editing them (and reloading), as on a real server. A zero field
// takes the course's default.
type Ports struct {
	Proxy     int             // conf.d/ems.conf `listen 127.0.0.1:8080;`
	Instances []InstancePorts // uwsgi-1.ini, uwsgi-2.ini, in order
}

// InstancePorts are one app-server instance's ports.
type InstancePorts struct {
	Socket int // `socket =`, the uwsgi protocol; also the proxy's `server` line (9001, 9011)
	HTTP   int // `http =`, uWSGI's HTTP router for a browser (9000, 9010)
	Stats  int // `stats =`, the JSON stats server (9002, 9012)
}

// DefaultPorts are the course's ports, the ones the shipped configs name.
var DefaultPorts = Ports{
	Proxy: 8080,
	Instances: []InstancePorts{
		{Socket: 9001, HTTP: 9000, Stats: 9002},
		{Socket: 9011, HTTP: 9010, Stats: 9012},
	},
}

// PortsFrom lays out ports the way the defaults are laid out: the proxy on
// proxy, and instance i (from 0) on app+10i (http), app+10i+1 (socket) and
// app+10i+2 (stats). PortsFrom(8080, 9000) is DefaultPorts.
func PortsFrom(proxy, app int) Ports {
	p := Ports{Proxy: proxy}
	for i := range DefaultPorts.Instances {
		base := app + 10*i
		p.Instances = append(p.Instances, InstancePorts{Socket: base + 1, HTTP: base, Stats: base + 2})
	}
	return p
}

// withDefaults fills zero fields from DefaultPorts.
func (p Ports) withDefaults() Ports {
	out := Ports{Proxy: or(p.Proxy, DefaultPorts.Proxy)}
	for i, d := range DefaultPorts.Instances {
		var q InstancePorts
		if i < len(p.Instances) {
			q = p.Instances[i]
		}
		out.Instances = append(out.Instances, InstancePorts{
			Socket: or(q.Socket, d.Socket), HTTP: or(q.HTTP, d.HTTP), Stats: or(q.Stats, d.Stats),
		})
	}
	return out
}

func or(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// check refuses ports a lab cannot use: out of range, one port twice, or
// more instances than the workspace has configs for.
func (p Ports) check(given Ports) error {
	if len(given.Instances) > len(DefaultPorts.Instances) {
		n := len(given.Instances)
		return portError(explain.T(fmt.Sprintf("lab: ports given for %d app-server instances", n), fmt.Sprintf("lab: 为 %d 个应用服务器实例指定了端口", n)),
			explain.T(fmt.Sprintf("a new workspace has %d app-server instances (uwsgi-1.ini, uwsgi-2.ini)", len(DefaultPorts.Instances)),
				fmt.Sprintf("新工作区有 %d 个应用服务器实例（uwsgi-1.ini、uwsgi-2.ini）", len(DefaultPorts.Instances))),
			explain.T("give ports for at most that many; add an instance later by copying an ini and adding a server line to the upstream",
				"最多为这些实例指定端口；以后要加实例，复制一个 ini 并在 upstream 中加一行 server"))
	}
	seen := map[int]string{}
	for _, u := range p.uses() {
		if u.port < 1 || u.port > 65535 {
			return portError(cannotUse(u),
				explain.T("a TCP port is a number from 1 to 65535", "TCP 端口是 1 到 65535 之间的数"),
				explain.T("pick a free port above 1024, such as 8080", "选一个大于 1024 的空闲端口，例如 8080"))
		}
		if other, ok := seen[u.port]; ok {
			return portError(cannotUse(u),
				explain.T("the port is also given to "+other+"; two sockets cannot listen on one port",
					"该端口已分配给 "+other+"；两个套接字不能监听同一个端口"),
				explain.T("give every listener its own port", "给每个监听套接字各自的端口"))
		}
		seen[u.port] = u.what
	}
	return nil
}

type portUse struct {
	what string
	port int
}

func (p Ports) uses() []portUse {
	out := []portUse{{"proxy listen", p.Proxy}}
	for i, q := range p.Instances {
		n := fmt.Sprintf("uwsgi-%d", i+1)
		out = append(out, portUse{n + " socket", q.Socket}, portUse{n + " http", q.HTTP}, portUse{n + " stats", q.Stats})
	}
	return out
}

func cannotUse(u portUse) explain.Text {
	port := strconv.Itoa(u.port)
	return explain.T("lab: cannot use port "+port+" for "+u.what, "lab: 无法把端口 "+port+" 用于 "+u.what)
}

func portError(what, why, try explain.Text) error {
	return &explain.Error{
		What:  what,
		Where: "--port / --app-port",
		Why:   why,
		Try:   try,
	}
}

// portEdit is one textual change to a shipped config file.
type portEdit struct{ old, new string }

// edits returns, per workspace file, the replacements that turn the shipped
// defaults into p. Only whole addresses ("127.0.0.1:9001") and the one
// comment that names the socket ports are touched, so the file stays what a
// learner would have written by hand.
func (p Ports) edits() map[string][]portEdit {
	d := DefaultPorts
	addr := func(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }
	out := map[string][]portEdit{
		"conf.d/ems.conf": {
			{addr(d.Proxy), addr(p.Proxy)},
			{fmt.Sprintf("sockets %d and %d", d.Instances[0].Socket, d.Instances[1].Socket),
				fmt.Sprintf("sockets %d and %d", p.Instances[0].Socket, p.Instances[1].Socket)},
		},
	}
	for i, di := range d.Instances {
		pi := p.Instances[i]
		out["conf.d/ems.conf"] = append(out["conf.d/ems.conf"], portEdit{addr(di.Socket), addr(pi.Socket)})
		out[fmt.Sprintf("uwsgi-%d.ini", i+1)] = []portEdit{
			{addr(di.Socket), addr(pi.Socket)},
			{addr(di.HTTP), addr(pi.HTTP)},
			{addr(di.Stats), addr(pi.Stats)},
		}
	}
	return out
}

// applyEdits rewrites text with every edit in one pass (so 9001→9011 and
// 9011→9021 cannot chain). Each edit must match: a shipped file that no
// longer names a default port would otherwise silently keep it.
func applyEdits(name, text string, edits []portEdit) (string, error) {
	var pairs []string
	for _, e := range edits {
		if !strings.Contains(text, e.old) {
			return "", fmt.Errorf("lab: the shipped %s no longer contains %q; cannot set its port", name, e.old)
		}
		pairs = append(pairs, e.old, e.new)
	}
	return strings.NewReplacer(pairs...).Replace(text), nil
}
