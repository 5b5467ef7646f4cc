package load

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

// Histogram counts latencies in log-linear buckets, as HdrHistogram does:
// exact below 256 ns, then every power of two split into 128 equal
// buckets, so a value is known to within 1/128 (0.8 %) of itself whatever
// its size, and the whole range (1 ns to about 4.9 hours, longer values
// are counted as the top bucket) fits in 4,864 counters, 38 KiB, however
// long a run lasts. wrk keeps one counter per microsecond up to its
// timeout instead (16 MB for 2 s); the percentiles agree within the
// bucket width.
//
// Record is safe for concurrent use (atomic adds); the other methods read
// a consistent-enough picture while recording goes on and an exact one
// after it stops.
type Histogram struct {
	counts [numBuckets]atomic.Int64
	n      atomic.Int64
	sum    atomic.Int64 // ns; overflows only after 292 years of summed latency
	min    atomic.Int64 // ns, valid when n > 0
	max    atomic.Int64 // ns
}

const (
	subBits    = 7                                     // 128 buckets per power of two
	linearTop  = 1 << (subBits + 1)                    // values below 256 ns get a bucket each
	topExp     = 43                                    // the largest power of two counted: [2^43, 2^44) ns
	numBuckets = (topExp-subBits)<<subBits + linearTop // 4864
)

// maxValue is the largest value with its own bucket (2^44−1 ns, 4 h 53 m).
const maxValue = 1<<(topExp+1) - 1

// NewHistogram returns an empty histogram.
func NewHistogram() *Histogram {
	h := &Histogram{}
	h.min.Store(math.MaxInt64)
	return h
}

// bucketOf returns the bucket of v ns (v >= 0).
func bucketOf(v int64) int {
	if v < linearTop {
		return int(v)
	}
	if v > maxValue {
		v = maxValue
	}
	k := bits.Len64(uint64(v)) - 1 // v is in [2^k, 2^(k+1)), k >= subBits+1
	shift := k - subBits
	return shift<<subBits + int(v>>shift)
}

// bucketRange returns the smallest and largest value counted in bucket i.
func bucketRange(i int) (lo, hi int64) {
	if i < linearTop {
		return int64(i), int64(i)
	}
	shift := i>>subBits - 1
	sub := int64(i - shift<<subBits) // in [128, 256)
	lo = sub << shift
	return lo, lo + 1<<shift - 1
}

// Record counts one latency. Negative durations count as zero.
func (h *Histogram) Record(d time.Duration) {
	v := int64(d)
	if v < 0 {
		v = 0
	}
	h.counts[bucketOf(v)].Add(1)
	h.n.Add(1)
	h.sum.Add(v)
	for old := h.min.Load(); v < old && !h.min.CompareAndSwap(old, v); old = h.min.Load() {
	}
	for old := h.max.Load(); v > old && !h.max.CompareAndSwap(old, v); old = h.max.Load() {
	}
}

// Merge adds every count of o into h.
func (h *Histogram) Merge(o *Histogram) {
	if o.n.Load() == 0 {
		return
	}
	for i := range o.counts {
		if c := o.counts[i].Load(); c != 0 {
			h.counts[i].Add(c)
		}
	}
	h.n.Add(o.n.Load())
	h.sum.Add(o.sum.Load())
	for v, old := o.min.Load(), h.min.Load(); v < old && !h.min.CompareAndSwap(old, v); old = h.min.Load() {
	}
	for v, old := o.max.Load(), h.max.Load(); v > old && !h.max.CompareAndSwap(old, v); old = h.max.Load() {
	}
}

// Count is how many latencies were recorded.
func (h *Histogram) Count() int64 { return h.n.Load() }

// Min and Max are the exact smallest and largest latencies (0 when empty).
func (h *Histogram) Min() time.Duration {
	if h.n.Load() == 0 {
		return 0
	}
	return time.Duration(h.min.Load())
}

func (h *Histogram) Max() time.Duration { return time.Duration(h.max.Load()) }

// Mean is the exact average latency (0 when empty).
func (h *Histogram) Mean() time.Duration {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	return time.Duration(h.sum.Load() / n)
}

// Stdev is the standard deviation, from the buckets' midpoints.
func (h *Histogram) Stdev() time.Duration {
	n := h.n.Load()
	if n < 2 {
		return 0
	}
	mean := float64(h.sum.Load()) / float64(n)
	var ss float64
	for i := range h.counts {
		if c := h.counts[i].Load(); c != 0 {
			d := h.mid(i) - mean
			ss += float64(c) * d * d
		}
	}
	return time.Duration(math.Sqrt(ss / float64(n-1)))
}

// mid is bucket i's midpoint, clamped to the exact min and max.
func (h *Histogram) mid(i int) float64 {
	lo, hi := bucketRange(i)
	m := float64(lo) + float64(hi-lo)/2
	return min(max(m, float64(h.min.Load())), float64(h.max.Load()))
}

// Percentile returns the latency below or at which q percent of the
// requests finished (q in [0, 100]): the value of the ⌈q/100·n⌉-th
// smallest, as HdrHistogram and wrk define it, known to within its
// bucket's width (its midpoint is returned, never outside [Min, Max]).
// Percentile(100) is Max; an empty histogram gives 0.
func (h *Histogram) Percentile(q float64) time.Duration {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	if q >= 100 {
		return h.Max()
	}
	rank := int64(math.Ceil(q / 100 * float64(n)))
	if rank < 1 {
		rank = 1
	}
	var seen int64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			return time.Duration(math.Round(h.mid(i)))
		}
	}
	return h.Max() // recording went on while we read
}

// CorrectedLikeWrk returns a copy of h with wrk's own correction applied,
// the one wrk makes before it prints its latencies (stats_correct in wrk's
// stats.c, with expected = the run's time ÷ the requests each connection
// answered): every latency L of two expected intervals or more adds, with
// its count, the latencies L−expected, L−2·expected, … down to above one
// interval, standing for the requests a closed-loop client would have sent
// meanwhile. bench prints its latencies uncorrected without --rate (and
// corrected from each request's schedule with it, as wrk2); this gives the
// figures wrk would print for the same run, to put beside wrk's.
func (h *Histogram) CorrectedLikeWrk(expected time.Duration) *Histogram {
	out := NewHistogram()
	out.Merge(h)
	e := int64(expected)
	if e <= 0 {
		return out
	}
	for i := range h.counts {
		c := h.counts[i].Load()
		if c == 0 {
			continue
		}
		v := int64(math.Round(h.mid(i)))
		if v < 2*e {
			continue
		}
		for m := v - e; m > e; m -= e {
			out.counts[bucketOf(m)].Add(c)
			out.n.Add(c)
			out.sum.Add(c * m)
		}
	}
	return out
}

// A Bar is one line of the text histogram: how many latencies were at or
// below Upto (and above the previous bar's Upto).
type Bar struct {
	Upto  time.Duration
	Count int64
}

// Bars splits [Min, Max] into n equal steps, as hey's "Response time
// histogram" does, and counts each (by its bucket's smallest value, so
// the fastest request is in the first bar, as in hey).
func (h *Histogram) Bars(n int) []Bar {
	total := h.n.Load()
	if total == 0 || n < 1 {
		return nil
	}
	lo, hi := float64(h.Min()), float64(h.Max())
	step := (hi - lo) / float64(n)
	bars := make([]Bar, n+1)
	for i := range bars {
		bars[i].Upto = time.Duration(lo + step*float64(i))
	}
	bars[n].Upto = h.Max()
	for i := range h.counts {
		c := h.counts[i].Load()
		if c == 0 {
			continue
		}
		j := n
		if step > 0 {
			b, _ := bucketRange(i)
			v := min(max(float64(b), lo), hi)
			j = int(math.Ceil((v - lo) / step))
			j = min(max(j, 0), n)
		}
		bars[j].Count += c
	}
	return bars
}
