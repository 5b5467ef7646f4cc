package sim

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"

	"webflow-lab/servers/trace"
)

// recorder stands between the lab's servers and its broker. It does two
// things a watcher needs and no server should know about:
//
//   - It names instances the same way in every event: the proxy knows its
//     peers by address ("127.0.0.1:9001"), the app server by its name
//     ("uwsgi-1"); a watcher sees "uwsgi-1" everywhere.
//   - It joins one request's events into one trace when the config passes
//     no request id (real nginx passes none unless told to): the proxy's
//     upstream connection and the app server's accepted connection are the
//     same TCP connection, seen from its two ends, so the app server's
//     request takes the proxy's id.
//
// With nobody watching it costs one atomic load. It takes no lock shared by
// all requests: the join tables are sharded.
type recorder struct {
	next    *trace.Broker
	names   atomic.Pointer[map[string]string] // address → instance name
	conns   shardedMap                        // connection → the request that dialed it
	aliases shardedMap                        // an app server's own request id → the proxy's
	tap     atomic.Pointer[func(trace.Event)] // the lab's traffic counter, while traffic runs
}

func newRecorder(b *trace.Broker) *recorder {
	r := &recorder{next: b}
	r.conns.init()
	r.aliases.init()
	return r
}

// Watched reports whether anyone reads — a watcher, or the lab's own
// traffic counter: servers build events only then.
func (r *recorder) Watched() bool { return r.next.Watched() || r.tap.Load() != nil }

// Admits reports whether a watcher would follow a request beginning now.
func (r *recorder) Admits() bool { return r.next.Admits() }

// WantsPDU reports whether a watcher follows request id, under the id the
// watchers know it by.
func (r *recorder) WantsPDU(id string) bool {
	if r.aliases.n.Load() > 0 {
		if joined, ok := r.aliases.get(id); ok {
			id = joined
		}
	}
	return r.next.WantsPDU(id)
}

// setTap makes f see every event (after instances are named), watched or
// not; nil removes it.
func (r *recorder) setTap(f func(trace.Event)) {
	if f == nil {
		r.tap.Store(nil)
		return
	}
	r.tap.Store(&f)
}

// setNames replaces the address → instance table.
func (r *recorder) setNames(m map[string]string) { r.names.Store(&m) }

func (r *recorder) Record(e trace.Event) {
	watched, tap := r.next.Watched(), r.tap.Load()
	if !watched && tap == nil {
		return
	}
	if names := r.names.Load(); names != nil {
		if n, ok := (*names)[e.Instance]; ok {
			e.Instance = n
		}
		if n, ok := (*names)[e.Subject]; ok {
			e.Subject = n
		}
	}
	if tap != nil {
		(*tap)(e)
		if !watched {
			return
		}
	}
	switch {
	case e.ReqID == "":
	case e.Conn != "" && e.Phase == trace.Sent && (e.From == trace.Proxy || e.From == trace.Uwsgi):
		// The proxy (or uWSGI's http router) dialed an app server's socket.
		r.conns.put(e.Conn, e.ReqID, e.At)
	case e.Conn != "" && e.Phase == trace.Arrived && e.To == trace.Uwsgi && e.From != trace.Browser:
		if id, ok := r.conns.take(e.Conn); ok && id != e.ReqID {
			if e.First { // the app server made its own id: it is the dialer's request
				r.aliases.put(e.ReqID, id, e.At)
			}
			e.ReqID, e.First = id, false
		}
	case r.aliases.n.Load() > 0:
		if id, ok := r.aliases.get(e.ReqID); ok {
			if e.Last {
				r.aliases.take(e.ReqID)
			}
			e.ReqID, e.First, e.Last = id, false, false
		}
	}
	r.next.Record(e)
}

// shardedMap is a string → string map in 16 independently locked shards,
// whose entries are forgotten after staleAfter if nobody takes them (an app
// server that never reported, a real uWSGI behind the lab's proxy).
type shardedMap struct {
	seed   maphash.Seed
	shards [16]struct {
		mu sync.Mutex
		m  map[string]entry
	}
	n atomic.Int64
}

type entry struct {
	val string
	at  time.Duration
}

const (
	staleAfter    = 2 * time.Minute
	maxShardItems = 4096
)

func (m *shardedMap) init() {
	m.seed = maphash.MakeSeed()
	for i := range m.shards {
		m.shards[i].m = map[string]entry{}
	}
}

func (m *shardedMap) shard(k string) int { return int(maphash.String(m.seed, k) % 16) }

func (m *shardedMap) put(k, v string, at time.Duration) {
	s := &m.shards[m.shard(k)]
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.m) >= maxShardItems {
		for key, e := range s.m {
			if at-e.at > staleAfter {
				delete(s.m, key)
				m.n.Add(-1)
			}
		}
		if len(s.m) >= maxShardItems {
			return // a full table forgets new joins rather than grow
		}
	}
	if _, ok := s.m[k]; !ok {
		m.n.Add(1)
	}
	s.m[k] = entry{v, at}
}

func (m *shardedMap) get(k string) (string, bool) {
	s := &m.shards[m.shard(k)]
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[k]
	return e.val, ok
}

func (m *shardedMap) take(k string) (string, bool) {
	s := &m.shards[m.shard(k)]
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[k]
	if ok {
		delete(s.m, k)
		m.n.Add(-1)
	}
	return e.val, ok
}
