package traffic

import (
	"context"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

// TestRepeat: when each walk starts, on a fake clock, for walks that take
// 30 ms.
func TestRepeat(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name         string
		every, limit time.Duration
		times        int
		cancelAt     time.Duration
		want         []time.Duration
	}{
		{"once", 0, 0, 0, 0, []time.Duration{0}},
		{"three times back to back", 0, 0, 3, 0, []time.Duration{0, 30 * ms, 60 * ms}},
		{"every 100ms, 3 times", 100 * ms, 0, 3, 0, []time.Duration{0, 100 * ms, 200 * ms}},
		{"every 10ms: a walk takes longer, the next starts at once", 10 * ms, 0, 3, 0, []time.Duration{0, 30 * ms, 60 * ms}},
		{"every 100ms for 350ms", 100 * ms, 350 * ms, 0, 0, []time.Duration{0, 100 * ms, 200 * ms, 300 * ms}},
		{"for limits before times", 100 * ms, 150 * ms, 10, 0, []time.Duration{0, 100 * ms}},
		{"without end, until cancelled", 100 * ms, 0, 0, 250 * ms, []time.Duration{0, 100 * ms, 200 * ms}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				if tt.cancelAt > 0 {
					time.AfterFunc(tt.cancelAt, cancel)
				}
				start := time.Now()
				var got []time.Duration
				repeat(ctx, tt.every, tt.limit, tt.times, func() {
					got = append(got, time.Since(start))
					time.Sleep(30 * ms)
				})
				if !slices.Equal(got, tt.want) {
					t.Errorf("walks started at %v, want %v", got, tt.want)
				}
			})
		})
	}
}
