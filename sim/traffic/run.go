package traffic

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"webflow-lab/sim/load"
)

// A Summary is what one item of a spec did. Its requests went to
// Options.OnRequest as they ended.
type Summary struct {
	Line     int
	Item     Item
	Walks    int64        // journeys walked to the end (Browse)
	Requests int64        // requests made (Browse, Fetch; load's are in Load)
	Failed   int64        // journeys or requests that ended in an error
	Err      error        // the first of those errors
	Load     *load.Report // a load line's report
}

// Run plays every item of the spec at once against opts.Base, until each
// is done or ctx ends, and returns one Summary per item, in the spec's
// order. Browsers are numbered from 1 across the whole spec (3 browsers,
// then 20 users: users 1–3, then 4–23), each with its own address. A
// browsers line without `for` or `N times` but with `every` runs until ctx
// ends. It returns an error only when the spec cannot run at all.
func Run(ctx context.Context, spec Spec, opts Options) ([]Summary, error) {
	next := 1
	sums := make([]Summary, len(spec.Items))
	var wg sync.WaitGroup
	for i, it := range spec.Items {
		line := 0
		if i < len(spec.Lines) {
			line = spec.Lines[i]
		}
		first := next
		next += UsersOf(it)
		if next-1 > maxBrowsers {
			return nil, fmt.Errorf("traffic: line %d: %d browsers in all, more than the lab's %d loopback addresses", line, next-1, maxBrowsers)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sums[i] = RunItem(ctx, it, first, opts)
			sums[i].Line = line
		}()
	}
	wg.Wait()
	return sums, nil
}

// MaxUsers is how many virtual users there can be at once: each has its
// own loopback address, 127.0.N.1.
const MaxUsers = maxBrowsers

// UsersOf is how many virtual users an item needs: a browsers line's
// browsers, a GET line's users, none for a load line (the load generator
// is not a user).
func UsersOf(it Item) int {
	switch v := it.(type) {
	case *Browse:
		return v.Browsers
	case *Fetch:
		return v.Users
	}
	return 0
}

// RunItem plays one item of a spec, its users numbered from first, until
// it is done or ctx ends, and returns what it did. Run plays every item of
// a spec with it; the lab plays each item as a run of its own.
func RunItem(ctx context.Context, it Item, first int, opts Options) Summary {
	s := Summary{Item: it}
	switch v := it.(type) {
	case *Browse:
		runBrowse(ctx, v, first, opts, &s)
	case *Fetch:
		runFetch(ctx, v, first, opts, &s)
	case *Load:
		runLoad(ctx, v, opts, &s)
	}
	return s
}

// counter collects one item's counts from several browsers.
type counter struct {
	walks, reqs, failed atomic.Int64
	mu                  sync.Mutex
	err                 error
}

func (c *counter) fail(err error) {
	c.failed.Add(1)
	c.mu.Lock()
	if c.err == nil {
		c.err = err
	}
	c.mu.Unlock()
}

func (c *counter) into(s *Summary) {
	s.Walks, s.Requests, s.Failed, s.Err = c.walks.Load(), c.reqs.Load(), c.failed.Load(), c.err
}

// browser returns browser n counting its requests into c.
func browser(n int, opts Options, c *counter) (*Browser, error) {
	inner := opts.OnRequest
	opts.OnRequest = func(r Request) {
		c.reqs.Add(1)
		if inner != nil {
			inner(r)
		}
	}
	return NewBrowser(n, opts)
}

func runBrowse(ctx context.Context, v *Browse, first int, opts Options, s *Summary) {
	var c counter
	defer c.into(s)
	var wg sync.WaitGroup
	for n := first; n < first+v.Browsers; n++ {
		b, err := browser(n, opts, &c)
		if err != nil {
			c.fail(err)
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer b.Close()
			repeat(ctx, v.Every, v.For, v.Times, func() {
				_, err := b.Walk(ctx, v.Journey)
				if err != nil && ctx.Err() != nil {
					return // stopped under it: not the journey's failure
				}
				if err != nil {
					c.fail(err)
				} else {
					c.walks.Add(1)
				}
				if opts.OnWalk != nil {
					opts.OnWalk(b.N, err)
				}
			})
		}()
	}
	wg.Wait()
}

// repeat calls f: once when every is 0 and times is 0; else times times
// (or without end), starting a call every `every` after the last one
// started (at once when the last one took longer), until `limit` has
// passed since the first or ctx ends.
func repeat(ctx context.Context, every, limit time.Duration, times int, f func()) {
	if every == 0 && times == 0 {
		times = 1
	}
	start := time.Now()
	var t *time.Timer
	defer func() {
		if t != nil {
			t.Stop()
		}
	}()
	for i := 0; times == 0 || i < times; i++ {
		if i > 0 && every > 0 {
			wait := time.Until(start.Add(time.Duration(i) * every))
			if wait > 0 {
				if t == nil {
					t = time.NewTimer(wait)
				} else {
					t.Reset(wait)
				}
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
			}
		}
		if ctx.Err() != nil || (limit > 0 && time.Since(start) >= limit) {
			return
		}
		f()
	}
}

func runFetch(ctx context.Context, v *Fetch, first int, opts Options, s *Summary) {
	var c counter
	defer c.into(s)
	var wg sync.WaitGroup
	for u := range v.Users {
		share := v.Count / v.Users
		if u < v.Count%v.Users {
			share++
		}
		if share == 0 {
			continue
		}
		b, err := browser(first+u, opts, &c)
		if err != nil {
			c.fail(err)
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer b.Close()
			repeat(ctx, v.Every, 0, share, func() {
				if r := b.Fetch(ctx, v.Method, v.Path); r.Err != nil && ctx.Err() == nil {
					c.fail(r.Err)
				}
			})
		}()
	}
	wg.Wait()
}

func runLoad(ctx context.Context, v *Load, opts Options, s *Summary) {
	rep, err := load.Run(ctx, load.Spec{
		URL:    strings.TrimSuffix(opts.Base, "/") + v.Path,
		Method: v.Method, Connections: v.Connections, Requests: v.Requests, Duration: v.Duration, Rate: v.Rate,
	})
	s.Load = &rep
	if err != nil && !errors.Is(err, context.Canceled) {
		s.Err = err
		s.Failed = 1
	}
	s.Requests = rep.Requests + rep.Errors
}
