package main

import (
	"fmt"
	"io"
)

// runProxy is being built (see the open issues); it says so rather than pretend.
func runProxy(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "webflow-lab proxy: not built yet")
	return 1
}
