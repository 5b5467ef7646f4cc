package main

import (
	"fmt"
	"io"
)

// runCollectstatic is being built (see the open issues); it says so rather than pretend.
func runCollectstatic(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "webflow-lab collectstatic: not built yet")
	return 1
}
