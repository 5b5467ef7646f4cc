//go:build !unix

package sim

import "time"

// cpuTime is 0 where getrusage does not exist: benchmarks then leave out
// their CPU-per-request figure.
func cpuTime() time.Duration { return 0 }
