package load

import (
	"context"
	"time"
)

// progress calls Spec.Progress every ProgressEvery until ctx ends.
func (r *run) progress(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(r.spec.ProgressEvery)
	defer t.Stop()
	lastAt, lastDone := time.Duration(0), int64(0)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		p := r.snapshot(time.Since(r.start))
		if dt := p.Elapsed - lastAt; dt > 0 {
			p.RPS = float64(p.Done-lastDone) / dt.Seconds()
		}
		lastAt, lastDone = p.Elapsed, p.Done
		r.spec.Progress(p)
	}
}

func (r *run) snapshot(elapsed time.Duration) Progress {
	p := Progress{
		Elapsed:  elapsed,
		Duration: r.spec.Duration,
		Requests: r.spec.Requests,
		Done:     r.done.Load(),
		Errors:   r.errs.Load(),
		Status:   map[int]int64{},
		Latency:  r.latency,
	}
	for code := range r.status {
		if n := r.status[code].Load(); n > 0 {
			p.Status[code] = n
		}
	}
	return p
}

// report gathers the counters once every worker has stopped.
func (r *run) report() Report {
	rep := Report{
		Spec:       r.spec,
		Target:     r.t.addr,
		Elapsed:    r.elapsed,
		Requests:   r.done.Load(),
		Errors:     r.errs.Load(),
		Bytes:      r.bytes.Load(),
		Status:     map[int]int64{},
		ByKind:     map[ErrorKind]int64{},
		Latency:    r.latency,
		Service:    r.service,
		FirstError: map[ErrorKind]string{},
	}
	for code := range r.status {
		if n := r.status[code].Load(); n > 0 {
			rep.Status[code] = n
		}
	}
	for k := range r.kinds {
		if n := r.kinds[k].Load(); n > 0 {
			rep.ByKind[ErrorKind(k)] = n
		}
	}
	r.firstMu.Lock()
	for k, v := range r.first {
		rep.FirstError[k] = v
	}
	r.firstMu.Unlock()
	return rep
}
