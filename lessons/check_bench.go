package lessons

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"webflow-lab/sim"
	"webflow-lab/sim/load"
)

// benchCheck measures, as `webflow-lab bench URL -c N -d D` does: load
// through nginx for a while, then the requests per second and the slowest
// answers. It is the capacity lesson's check — a prediction is only right
// when the measurement agrees.
//
//	bench PATH [c=16] [d=2s] qps>=24 [p99<=900ms]
type benchCheck struct {
	path   string
	conns  int
	dur    time.Duration
	minQPS float64
	maxP99 time.Duration
}

func parseBenchCheck(args []word) (checker, error) {
	c := &benchCheck{conns: 10, dur: 2 * time.Second}
	usage := errTry("bench is `bench PATH [c=16] [d=2s] qps>=N [p99<=DURATION]`", "bench 的写法是 `bench 路径 [c=16] [d=2s] qps>=N [p99<=时长]`",
		"bench /login/ c=16 d=2s qps>=24", "bench /login/ c=16 d=2s qps>=24")
	for _, w := range args {
		var err error
		switch {
		case w.Key == "c":
			c.conns, err = strconv.Atoi(w.Text)
			if err == nil && (c.conns < 1 || c.conns > 256) {
				err = fmt.Errorf("1 to 256")
			}
		case w.Key == "d":
			c.dur, err = time.ParseDuration(w.Text)
			if err == nil && (c.dur < 100*time.Millisecond || c.dur > time.Minute) {
				err = fmt.Errorf("100ms to 1m")
			}
		case w.Key == "" && strings.HasPrefix(w.Text, "qps>="):
			c.minQPS, err = strconv.ParseFloat(w.Text[len("qps>="):], 64)
		case w.Key == "" && strings.HasPrefix(w.Text, "p99<="):
			c.maxP99, err = time.ParseDuration(w.Text[len("p99<="):])
		case w.Key == "" && strings.HasPrefix(w.Text, "/") && c.path == "":
			c.path = w.Text
		default:
			return nil, usage
		}
		if err != nil {
			return nil, errText("bench: "+quote(w.String())+": "+err.Error(), "bench："+quote(w.String())+"："+err.Error())
		}
	}
	if c.path == "" || c.minQPS == 0 && c.maxP99 == 0 {
		return nil, usage
	}
	return c, nil
}

func (c *benchCheck) want() (string, string) {
	var en, zh []string
	if c.minQPS > 0 {
		en = append(en, fmt.Sprintf("at least %g requests/s", c.minQPS))
		zh = append(zh, fmt.Sprintf("每秒至少 %g 个请求", c.minQPS))
	}
	if c.maxP99 > 0 {
		en = append(en, "p99 at most "+c.maxP99.String())
		zh = append(zh, "p99 不超过 "+c.maxP99.String())
	}
	return strings.Join(en, ", "), strings.Join(zh, "，")
}

func (c *benchCheck) what() Text {
	en, zh := c.want()
	return Text{EN: fmt.Sprintf("bench %s -c %d -d %s through nginx: %s", c.path, c.conns, c.dur, en),
		ZH: fmt.Sprintf("bench %s -c %d -d %s（经过 nginx）：%s", c.path, c.conns, c.dur, zh)}
}

func (c *benchCheck) run(ctx context.Context, e *env) (bool, Text) {
	r, err := load.Run(ctx, load.Spec{URL: e.vars["url"] + e.expand(c.path), Connections: c.conns, Duration: c.dur, Timeout: 10 * time.Second,
		Header: [][2]string{{"User-Agent", sim.ProbeAgent}}})
	if err != nil {
		return false, tf("bench could not run: %v", "bench 无法运行：%v", err)
	}
	qps := r.RPS()
	p99 := r.Latency.Percentile(99)
	got := fmt.Sprintf("%.1f requests/s, p99 %s, %d answered, %d errors", qps, load.Dur(p99), r.Requests, r.Errors)
	gotZH := fmt.Sprintf("每秒 %.1f 个请求，p99 %s，%d 个应答，%d 个错误", qps, load.Dur(p99), r.Requests, r.Errors)
	en, zh := c.want()
	if c.minQPS > 0 && qps < c.minQPS || c.maxP99 > 0 && p99 > c.maxP99 || r.Errors > 0 {
		return false, Text{EN: got + "; want " + en, ZH: gotZH + "；期望" + zh}
	}
	return true, Text{EN: got, ZH: gotZH}
}
