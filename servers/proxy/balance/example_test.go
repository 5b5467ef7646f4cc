package balance_test

import (
	"fmt"
	"net/netip"

	"webflow-lab/servers/proxy/balance"
)

// The reference's worked example: weights 5,1,1 give A A B A C A A.
func ExampleUpstream_Get() {
	a := balance.NewPeer("127.0.0.1:9001") // server 127.0.0.1:9001 weight=5;
	a.Weight = 5
	peers := []*balance.Peer{a, balance.NewPeer("127.0.0.1:9002"), balance.NewPeer("127.0.0.1:9003")}
	up, err := balance.NewUpstream("ems", peers, nil)
	if err != nil {
		panic(err)
	}
	client := netip.MustParseAddr("127.0.0.1")
	for range 7 {
		r := up.NewRequest(client, "")
		p, why, err := up.Get(r)
		if err != nil {
			panic(err)
		}
		fmt.Println(p.Addr, "|", why)
		up.Free(r, p, false)
	}
	// Output:
	// 127.0.0.1:9001 | round robin: weights 5,1,1, current 5,1,1 → peer 1
	// 127.0.0.1:9001 | round robin: weights 5,1,1, current 3,2,2 → peer 1
	// 127.0.0.1:9002 | round robin: weights 5,1,1, current 1,3,3 → peer 2
	// 127.0.0.1:9001 | round robin: weights 5,1,1, current 6,-3,4 → peer 1
	// 127.0.0.1:9003 | round robin: weights 5,1,1, current 4,-2,5 → peer 3
	// 127.0.0.1:9001 | round robin: weights 5,1,1, current 9,-1,-1 → peer 1
	// 127.0.0.1:9001 | round robin: weights 5,1,1, current 7,0,0 → peer 1
}

// ip_hash with the second peer down: the client's slot is taken by a down
// peer, so it hashes again.
func ExampleIPHash() {
	b, _ := balance.ByDirective("ip_hash", nil, nil)
	down := balance.NewPeer("127.0.0.1:9002") // server 127.0.0.1:9002 down;
	down.Down = true
	peers := []*balance.Peer{balance.NewPeer("127.0.0.1:9001"), down, balance.NewPeer("127.0.0.1:9003")}
	up, _ := balance.NewUpstream("ems", peers, b)
	r := up.NewRequest(netip.MustParseAddr("192.168.1.10"), "")
	p, why, _ := up.Get(r)
	fmt.Println(p.Addr)
	fmt.Println(why)
	fmt.Println(r.Reason().Chinese())
	// Output:
	// 127.0.0.1:9003
	// ip_hash 192.168.1 → hash 154 → peer 2 of 3 (skipped: down) → hash 5654 → peer 3 of 3
	// ip_hash 192.168.1 → 哈希值 154 → 节点 2（共 3）（跳过：已标记 down） → 哈希值 5654 → 节点 3（共 3）
}

// Retries: the failed peer is not tried again in the same request, and a
// failure with max_fails=1 disables it for fail_timeout.
func ExampleUpstream_Free() {
	b, _ := balance.ByDirective("least_conn", nil, nil)
	up, _ := balance.NewUpstream("ems", []*balance.Peer{
		balance.NewPeer("127.0.0.1:9001"), balance.NewPeer("127.0.0.1:9011"),
	}, b)
	r := up.NewRequest(netip.MustParseAddr("127.0.0.1"), "")
	p, _, _ := up.Get(r)
	fmt.Println(p.Addr, "disabled:", up.Free(r, p, true), "tries left:", r.TriesLeft())
	p, why, _ := up.Get(r)
	fmt.Println(p.Addr, "|", why)
	up.Free(r, p, false)
	for _, s := range up.Snapshot() {
		fmt.Println(s.Addr, s.State, s.Fails)
	}
	// Output:
	// 127.0.0.1:9001 disabled: true tries left: 1
	// 127.0.0.1:9011 | peer 1 skipped: already tried; least_conn: peer 2 has 0 active → peer 2
	// 127.0.0.1:9001 failed 1
	// 127.0.0.1:9011 up 0
}
