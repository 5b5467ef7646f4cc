package uwsgi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"

	"webflow-lab/servers/errno"
	"webflow-lab/servers/explain"
)

// A listener is one bound socket and what it speaks.
type listener struct {
	a     addr
	proto string // "uwsgi" (socket), "http" (http-socket), "router" (http), "stats"
	ln    net.Listener
	raw   net.Listener    // ln before the Listener hook, for TCP_INFO
	rc    syscall.RawConn // file's, for the direct path (direct.go)
	file  *os.File        // a pollable dup of raw's fd, for the direct path
	fd    int             // the fd number uWSGI would print
	// created: a UNIX socket file this server made, removed by vacuum.
	created bool
	// internal: the 127.0.0.1:0 socket uWSGI adds for the http router when
	// no socket is configured.
	internal bool
}

// name is the socket's name as uWSGI prints it in stats and logs.
func (l *listener) name() string {
	if l.internal {
		return l.ln.Addr().String()
	}
	return l.a.raw
}

// somaxconn is Linux's cap on a listen backlog, above which uWSGI refuses to
// start; 0 where there is no such file to read (other systems: uWSGI checks
// on Linux only).
func somaxconn() int {
	b, err := os.ReadFile("/proc/sys/net/core/somaxconn")
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}

// bind creates a listening socket with backlog really passed to listen(2):
// net.Listen always asks for somaxconn, which would hide the `listen`
// option, so the socket is listened on again with the configured backlog
// (Linux and macOS let listen(2) change a listening socket's backlog;
// Windows keeps the first, see relisten). deferAccept sets TCP_DEFER_ACCEPT
// as uWSGI does on its uwsgi sockets on Linux, so a connection that sends
// nothing never reaches a worker (setDeferAccept). TCP keep-alive probes stay off
// on accepted connections, as in uWSGI (and each would cost syscalls).
func bind(a addr, backlog int, deferAccept int) (net.Listener, bool, error) {
	lc := net.ListenConfig{KeepAlive: -1}
	var address string
	switch a.network {
	case "unix":
		if a.path == "" {
			return nil, false, &os.SyscallError{Syscall: "bind", Err: syscall.EINVAL}
		}
		// uWSGI unlinks a stale socket file before binding it.
		if fi, err := os.Lstat(a.path); err == nil && fi.Mode()&os.ModeSocket != 0 {
			os.Remove(a.path)
		}
		address = a.path
	default:
		ip := net.IPv4zero
		if a.ip != nil {
			ip = a.ip
		}
		address = net.JoinHostPort(ip.String(), strconv.Itoa(a.port))
		if deferAccept > 0 {
			lc.Control = func(network, address string, c syscall.RawConn) error {
				// Go sets SO_REUSEADDR itself; uWSGI does too.
				return setDeferAccept(c, deferAccept)
			}
		}
	}
	network := a.network
	if network == "tcp" {
		network = "tcp4"
		if a.ip != nil && a.ip.To4() == nil {
			network = "tcp6"
		}
	}
	ln, err := lc.Listen(context.Background(), network, address)
	if err != nil {
		var oe *net.OpError
		if errors.As(err, &oe) && oe.Err != nil {
			err = oe.Err // the *os.SyscallError: bind(): …
		}
		return nil, false, err
	}
	created := a.network == "unix"
	if ul, ok := ln.(*net.UnixListener); ok {
		ul.SetUnlinkOnClose(false) // vacuum decides, as in uWSGI
	}
	if err := relisten(ln.(syscall.Conn), backlog); err != nil {
		ln.Close()
		return nil, created, os.NewSyscallError("listen", err)
	}
	return ln, created, nil
}

// bindError turns a failed bind into uWSGI's log lines and the learner's
// explanation. uWSGI prints the C function, strerror and its source line.
func bindError(cfg *Config, opt string, a addr, err error) ([]string, *explain.Error) {
	var lines []string
	where := a.raw
	if cfg.File != "" {
		where = cfg.File + ": " + opt + " = " + a.raw
	}
	e := &explain.Error{Where: where, Err: err}
	no, _ := errno.Of(err)
	// uWSGI's bind_to_unix and bind_to_tcp report from these source lines.
	src := "[core/socket.c line 769]"
	if a.network == "unix" {
		src = "[core/socket.c line 230]"
	}
	switch no {
	case errno.EADDRINUSE:
		lines = append(lines,
			fmt.Sprintf("probably another instance of uWSGI is running on the same address (%s).", a.raw),
			"bind(): Address already in use "+src)
		e.What = explain.T("uwsgi: the address "+a.raw+" is already in use", "uwsgi: 地址 "+a.raw+" 已被占用 (端口被占用)")
		e.Why = explain.T("another program (often a uWSGI instance started earlier and never stopped) is listening on that port",
			"另一个程序 (通常是之前启动后没有关闭的 uWSGI 实例) 正在监听这个端口")
		e.Try = explain.T("stop the old instance (`uwsgi --stop <pidfile>`, or find it with `"+explain.PortOwnerCmd(a.port)+"`), or pick another port",
			"先关闭旧实例 (`uwsgi --stop <pidfile>`，或用 `"+explain.PortOwnerCmd(a.port)+"` 找到它)，或换一个端口")
	case errno.EADDRNOTAVAIL:
		lines = append(lines, "bind(): Cannot assign requested address "+src)
		e.What = explain.T("uwsgi: cannot bind "+a.raw+": that IP address is not on this machine",
			"uwsgi: 无法绑定 "+a.raw+"：这台机器上没有这个 IP 地址")
		e.Why = explain.T("a socket can only listen on an address of one of this host's interfaces; config files copied from another machine often carry its IP",
			"socket 只能监听本机网卡上的地址；从别的机器复制来的配置文件常常带着那台机器的 IP")
		e.Try = explain.T("use 127.0.0.1 (this machine only), 0.0.0.0 or an empty host (all interfaces), or this host's real IP (`"+explain.AddressesCmd()+"`)",
			"改用 127.0.0.1 (仅本机)、0.0.0.0 或留空主机 (所有网卡)，或本机真实的 IP (`"+explain.AddressesCmd()+"` 查看)")
	case errno.EACCES:
		lines = append(lines, "bind(): Permission denied "+src)
		e.What = explain.T("uwsgi: permission denied binding "+a.raw, "uwsgi: 没有权限绑定 "+a.raw)
		e.Why = explain.T("ports below 1024 and some directories need privileges", "1024 以下的端口和某些目录需要特权")
		e.Try = explain.T("use a port above 1024, or a socket path in a directory you own", "使用 1024 以上的端口，或放在自己有权限的目录里的 socket 路径")
	default:
		lines = append(lines, cError(err)+" "+src)
		e.What = explain.T("uwsgi: cannot listen on "+a.raw, "uwsgi: 无法监听 "+a.raw)
		e.Why = explain.T(err.Error(), err.Error())
		e.Try = explain.T("check the address in the "+opt+" option", "检查 "+opt+" 选项里的地址")
	}
	return lines, e
}

// cError renders an error the way uWSGI's uwsgi_error() does: "bind(): Strerror".
func cError(err error) string {
	var se *os.SyscallError
	if errors.As(err, &se) {
		return se.Syscall + "(): " + errno.Strerror(se.Err)
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Op + "(): " + errno.Strerror(pe.Err)
	}
	return err.Error()
}

// fdOf returns the listening socket's file descriptor number (for log lines).
func fdOf(ln net.Listener) int {
	sc, ok := ln.(syscall.Conn)
	if !ok {
		return -1
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1
	}
	n := -1
	rc.Control(func(fd uintptr) { n = int(fd) })
	return n
}
