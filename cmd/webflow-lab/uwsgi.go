package main

import (
	"fmt"
	"io"
)

// runUwsgi is being built (see the open issues); it says so rather than pretend.
func runUwsgi(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "webflow-lab uwsgi: not built yet")
	return 1
}
