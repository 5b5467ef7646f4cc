package balance

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"webflow-lab/servers/explain"
)

// A Balancer is one of nginx's load-balancing methods. It picks the peer
// for one attempt of a request from the request's current list (primaries,
// or backups once it moved on), marking it tried, or returns nil; it notes
// its steps in the request's Reason. The Upstream holds the lock and does
// the common bookkeeping (conns++, the reason's outcome).
//
// The set is closed, like nginx's: RoundRobin, IPHash, LeastConn, Hash and
// Random. A Balancer value holds only configuration (and Random its
// *rand.Rand); the state lives in the Upstream.
type Balancer interface {
	pick(u *Upstream, r *Request, now int64) *Peer
}

// ErrDirective is the cause of every error ByDirective returns.
var ErrDirective = errors.New("balance: bad balancing directive")

// directives maps each balancing directive of an upstream block to its
// constructor. Round robin has no directive: it is what an upstream without
// one does, and ByDirective("") returns it.
var directives = map[string]func(args []string, rnd *rand.Rand) (Balancer, error){
	"": func(args []string, _ *rand.Rand) (Balancer, error) {
		return RoundRobin{}, nil
	},
	"ip_hash": func(args []string, _ *rand.Rand) (Balancer, error) {
		if len(args) != 0 {
			return nil, argCountError("ip_hash")
		}
		return IPHash{}, nil
	},
	"least_conn": func(args []string, _ *rand.Rand) (Balancer, error) {
		if len(args) != 0 {
			return nil, argCountError("least_conn")
		}
		return LeastConn{}, nil
	},
	"hash": func(args []string, _ *rand.Rand) (Balancer, error) {
		if len(args) < 1 || len(args) > 2 {
			return nil, argCountError("hash")
		}
		h := Hash{Key: args[0]}
		if len(args) == 2 {
			if args[1] != "consistent" {
				return nil, paramError("hash", args[1])
			}
			h.Consistent = true
		}
		return h, nil
	},
	"random": func(args []string, rnd *rand.Rand) (Balancer, error) {
		if len(args) > 2 {
			return nil, argCountError("random")
		}
		r := Random{rnd: rnd}
		if len(args) >= 1 {
			if args[0] != "two" {
				return nil, paramError("random", args[0])
			}
			r.Two = true
		}
		if len(args) == 2 && args[1] != "least_conn" {
			return nil, paramError("random", args[1])
		}
		return r, nil
	},
}

// ByDirective returns the Balancer for a balancing directive in an
// upstream block, checking its arguments as nginx does:
// ("least_conn", nil), ("ip_hash", nil), ("hash", ["$request_uri",
// "consistent"]), ("random", ["two", "least_conn"]); ("", nil) is round
// robin. rnd feeds random (nil: the global generator). Errors carry
// nginx's message (`invalid parameter "x"`); the caller adds file and line.
func ByDirective(name string, args []string, rnd *rand.Rand) (Balancer, error) {
	mk, ok := directives[name]
	if !ok {
		return nil, &explain.Error{
			What: explain.T(fmt.Sprintf("unknown directive %q", name), fmt.Sprintf("未知指令 %q", name)),
			Why: explain.T("nginx's balancing methods are ip_hash, least_conn, hash and random; round robin is the default and has no directive",
				"nginx 的负载均衡方法有 ip_hash、least_conn、hash 和 random；轮询是默认方法，没有对应指令"),
			Try: explain.T("check the spelling, or delete the line for round robin", "检查拼写；要用轮询就删掉这一行"),
			Err: ErrDirective,
		}
	}
	return mk(args, rnd)
}

func argCountError(name string) error {
	usage := map[string]string{
		"ip_hash":    "ip_hash;",
		"least_conn": "least_conn;",
		"hash":       "hash $request_uri; or hash $request_uri consistent;",
		"random":     "random; or random two; or random two least_conn;",
	}[name]
	return &explain.Error{
		What: explain.T(fmt.Sprintf("invalid number of arguments in %q directive", name), fmt.Sprintf("%q 指令的参数个数不对", name)),
		Try:  explain.T("write it as: "+usage, "正确写法："+usage),
		Err:  ErrDirective,
	}
}

func paramError(name, arg string) error {
	var why, try explain.Text
	switch name {
	case "hash":
		why = explain.T("the only word allowed after the hash key is consistent",
			"hash 的键后面只能跟 consistent")
		try = explain.T("write hash $request_uri consistent; or leave the word out for plain hashing",
			"写成 hash $request_uri consistent;，或去掉这个词改用普通哈希")
	default:
		why = explain.T("random takes only two, optionally followed by least_conn (its only method)",
			"random 后面只能跟 two，再可选跟 least_conn（唯一支持的方法）")
		try = explain.T("write random; or random two; or random two least_conn;",
			"写成 random; 或 random two; 或 random two least_conn;")
	}
	return &explain.Error{
		What: explain.T(fmt.Sprintf("invalid parameter %q", arg), fmt.Sprintf("无效参数 %q", arg)),
		Why:  why,
		Try:  try,
		Err:  ErrDirective,
	}
}

// normalize turns a pointer to a method (which also satisfies Balancer)
// into its value, so the type switches on the method see it; nil and nil
// pointers mean round robin.
func normalize(b Balancer) Balancer {
	switch m := b.(type) {
	case nil:
		return RoundRobin{}
	case *RoundRobin:
		return RoundRobin{}
	case *IPHash:
		if m != nil {
			return IPHash{}
		}
		return RoundRobin{}
	case *LeastConn:
		if m != nil {
			return LeastConn{}
		}
		return RoundRobin{}
	case *Hash:
		if m != nil {
			return *m
		}
		return RoundRobin{}
	case *Random:
		if m != nil {
			return *m
		}
		return RoundRobin{}
	}
	return b
}

// supportsBackup reports whether nginx lets the method's upstream have
// `backup` servers (the NGX_HTTP_UPSTREAM_BACKUP flag): round robin and
// least_conn do; ip_hash, hash and random do not.
func supportsBackup(b Balancer) bool {
	switch b.(type) {
	case RoundRobin, LeastConn:
		return true
	}
	return false
}

// directiveName is the directive as a learner would write it.
func directiveName(b Balancer) string {
	if s, ok := b.(fmt.Stringer); ok {
		return s.String()
	}
	return fmt.Sprintf("%T", b)
}

// Directive returns the directive line that selects b in an upstream
// block ("" for round robin), e.g. "hash $request_uri consistent;".
func Directive(b Balancer) string {
	switch m := b.(type) {
	case IPHash:
		return "ip_hash;"
	case LeastConn:
		return "least_conn;"
	case Hash:
		s := "hash " + m.Key
		if m.Consistent {
			s += " consistent"
		}
		return s + ";"
	case Random:
		if m.Two {
			return "random two least_conn;"
		}
		return "random;"
	}
	return ""
}
