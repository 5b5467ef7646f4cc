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

// FormatSnapshot renders the deployment as plain text lines, for `status`
// and `webflow-lab ctl status`.
func FormatSnapshot(s Snapshot) string {
	var b strings.Builder
	fmt.Fprintf(&b, "workspace %s\n", s.Dir)
	fmt.Fprintf(&b, "proxy     %-8s %s\n", s.Proxy.State, strings.Join(s.Proxy.Addrs, " "))
	if s.Proxy.LastError != nil {
		fmt.Fprintf(&b, "          last reload refused: %s\n", s.Proxy.LastError.Error())
	}
	for _, u := range s.Upstreams {
		fmt.Fprintf(&b, "upstream  %s: %s (%s)\n", u.Name, u.Strategy, u.Where)
		for _, p := range u.Peers {
			fmt.Fprintf(&b, "          %-21s %-8s %-8s weight=%d fails=%d/%d conns=%d\n", p.Addr, p.Instance, p.State, p.Weight, p.Fails, p.MaxFails, p.Conns)
		}
	}
	for _, in := range s.Instances {
		q := "?"
		if in.ListenQueue >= 0 {
			q = fmt.Sprint(in.ListenQueue)
		}
		busy := 0
		for _, w := range in.Workers {
			busy += w.Busy
		}
		fmt.Fprintf(&b, "%-9s %-8s socket %s  http %s  %d×%d workers, %d busy, %d requests, listen queue %s\n",
			in.Name, in.State, in.Socket, in.HTTP, in.Processes, in.Threads, busy, in.Requests, q)
		if in.LastError != nil {
			fmt.Fprintf(&b, "          %s\n", in.LastError.Error())
		}
	}
	fmt.Fprintf(&b, "database  %-8s %s  sessions: %s\n", s.DB.State, strings.Join(s.DB.Files, " "), s.Sessions)
	for _, p := range s.Blocked {
		fmt.Fprintf(&b, "firewall  port %d %s\n", p.Port, p.Mode)
	}
	for _, f := range s.Faults {
		fmt.Fprintf(&b, "fault     %s latency %s, errors 1 in %d\n", f.Instance, f.Latency, f.Every)
	}
	for _, bp := range s.Breakpoints {
		fmt.Fprintf(&b, "break %d   at %s %s %s (%d hits)\n", bp.ID, bp.Hop, bp.PathPrefix, bp.Instance, bp.Hits)
	}
	for _, h := range s.Held {
		fmt.Fprintf(&b, "held %d    %s %s at %s %s since %s\n", h.ID, h.Method, h.Path, h.Hop, h.Instance, h.Since.Format("15:04:05"))
	}
	return b.String()
}
