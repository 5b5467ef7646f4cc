package load

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestBuckets: every value falls in the bucket whose range holds it, the
// buckets tile the line without gaps, and a bucket is at most 1/128 of
// its values wide.
func TestBuckets(t *testing.T) {
	var prevHi int64 = -1
	for i := range numBuckets {
		lo, hi := bucketRange(i)
		if lo != prevHi+1 {
			t.Fatalf("bucket %d starts at %d, want %d (right after bucket %d)", i, lo, prevHi+1, i-1)
		}
		if w := hi - lo + 1; w > 1 && float64(w)/float64(lo) > 1.0/128 {
			t.Fatalf("bucket %d [%d, %d]: width %d is more than 1/128 of %d", i, lo, hi, w, lo)
		}
		for _, v := range []int64{lo, hi, lo + (hi-lo)/2} {
			if got := bucketOf(v); got != i {
				t.Fatalf("bucketOf(%d): got %d, want %d [%d, %d]", v, got, i, lo, hi)
			}
		}
		prevHi = hi
	}
	if prevHi != maxValue {
		t.Errorf("last bucket ends at %d, want %d", prevHi, maxValue)
	}
	if got := bucketOf(maxValue * 4); got != numBuckets-1 {
		t.Errorf("a value past the range: bucket %d, want the top one %d", got, numBuckets-1)
	}
}

// exactPercentile is the ⌈q/100·n⌉-th smallest of vs.
func exactPercentile(vs []time.Duration, q float64) time.Duration {
	s := slices.Clone(vs)
	slices.Sort(s)
	rank := int(q / 100 * float64(len(s)))
	if float64(rank) < q/100*float64(len(s)) {
		rank++
	}
	return s[max(rank, 1)-1]
}

func TestPercentiles(t *testing.T) {
	us := time.Microsecond
	ms := time.Millisecond
	rng := rand.New(rand.NewPCG(1, 2))
	var uniform, bimodal, heavy []time.Duration
	for i := 1; i <= 1000; i++ {
		uniform = append(uniform, time.Duration(i)*us)
	}
	for range 990 {
		bimodal = append(bimodal, 300*us+time.Duration(rng.IntN(50))*us)
	}
	for range 10 {
		bimodal = append(bimodal, 2*time.Second)
	}
	for range 5000 {
		heavy = append(heavy, time.Duration(rng.ExpFloat64()*float64(ms)))
	}
	tests := []struct {
		name string
		vals []time.Duration
		q    float64
		want time.Duration // 0: the exact percentile of vals
	}{
		{"uniform p50", uniform, 50, 500 * us},
		{"uniform p90", uniform, 90, 900 * us},
		{"uniform p99", uniform, 99, 990 * us},
		{"uniform p100 is max", uniform, 100, 1000 * us},
		{"uniform p0 is min", uniform, 0, 1 * us},
		{"one value", []time.Duration{42 * ms}, 99, 42 * ms},
		{"small values are exact", []time.Duration{1, 2, 3, 200, 255}, 50, 3},
		{"bimodal p99 is still fast", bimodal, 99, 0},
		{"bimodal p99.5 is the stall", bimodal, 99.5, 2 * time.Second},
		{"exponential p50", heavy, 50, 0},
		{"exponential p99", heavy, 99, 0},
		{"exponential p99.9", heavy, 99.9, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := NewHistogram()
			for _, v := range tt.vals {
				h.Record(v)
			}
			want := tt.want
			if want == 0 {
				want = exactPercentile(tt.vals, tt.q)
			}
			got := h.Percentile(tt.q)
			if diff := float64(got - want); diff > float64(want)/128 || -diff > float64(want)/128 {
				t.Errorf("p%g: got %v, want %v within 1/128", tt.q, got, want)
			}
		})
	}
}

func TestHistogramStats(t *testing.T) {
	h := NewHistogram()
	if h.Percentile(50) != 0 || h.Min() != 0 || h.Max() != 0 || h.Mean() != 0 || h.Stdev() != 0 || h.Bars(10) != nil {
		t.Fatalf("empty histogram: got p50 %v min %v max %v mean %v stdev %v, want all 0", h.Percentile(50), h.Min(), h.Max(), h.Mean(), h.Stdev())
	}
	for _, v := range []time.Duration{2, 4, 4, 4, 5, 5, 7, 9} {
		h.Record(v * time.Millisecond)
	}
	h.Record(-time.Second) // a clock step backwards counts as 0
	if got := h.Min(); got != 0 {
		t.Errorf("min: got %v, want 0", got)
	}
	if got, want := h.Max(), 9*time.Millisecond; got != want {
		t.Errorf("max: got %v, want %v", got, want)
	}
	if got, want := h.Mean(), 40*time.Millisecond/9; got != want {
		t.Errorf("mean: got %v, want %v", got, want)
	}
	other := NewHistogram()
	other.Record(time.Second)
	h.Merge(other)
	if h.Count() != 10 || h.Max() != time.Second {
		t.Errorf("after Merge: count %d max %v, want 10 and 1s", h.Count(), h.Max())
	}
	var total int64
	bars := h.Bars(10)
	for _, b := range bars {
		total += b.Count
	}
	if total != 10 || len(bars) != 11 || bars[10].Upto != time.Second || bars[10].Count != 1 || bars[0].Count != 1 {
		t.Errorf("bars: got %v, want 11 bars holding 10 values, 1 at 0 and 1 at 1s", bars)
	}
}

func BenchmarkRecord(b *testing.B) {
	h := NewHistogram()
	b.RunParallel(func(pb *testing.PB) {
		v := time.Duration(1)
		for pb.Next() {
			h.Record(v)
			v = v*3 + 7
			if v > time.Hour {
				v = 1
			}
		}
	})
}

// TestCorrectedLikeWrk: wrk's stats_correct, worked by hand. With an
// expected interval of 10 ms, one 35 ms latency adds 25 and 15 ms (not 5:
// only values above one interval), one 15 ms latency adds nothing (below
// two intervals), and the 1 ms ones stay as they are.
func TestCorrectedLikeWrk(t *testing.T) {
	h := NewHistogram()
	for range 8 {
		h.Record(time.Millisecond)
	}
	h.Record(15 * time.Millisecond)
	h.Record(35 * time.Millisecond)
	w := h.CorrectedLikeWrk(10 * time.Millisecond)
	if w.Count() != 12 {
		t.Fatalf("corrected count %d, want 12 (10 recorded + 25 ms and 15 ms added)", w.Count())
	}
	near := func(got, want time.Duration) bool { return got > want*99/100 && got < want*101/100 }
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{50, time.Millisecond}, {75, 15 * time.Millisecond}, {90, 25 * time.Millisecond}, {100, 35 * time.Millisecond}} {
		if got := w.Percentile(c.q); !near(got, c.want) {
			t.Errorf("corrected p%v = %v, want %v", c.q, got, c.want)
		}
	}
	if h.Count() != 10 || !near(h.Percentile(90), 15*time.Millisecond) {
		t.Errorf("the original changed: %d recorded, p90 %v", h.Count(), h.Percentile(90))
	}
	if w := h.CorrectedLikeWrk(0); w.Count() != 10 {
		t.Errorf("no interval: count %d, want the original 10", w.Count())
	}
}
