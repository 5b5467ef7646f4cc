package main

import (
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"
)

// withCPUProfile takes the hidden --cpuprofile FILE (or --cpuprofile=FILE)
// out of args — a developer's switch, not in --help, for measuring the lab
// and its screen under load with `go tool pprof` — starts the profile, and
// returns the other arguments and a function that writes it out. Without
// the flag it changes nothing.
func withCPUProfile(args []string, stderr io.Writer) (rest []string, stop func(), ok bool) {
	file := ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--cpuprofile" || a == "-cpuprofile":
			if i+1 >= len(args) {
				fmt.Fprintln(stderr, "webflow-lab: --cpuprofile needs a file name")
				return nil, nil, false
			}
			file = args[i+1]
			i++
		case strings.HasPrefix(a, "--cpuprofile=") || strings.HasPrefix(a, "-cpuprofile="):
			_, file, _ = strings.Cut(a, "=")
		default:
			rest = append(rest, a)
		}
	}
	if file == "" {
		return args, func() {}, true
	}
	f, err := os.Create(file)
	if err != nil {
		fmt.Fprintln(stderr, "webflow-lab: --cpuprofile:", err)
		return nil, nil, false
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		fmt.Fprintln(stderr, "webflow-lab: --cpuprofile:", err)
		return nil, nil, false
	}
	return rest, func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintln(stderr, "webflow-lab: --cpuprofile:", err)
		}
	}, true
}
