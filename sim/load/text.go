package load

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rivo/uniseg"

	"webflow-lab/servers/explain"
)

// Text renders the report the way hey prints one (summary, latency
// percentiles, a histogram, status codes, errors), in lang ("zh…" for
// Simplified Chinese, anything else for English).
func (r Report) Text(lang string) string {
	zh := strings.HasPrefix(lang, "zh")
	t := func(en, cn string) string { return explain.T(en, cn).In(lang) }
	var b strings.Builder
	mode := t("as fast as the server answers (closed loop)", "服务器一答复就发下一个（闭环）")
	if r.Spec.Rate > 0 {
		mode = fmt.Sprintf(t("at %g requests/s (open loop)", "每秒 %g 个请求（开环）"), r.Spec.Rate)
	}
	fmt.Fprintf(&b, "%s %s %s  %s\n", t("Load on", "压测"), r.Spec.Method, r.Spec.URL, mode)
	fmt.Fprintf(&b, "  %d %s", r.Spec.Connections, t("connections", "个连接"))
	if r.Spec.NoKeepAlive {
		b.WriteString(t(", a new one per request", "，每个请求新建连接"))
	}
	if r.Cancelled {
		b.WriteString(t(", stopped early", "，提前停止"))
	}
	b.WriteString("\n\n")

	fmt.Fprintf(&b, "%s\n", t("Summary:", "概要："))
	row := func(label string, format string, args ...any) {
		fmt.Fprintf(&b, "  %s%s\n", pad(label, 16), fmt.Sprintf(format, args...))
	}
	row(t("Requests:", "请求数："), "%d %s %.2fs", r.Requests, t("answered in", "个已答复，用时"), r.Elapsed.Seconds())
	row(t("Requests/sec:", "每秒请求数："), "%.1f", r.RPS())
	if r.Elapsed > 0 {
		row(t("Transfer/sec:", "每秒传输："), "%s", bytesText(float64(r.Bytes)/r.Elapsed.Seconds()))
	}
	if r.Errors > 0 {
		row(t("No answer:", "无答复："), "%d", r.Errors)
	}

	if r.Latency.Count() > 0 {
		b.WriteString("\n")
		if r.Spec.Rate > 0 {
			b.WriteString(t("Latency, from each request's scheduled start (coordinated omission corrected, as wrk2):\n",
				"延迟，从每个请求计划发出的时刻算起（已校正协同遗漏，同 wrk2）：\n"))
		} else {
			b.WriteString(t("Latency, from send to answer:\n", "延迟，从发出到收到答复：\n"))
		}
		h := r.Latency
		fmt.Fprintf(&b, "  %-8s%10s   %-8s%10s   %-8s%10s\n", t("min", "最小"), Dur(h.Min()), t("mean", "平均"), Dur(h.Mean()), t("stdev", "标准差"), Dur(h.Stdev()))
		fmt.Fprintf(&b, "  %-8s%10s   %-8s%10s   %-8s%10s   %-8s%10s\n",
			"p50", Dur(h.Percentile(50)), "p90", Dur(h.Percentile(90)), "p99", Dur(h.Percentile(99)), t("max", "最大"), Dur(h.Max()))
		if r.Spec.Rate == 0 && r.Spec.Connections > 0 && r.Requests/int64(r.Spec.Connections) > 0 {
			// what wrk would print for this run: it corrects its figures
			// before printing them (see CorrectedLikeWrk)
			w := h.CorrectedLikeWrk(r.Elapsed / time.Duration(r.Requests/int64(r.Spec.Connections)))
			fmt.Fprintf(&b, "  %s p50 %s  p90 %s  p99 %s\n", t("as wrk prints them (its own correction):", "按 wrk 的算法（它自己的校正）："),
				Dur(w.Percentile(50)), Dur(w.Percentile(90)), Dur(w.Percentile(99)))
		}
		if r.Spec.Rate > 0 && r.Service.Count() > 0 {
			s := r.Service
			fmt.Fprintf(&b, "  %s p50 %s  p99 %s  %s %s\n", t("service time alone (send to answer):", "仅服务时间（发出到答复）："),
				Dur(s.Percentile(50)), Dur(s.Percentile(99)), t("max", "最大"), Dur(s.Max()))
		}
		b.WriteString("\n")
		b.WriteString(t("Response time histogram:\n", "响应时间分布：\n"))
		bars := h.Bars(10)
		var most int64
		for _, bar := range bars {
			most = max(most, bar.Count)
		}
		for _, bar := range bars {
			n := 0
			if most > 0 {
				n = int((bar.Count*80 + most) / (2 * most)) // rounded, as hey does
			}
			fmt.Fprintf(&b, "  %10s [%d]\t|%s\n", Dur(bar.Upto), bar.Count, strings.Repeat("■", n))
		}
	}

	if len(r.Status) > 0 {
		b.WriteString("\n")
		b.WriteString(t("Status codes:\n", "状态码：\n"))
		for _, code := range slices.Sorted(mapKeys(r.Status)) {
			label := fmt.Sprintf("[%d]", code)
			if code == 0 {
				label = t("[other]", "[其他]")
			}
			fmt.Fprintf(&b, "  %s %d %s\n", label, r.Status[code], t("responses", "个响应"))
		}
	}
	if len(r.ByKind) > 0 {
		b.WriteString("\n")
		b.WriteString(t("Errors (no answer):\n", "错误（无答复）：\n"))
		for _, k := range Kinds() {
			n := r.ByKind[k]
			if n == 0 {
				continue
			}
			name := k.String()
			if zh {
				name = k.Chinese()
			}
			fmt.Fprintf(&b, "  %s %d   %s\n", pad(name, 14), n, r.FirstError[k])
		}
	}
	return b.String()
}

func mapKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// pad pads s with spaces to width display columns (a CJK character
// takes two).
func pad(s string, width int) string {
	w := uniseg.StringWidth(s)
	if w >= width {
		return s + " "
	}
	return s + strings.Repeat(" ", width-w)
}

// Dur prints a latency with three significant digits, as wrk does:
// 812.00us, 1.25ms, 2.01s.
func Dur(d time.Duration) string {
	switch {
	case d < time.Microsecond:
		return fmt.Sprintf("%dns", d)
	case d < time.Millisecond:
		return fmt.Sprintf("%.2fus", float64(d)/1e3)
	case d < time.Second:
		return fmt.Sprintf("%.2fms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.2fs", d.Seconds())
}

func bytesText(v float64) string {
	switch {
	case v >= 1<<30:
		return fmt.Sprintf("%.2f GB", v/(1<<30))
	case v >= 1<<20:
		return fmt.Sprintf("%.2f MB", v/(1<<20))
	case v >= 1<<10:
		return fmt.Sprintf("%.2f KB", v/(1<<10))
	}
	return fmt.Sprintf("%.0f B", v)
}
