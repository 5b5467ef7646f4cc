package traffic

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// cache is a browser's HTTP cache for page resources (RFC 9111), enough
// to make a second page cost what it costs a browser: a resource still
// fresh is not requested at all ("from memory cache" in a network panel),
// a stale one is revalidated with If-None-Match / If-Modified-Since and
// comes back 304 with no body. Freshness is max-age when the server gives
// one, else Expires − Date, else the heuristic browsers use (§4.2.2): a
// tenth of the time since Last-Modified. no-store is never kept; no-cache
// is always revalidated. nginx sends no Cache-Control for static files by
// default, so files collected a minute ago are fresh for six seconds.
type cache struct {
	mu sync.Mutex
	m  map[string]entry
}

type entry struct {
	status   int
	size     int64
	etag     string
	lastMod  string
	stored   time.Time
	lifetime time.Duration
	noCache  bool
}

func (c *cache) get(key string) (entry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	return e, ok
}

func (e entry) fresh(now time.Time) bool {
	return !e.noCache && now.Sub(e.stored) < e.lifetime
}

// conditional adds the validators of a stale entry.
func (e entry) conditional(h http.Header) {
	if e.etag != "" {
		h.Set("If-None-Match", e.etag)
	}
	if e.lastMod != "" {
		h.Set("If-Modified-Since", e.lastMod)
	}
}

// store keeps (or refreshes, after a 304) what an answer says.
func (c *cache) store(key string, status int, size int64, h http.Header, old entry, had bool, now time.Time) {
	cc := strings.ToLower(h.Get("Cache-Control"))
	c.mu.Lock()
	defer c.mu.Unlock()
	if strings.Contains(cc, "no-store") {
		delete(c.m, key)
		return
	}
	if c.m == nil {
		c.m = map[string]entry{}
	}
	e := entry{status: status, size: size, etag: h.Get("ETag"), lastMod: h.Get("Last-Modified")}
	switch {
	case status == http.StatusNotModified && had:
		e = old // the stored answer is still the one; only its age starts again
		if v := h.Get("ETag"); v != "" {
			e.etag = v
		}
	case status != http.StatusOK:
		return
	}
	e.stored = now
	e.noCache = strings.Contains(cc, "no-cache")
	e.lifetime = lifetime(cc, h, now)
	c.m[key] = e
}

func lifetime(cc string, h http.Header, now time.Time) time.Duration {
	for _, d := range strings.Split(cc, ",") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(d), "max-age="); ok {
			if s, err := strconv.Atoi(v); err == nil && s >= 0 {
				return time.Duration(s) * time.Second
			}
			return 0
		}
	}
	date, err := http.ParseTime(h.Get("Date"))
	if err != nil {
		date = now
	}
	if exp := h.Get("Expires"); exp != "" {
		t, err := http.ParseTime(exp)
		if err != nil {
			return 0 // an invalid Expires means already expired
		}
		return t.Sub(date)
	}
	if lm, err := http.ParseTime(h.Get("Last-Modified")); err == nil && lm.Before(date) {
		return date.Sub(lm) / 10
	}
	return 0
}
