package config

import (
	"errors"
	"strings"

	"webflow-lab/servers/explain"
)

// Transcript is what `nginx -t -c path` prints for the outcome of Load or
// Parse, followed on failure by the lab's explanation in lang ("en" or
// "zh"):
//
//	nginx: [warn] "tcp_nopush" directive has no effect in webflow-lab in /lab/nginx.conf:9
//	nginx: the configuration file /lab/nginx.conf syntax is ok
//	nginx: configuration file /lab/nginx.conf test is successful
//
// or
//
//	nginx: [emerg] unknown directive "uwsgi_pass127.0.0.1:9001" in /lab/nginx.conf:14
//	  … the explanation block …
//	nginx: configuration file /lab/nginx.conf test failed
func Transcript(path string, cfg *Config, err error, lang string) string {
	var b strings.Builder
	if cfg != nil {
		for _, w := range cfg.Warnings {
			b.WriteString(w.String())
			b.WriteByte('\n')
		}
	}
	if err == nil {
		b.WriteString("nginx: the configuration file " + path + " syntax is ok\n")
		b.WriteString("nginx: configuration file " + path + " test is successful\n")
		return b.String()
	}
	var ne *NginxError
	if errors.As(err, &ne) {
		if ne.AfterParse {
			b.WriteString("nginx: the configuration file " + path + " syntax is ok\n")
		}
		b.WriteString("nginx: [" + ne.Level + "] " + ne.Error() + "\n")
	} else {
		b.WriteString("nginx: [emerg] " + err.Error() + "\n")
	}
	var ee *explain.Error
	if errors.As(err, &ee) {
		for _, line := range strings.Split(ee.Block(lang), "\n") {
			b.WriteString("  " + line + "\n")
		}
	}
	b.WriteString("nginx: configuration file " + path + " test failed\n")
	return b.String()
}
