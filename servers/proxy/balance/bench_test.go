package balance

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
)

// BenchmarkGetFree measures one request's pick and release per strategy
// over 5 peers (weights 5,1,1,2,3), including the English reason.
func BenchmarkGetFree(b *testing.B) { benchGetFree(b, false) }

// BenchmarkGetFreeParallel is round robin under contention on the one lock.
func BenchmarkGetFreeParallel(b *testing.B) {
	u := mustUpstream(b, nil, nil, peers("A w=5", "B", "C"))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := u.NewRequest(lo, "")
			p, _, err := u.Get(r)
			if err != nil {
				b.Fatal(err)
			}
			u.Free(r, p, false)
		}
	})
}

// BenchmarkGetFreeQuiet is the same without reasons, as the proxy runs
// when nobody watches the trace.
func BenchmarkGetFreeQuiet(b *testing.B) { benchGetFree(b, true) }

// benchGetFree runs Get and Free per strategy, with or without reasons.
func benchGetFree(b *testing.B, quiet bool) {
	methods := []Balancer{
		RoundRobin{}, IPHash{}, LeastConn{}, Hash{Key: "$request_uri"},
		Hash{Key: "$request_uri", Consistent: true},
		NewRandom(false, rand.New(rand.NewPCG(1, 2))), NewRandom(true, rand.New(rand.NewPCG(1, 2))),
	}
	keys := make([]string, 64)
	clients := make([]netip.Addr, 64)
	for i := range keys {
		keys[i] = fmt.Sprintf("/employees/%d", i)
		clients[i] = netip.AddrFrom4([4]byte{127, 0, byte(i), 1})
	}
	for _, m := range methods {
		b.Run(directiveName(m), func(b *testing.B) {
			u := mustUpstream(b, m, nil, peers("A w=5", "B", "C", "D w=2", "E w=3"))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				r := u.NewRequest(clients[i%64], keys[i%64])
				if quiet {
					r.Quiet()
				}
				p, why, err := u.Get(r)
				if err != nil || quiet && why != "" {
					b.Fatal(err, why)
				}
				u.Free(r, p, false)
				i++
			}
		})
	}
}
