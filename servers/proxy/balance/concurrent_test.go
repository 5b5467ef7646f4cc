package balance

import (
	"fmt"
	"net/netip"
	"sync"
	"testing"
)

// TestConcurrentUse hammers one Upstream from many goroutines with every
// method; with -race it checks the locking, and at the end every
// connection must have been handed back.
func TestConcurrentUse(t *testing.T) {
	for _, m := range []Balancer{RoundRobin{}, IPHash{}, LeastConn{}, Hash{Key: "$uri"}, Hash{Key: "$uri", Consistent: true}, Random{}, Random{Two: true}} {
		t.Run(directiveName(m), func(t *testing.T) {
			u := mustUpstream(t, m, nil, peers("A w=3 mc=4", "B mf=2", "C", "D w=2"))
			var wg sync.WaitGroup
			for g := range 8 {
				wg.Go(func() {
					for i := range 300 {
						r := u.NewRequest(netip.AddrFrom4([4]byte{127, 0, byte(g), byte(i)}), fmt.Sprint("/", i%17))
						if i%3 == 0 {
							r.Quiet()
						}
						for {
							p, _, err := u.Get(r)
							if err != nil {
								break
							}
							failed := (i+g)%11 == 0
							u.Free(r, p, failed)
							if !failed || r.TriesLeft() == 0 {
								break
							}
						}
						_ = r.Reason().String()
					}
				})
			}
			wg.Wait()
			for _, s := range u.Snapshot() {
				if s.Conns != 0 {
					t.Errorf("%s: %d connections left open, want 0", s.Name, s.Conns)
				}
			}
		})
	}
}
