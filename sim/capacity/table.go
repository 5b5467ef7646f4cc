package capacity

import (
	"fmt"
	"strings"

	"github.com/rivo/uniseg"

	"webflow-lab/servers/explain"
	"webflow-lab/sim/load"
)

// Table renders results as the capacity lesson's table, in lang.
func Table(results []Result, lang string) string {
	t := func(en, zh string) string { return explain.T(en, zh).In(lang) }
	var b strings.Builder
	head := []string{t("workers", "进程×线程"), t("handler", "处理时间"), t("clients", "客户端"),
		t("predicted", "预测 QPS"), t("measured", "实测 QPS"), t("off", "偏差"),
		t("queue", "监听队列"), t("wait", "等待"), t("p99 wait", "p99 等待")}
	widths := []int{10, 8, 8, 10, 10, 7, 8, 10, 10}
	for i, h := range head {
		if i > 0 {
			b.WriteByte(' ')
		}
		pad := widths[i] - uniseg.StringWidth(h)
		if i == 0 {
			b.WriteString(h + strings.Repeat(" ", max(pad, 0)))
		} else {
			b.WriteString(strings.Repeat(" ", max(pad, 0)) + h)
		}
	}
	b.WriteByte('\n')
	for _, r := range results {
		queue := "n/a"
		if r.QueueKnown {
			queue = fmt.Sprintf("%.0f/%.1f", r.MaxQueue, r.MeanQueue)
		}
		fmt.Fprintf(&b, "%-10s %8s %8d %10.1f %10.1f %+6.1f%% %8s %10s %10s\n",
			fmt.Sprintf("%d×%d", r.Setup.norm().Processes, r.Setup.norm().Threads), load.Dur(r.Setup.Handler), r.Clients,
			r.Predicted, r.Measured, 100*r.Off(), queue, load.Dur(r.Wait), load.Dur(r.WaitP99))
	}
	b.WriteString(t("queue: the most connections seen waiting in the listen queue / their mean; wait: latency − handler time\n",
		"监听队列：观察到的最多等待连接数 / 平均数；等待：延迟 − 处理时间\n"))
	return b.String()
}
