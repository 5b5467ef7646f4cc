package main

import (
	"fmt"
	"io"
	"os"

	"webflow-lab/servers/ems/web"
	"webflow-lab/servers/explain"
)

// runCollectstatic copies the EMS's static files into STATIC_ROOT, like
// `python manage.py collectstatic --noinput`. STATIC_ROOT comes from
// --static-root, else from EMS_STATIC_ROOT in the environment (the same
// setting the app reads).
func runCollectstatic(args []string, stdout, stderr io.Writer) int {
	fs := flagSet("collectstatic", stderr)
	root := fs.String("static-root", "", "the folder to copy into (default: $EMS_STATIC_ROOT)")
	fs.Bool("noinput", true, "accepted for Django compatibility; webflow-lab never prompts")
	fs.Bool("no-input", true, "same as --noinput")
	lang := fs.String("lang", os.Getenv("LANG"), "language of error messages (zh for Chinese)")
	if err := fs.Parse(args); err != nil {
		return exitCode(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "webflow-lab collectstatic: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	dir := *root
	if dir == "" {
		dir = os.Getenv("EMS_STATIC_ROOT")
	}
	if dir == "" {
		e := &explain.Error{
			What: explain.T("collectstatic: no STATIC_ROOT", "collectstatic: 没有设置 STATIC_ROOT"),
			Why: explain.T("you're using the staticfiles app without having set the STATIC_ROOT setting to a filesystem path",
				"未指定静态文件要收集到哪个目录"),
			Try: explain.T("run `webflow-lab collectstatic --static-root DIR`, or set EMS_STATIC_ROOT",
				"运行 `webflow-lab collectstatic --static-root 目录`，或设置 EMS_STATIC_ROOT"),
		}
		fmt.Fprintln(stderr, e.Block(*lang))
		return 1
	}
	res, err := web.CollectStatic(dir)
	if err != nil {
		if e, ok := err.(*explain.Error); ok {
			fmt.Fprintln(stderr, e.Block(*lang))
		} else {
			fmt.Fprintln(stderr, "webflow-lab collectstatic:", err)
		}
		return 1
	}
	fmt.Fprintf(stdout, "\n%s\n", res)
	return 0
}
