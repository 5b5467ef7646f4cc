package proxy

import (
	"fmt"
	"io"

	"webflow-lab/servers/proxy/config"
)

// CheckConfig is `nginx -t` (and `nginx -T` when dump is set): it reads the
// config at path, compiles it as a start would, and writes what nginx
// writes: warnings and the verdict on stderr, every file read on stdout for
// -T. On a failure the lab's explanation (in lang) follows nginx's [emerg]
// line. It reports whether the configuration is good.
//
// The lab's own notes (the alias missing-slash traversal) come first, on
// lines that start with "webflow-lab:"; apart from those, the output is
// nginx's byte for byte (the differential tests compare them).
func CheckConfig(path string, opts Options, dump bool, lang string, stdout, stderr io.Writer) bool {
	cfg, err := config.Load(path)
	if err == nil {
		var srv *Server
		srv, err = New(cfg, opts)
		if srv != nil {
			for _, w := range srv.labWarnings() {
				fmt.Fprintln(stderr, w.String())
			}
			srv.Close()
		}
	}
	fmt.Fprint(stderr, config.Transcript(path, cfg, err, lang))
	if err != nil {
		return false
	}
	if dump {
		fmt.Fprint(stdout, config.Dump(cfg))
	}
	return true
}
