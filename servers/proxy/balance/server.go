package balance

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"webflow-lab/servers/explain"
)

// ErrServer is the cause of ParseServer's errors.
var ErrServer = errors.New("balance: bad server line")

// ParseServer reads one `server address [parameters];` line of an upstream
// block, args[0] being the address, as ngx_http_upstream_server does:
// weight=N (N ≥ 1), max_fails=N, fail_timeout=TIME (whole seconds: 30s, 1m,
// 1h 30m; no ms), max_conns=N, backup, down. method is the balancing
// directive seen so far in the block (nil: none yet); like nginx, `backup`
// is refused only when ip_hash, hash or random came first.
//
// Addr and Name are the address as written. A host name stands for every
// address it resolves to: the caller makes one Peer per address, keeping
// Name (consistent hashing hashes it).
func ParseServer(args []string, method Balancer) (*Peer, error) {
	if len(args) == 0 {
		return nil, &explain.Error{
			What: explain.T(`invalid number of arguments in "server" directive`, `"server" 指令的参数个数不对`),
			Try:  explain.T("write it as: server 127.0.0.1:9001 [weight=N] [max_fails=N] [fail_timeout=10s] [backup] [down];", "正确写法：server 127.0.0.1:9001 [weight=N] [max_fails=N] [fail_timeout=10s] [backup] [down];"),
			Err:  ErrServer,
		}
	}
	p := NewPeer(args[0])
	for _, a := range args[1:] {
		var ok bool
		switch {
		case strings.HasPrefix(a, "weight="):
			p.Weight, ok = atoiNginx(a[len("weight="):])
			ok = ok && p.Weight != 0
		case strings.HasPrefix(a, "max_conns="):
			p.MaxConns, ok = atoiNginx(a[len("max_conns="):])
		case strings.HasPrefix(a, "max_fails="):
			p.MaxFails, ok = atoiNginx(a[len("max_fails="):])
		case strings.HasPrefix(a, "fail_timeout="):
			var sec int64
			sec, ok = parseSeconds(a[len("fail_timeout="):])
			p.FailTimeout = time.Duration(sec) * time.Second
		case a == "backup":
			if method != nil && !supportsBackup(method) {
				return nil, &explain.Error{
					What: explain.T(`balancing method does not support parameter "backup"`, `负载均衡方法不支持参数 "backup"`),
					Why: explain.T(fmt.Sprintf("%s came before this server line, and it has no notion of a standby server", directiveName(method)),
						fmt.Sprintf("%s 写在这行 server 之前，而它没有备用服务器的概念", directiveName(method))),
					Try: explain.T("remove `backup`, or use round robin or least_conn", "去掉 backup，或改用轮询或 least_conn"),
					Err: ErrBackupNotSupported,
				}
			}
			p.Backup, ok = true, true
		case a == "down":
			p.Down, ok = true, true
		}
		if !ok {
			return nil, &explain.Error{
				What: explain.T(fmt.Sprintf("invalid parameter %q", a), fmt.Sprintf("无效参数 %q", a)),
				Why: explain.T("a server line takes weight=N (N ≥ 1), max_fails=N, fail_timeout=TIME, max_conns=N, backup and down",
					"server 行只接受 weight=N（N ≥ 1）、max_fails=N、fail_timeout=时间、max_conns=N、backup 和 down"),
				Try: explain.T("check the spelling and that there is no space around =", "检查拼写，= 两边不能有空格"),
				Err: ErrServer,
			}
		}
	}
	return p, nil
}

// atoiNginx is ngx_atoi: decimal digits only, at least one, no overflow.
func atoiNginx(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	n := 0
	for _, c := range []byte(s) {
		if c < '0' || c > '9' || n > (1<<31-1-int(c-'0'))/10 {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// parseSeconds is ngx_parse_time(s, 1): numbers followed by units in
// decreasing order, y M w d h m s (a bare number is seconds), separated by
// optional spaces; "ms" is refused because the result is in seconds.
func parseSeconds(s string) (int64, bool) {
	const maxT = 1<<31 - 1 // keep far from overflow; fail_timeout is small
	units := []struct {
		c     byte
		scale int64
	}{{'y', 365 * 86400}, {'M', 30 * 86400}, {'w', 7 * 86400}, {'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}}
	var total, value int64
	step := -1 // index of the last unit used
	valid := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= '0' && c <= '9' {
			value = value*10 + int64(c-'0')
			if value > maxT {
				return 0, false
			}
			valid = true
			continue
		}
		if c == 'm' && i+1 < len(s) && s[i+1] == 's' {
			return 0, false
		}
		u := -1
		for j, x := range units {
			if x.c == c {
				u = j
			}
		}
		switch {
		case c == ' ':
			if step >= len(units)-1 {
				return 0, false
			}
			step = len(units) // nothing may follow but spaces and a bare number
			total += value
		case u < 0 || u <= step:
			return 0, false
		default:
			step = u
			total += value * units[u].scale
		}
		if total > maxT {
			return 0, false
		}
		value = 0
		for i+1 < len(s) && s[i+1] == ' ' {
			i++
		}
	}
	if !valid {
		return 0, false
	}
	return total + value, total+value <= maxT
}
