// Package lessons is webflow-lab's curriculum: the web-deployment course
// (Django + uWSGI + nginx) as guided exercises on the live lab, in English
// and Simplified Chinese, and the checks that say when a step is done.
//
// A lesson is a plain text file a teacher can write without Go (format.go
// describes the syntax, the README the keys): a title, a goal and steps.
// Each step says what to do, the lab state it starts from (setup lines:
// the lab's commands and file edits), hints shown one at a time, what a
// learner would do to solve it (solution lines, which teacher mode and the
// tests apply) and checks put to the running lab — requests sent through
// nginx or straight to an instance and followed hop by hop, log lines
// written since the step began, nginx.conf as nginx -t reads it, an ini
// file as uWSGI reads it, a file's content, the lab's state. A failing
// check says what the lab showed.
//
// The lessons read the lab through sim only: in this process (Local) or,
// for `webflow-lab lesson` in a second terminal, through the lab's control
// endpoint (Remote). The built-in curriculum is embedded (curriculum/); a
// teacher's own is read from a folder with the same code (LoadDir).
package lessons

import (
	"embed"
	"sync"
)

//go:embed curriculum/*.lesson
var builtinFS embed.FS

var builtin = sync.OnceValues(func() (*Curriculum, error) { return LoadFS(builtinFS, "curriculum", "built-in") })

// Builtin is the curriculum shipped in the binary.
func Builtin() (*Curriculum, error) { return builtin() }
