package ini

import (
	"net"
	"strconv"
	"strings"

	"webflow-lab/servers/explain"
)

// addrKind is which uWSGI code path reads an address.
type addrKind uint8

const (
	addrSocket addrKind = iota // socket, http-socket: generate_socket_name (left-trim, '*' autoip, empty is fatal)
	addrRouter                 // http: the gateway socket, taken as written
	addrStats                  // stats: read by the master as written
)

// parseAddr reads an address exactly as uWSGI 2.0 does (core/socket.c
// bind_to_tcp, socket_to_in_addr, socket_to_in_addr6; corerouter for http):
//
//   - a ':' anywhere makes it TCP, split at the LAST ':';
//   - the port is atoi(text after it), taken mod 65536: "9000 # x" is 9000,
//     " docs" is 0 (a random port), "99999" is 34463;
//   - an empty host is every interface; "[v6]" before the ':' is IPv6;
//   - any other host goes through gethostbyname, and when that fails through
//     inet_addr, whose failure value is 255.255.255.255 (INADDR_NONE): uWSGI
//     binds there without a word;
//   - no ':' at all makes it a UNIX socket path, comment and all.
func (h Host) parseAddr(o Option, kind addrKind) (Addr, error) {
	name := o.Value
	if kind == addrSocket {
		name = strings.TrimLeft(name, " \t\n\v\f\r")
		if name == "" {
			return Addr{}, fatal(o, "invalid/empty uwsgi socket name",
				explain.T("the "+o.Key+" option has no address", o.Key+" 选项没有写地址"),
				explain.T("write an address: "+o.Key+" = 127.0.0.1:9001 (TCP) or "+o.Key+" = /tmp/app.sock (UNIX)",
					"写上地址："+o.Key+" = 127.0.0.1:9001（TCP）或 "+o.Key+" = /tmp/app.sock（UNIX）"))
		}
	}
	a := Addr{Raw: o.Value, Opt: o}
	i := strings.LastIndexByte(name, ':')
	if i < 0 {
		a.Network, a.Address = "unix", name
		if len(name) > 102 {
			return Addr{}, fatal(o, "invalid UNIX socket address: "+name,
				explain.T("a UNIX socket path is at most 102 bytes in uWSGI", "uWSGI 的 UNIX socket 路径最长 102 字节"),
				explain.T("use a shorter path, e.g. /tmp/app.sock", "换一个短路径，例如 /tmp/app.sock"))
		}
		return a, nil
	}
	if kind == addrSocket && strings.IndexByte(name, '*') >= 0 {
		// uWSGI's autoip: "192.168.*:9001" binds the first interface whose
		// IPv4 address starts with "192.168.".
		// The port is what follows the FIRST ':' here.
		prefix := name[:strings.IndexByte(name, '*')]
		found := false
		for _, ip := range h.interfaceIPv4() {
			if strings.HasPrefix(ip, prefix) {
				name = ip + name[strings.IndexByte(name, ':'):]
				i = strings.LastIndexByte(name, ':')
				found = true
				break
			}
		}
		if !found {
			return Addr{}, fatal(o, "unable to find a valid socket address",
				explain.T("a '*' in a socket address asks uWSGI to pick a local IPv4 address starting with the text before it, and none does",
					"socket 地址里的 '*' 让 uWSGI 去找以它前面文字开头的本机 IPv4 地址，但一个也没有"),
				explain.T("write the address without '*' (check for a '*' in a trailing comment)", "写出不带 '*' 的地址（检查行尾注释里是否有 '*'）"))
		}
	}
	host, port := name[:i], name[i+1:]
	a.Network, a.Port = "tcp", port
	p := strconv.Itoa(int(uint16(atoi(port))))
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		a.Address = "[" + h.ipv6(host[1:len(host)-1]) + "]:" + p
		return a, nil
	}
	a.Address = h.ipv4(host) + ":" + p
	return a, nil
}

// ipv4 is what uWSGI binds for a host: "" is 0.0.0.0, a name or number
// gethostbyname accepts is its address, anything else 255.255.255.255.
func (h Host) ipv4(host string) string {
	if host == "" {
		return "0.0.0.0"
	}
	if ip, ok := inetAton(host); ok {
		return ip
	}
	if !plausibleHostname(host) {
		return "255.255.255.255"
	}
	if ip, ok := h.lookupIPv4(host); ok {
		return ip
	}
	return "255.255.255.255"
}

// ipv6 is socket_to_in_addr6: "::" for "[::]", the literal when it parses,
// and the all-zero address (every interface) for anything else.
func (h Host) ipv6(inner string) string {
	if inner == "::" {
		return "::"
	}
	if ip := net.ParseIP(inner); ip != nil && strings.Contains(inner, ":") {
		return ip.String()
	}
	return "::"
}

// inetAton parses the IPv4 forms glibc's inet_aton accepts: a, a.b, a.b.c
// and a.b.c.d, each part decimal, octal (leading 0) or hex (0x).
func inetAton(s string) (string, bool) {
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return "", false
	}
	vals := make([]uint64, len(parts))
	for i, p := range parts {
		base := 10
		switch {
		case strings.HasPrefix(p, "0x") || strings.HasPrefix(p, "0X"):
			base, p = 16, p[2:]
			if p == "" {
				p = "0" // "0x" alone is 0 in glibc
			}
		case len(p) > 1 && p[0] == '0':
			base, p = 8, p[1:]
		}
		v, err := strconv.ParseUint(p, base, 32)
		if err != nil || p == "" {
			return "", false
		}
		vals[i] = v
	}
	var n uint64
	last := len(vals) - 1
	for i, v := range vals[:last] {
		if v > 255 {
			return "", false
		}
		n |= v << (24 - 8*uint(i))
	}
	if vals[last] >= 1<<(32-8*uint(last)) {
		return "", false
	}
	n |= vals[last]
	return net.IPv4(byte(n>>24), byte(n>>16), byte(n>>8), byte(n)).String(), true
}

// plausibleHostname rejects what no resolver answers (spaces, '#', …), so
// a comment glued to an address costs no DNS query.
func plausibleHostname(s string) bool {
	if len(s) > 253 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '-' || c == '.' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

func (h Host) interfaceIPv4() []string {
	if h.InterfaceIPv4 != nil {
		return h.InterfaceIPv4()
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var out []string
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil {
			out = append(out, n.IP.To4().String())
		}
	}
	return out
}
