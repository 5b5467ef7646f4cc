package sim

import (
	"fmt"
	"strings"
	"time"

	"webflow-lab/servers/trace"
)

// FormatEvent renders one hop event as a line of `webflow-lab serve`:
//
//	12.345ms  3f9c0a1e  browser→proxy     arrived   GET /employees/
func FormatEvent(e trace.Event) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%12s  %-8s  %-16s %-8s", fmtDur(e.At), shortID(e.ReqID), e.From+"→"+e.To, e.Phase)
	if e.Instance != "" {
		fmt.Fprintf(&b, " [%s]", e.Instance)
	}
	if e.Status != 0 {
		fmt.Fprintf(&b, " %d", e.Status)
	}
	if e.Bytes != 0 {
		fmt.Fprintf(&b, " %dB", e.Bytes)
	}
	if e.Why != "" {
		b.WriteString("  ")
		b.WriteString(strings.ReplaceAll(e.Why, "\n", " "))
	}
	return b.String()
}

func fmtDur(d time.Duration) string {
	return fmt.Sprintf("%.3fms", float64(d)/float64(time.Millisecond))
}

func shortID(id string) string {
	if id == "" {
		return "-"
	}
	if len(id) > 8 {
		return id[:8]
	}
	return id
}
