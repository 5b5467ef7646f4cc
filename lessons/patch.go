package lessons

import (
	"fmt"
	"os"
	"strings"

	"webflow-lab/servers/explain"
)

// A patch is the body of an `edit FILE` action: lines copied from the file
// with a mark in front, as in a diff —
//
//	edit conf.d/ems.conf
//	   location / {
//	  +    uwsgi_read_timeout 1s;
//	       include     uwsgi_params;
//
// " " (a space) marks a line that must be there, "-" one that goes, "+" one
// that comes. Lines are found by their text without the indentation, so a
// teacher need not count spaces; a new line is indented like the file's line
// above it, plus what the patch adds to it.
type patch []patchLine

type patchLine struct {
	op   byte // ' ', '-', '+'
	text string
}

func parsePatch(body string) (patch, error) {
	var p patch
	changes := 0
	for i, l := range strings.Split(body, "\n") {
		if l == "" {
			continue
		}
		op := l[0]
		if op != ' ' && op != '-' && op != '+' {
			return nil, &textError{T: explain.T("a patch line starts with \" \", \"-\" or \"+\": "+clip(l), "补丁的每一行以空格、\"-\" 或 \"+\" 开头："+clip(l)),
				Try: explain.T("copy the lines from the file and put - before what goes and + before what comes", "从文件中复制这些行，要删除的行前加 -，要新增的行前加 +"), Offset: 1 + i}
		}
		if op != ' ' {
			changes++
		}
		p = append(p, patchLine{op: op, text: l[1:]})
	}
	if changes == 0 {
		return nil, errTry("`edit` has no line starting with - or +", "`edit` 中没有以 - 或 + 开头的行",
			"below `edit FILE`, mark the lines that go with - and the lines that come with +", "在 `edit 文件` 下面，用 - 标出要删除的行，用 + 标出要新增的行")
	}
	return p, nil
}

// apply edits the file at path (name is how the learner knows it).
func (p patch) apply(path, name string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	lines := strings.Split(string(b), "\n")
	var want []patchLine // what must be in the file, in order
	for _, l := range p {
		if l.op != '+' {
			want = append(want, l)
		}
	}
	at := -1
	if len(want) == 0 { // only additions: at the end of the file
		at = len(lines)
		if at > 0 && lines[at-1] == "" {
			at--
		}
	}
	for i := 0; i+len(want) <= len(lines) && at < 0; i++ {
		ok := true
		for j, w := range want {
			if strings.TrimSpace(lines[i+j]) != strings.TrimSpace(w.text) {
				ok = false
				break
			}
		}
		if ok {
			at = i
		}
	}
	if at < 0 {
		return &explain.Error{
			What:  explain.T("lesson: "+name+" does not have the lines the edit starts from", "课程："+name+" 中找不到这个修改所依据的行"),
			Where: name,
			Why:   explain.T(fmt.Sprintf("looked for %q and the lines after it", strings.TrimSpace(want[0].text)), fmt.Sprintf("查找的是 %q 及其后面的行", strings.TrimSpace(want[0].text))),
			Try:   explain.T("reset the step (webflow-lab lesson reset), or make the edit by hand", "重置这一步（webflow-lab lesson reset），或者手动修改"),
		}
	}
	var out []string
	out = append(out, lines[:at]...)
	i := at
	prevFile, prevPatch := "", "" // indentation of the last kept line, in the file and in the patch
	if at > 0 {
		prevFile = indentOf(lines[at-1])
	}
	for k, l := range p {
		switch l.op {
		case ' ':
			out = append(out, lines[i])
			prevFile, prevPatch = indentOf(lines[i]), indentOf(l.text)
			i++
		case '-':
			prevFile, prevPatch = indentOf(lines[i]), indentOf(l.text)
			i++
		case '+':
			if k == 0 || prevPatch == "" && prevFile == "" {
				// Nothing kept above: take the indentation of the next file line.
				for _, n := range p[k:] {
					if n.op != '+' && i < len(lines) {
						prevFile, prevPatch = indentOf(lines[i]), indentOf(n.text)
						break
					}
				}
			}
			out = append(out, reindent(l.text, prevPatch, prevFile))
		}
	}
	out = append(out, lines[i:]...)
	return os.WriteFile(path, []byte(strings.Join(out, "\n")), 0o644)
}

func indentOf(s string) string { return s[:len(s)-len(strings.TrimLeft(s, " \t"))] }

// reindent gives an added line the file's indentation of the line it
// follows, plus (or minus) what the patch indents it by relative to that
// line.
func reindent(text, refPatch, refFile string) string {
	ind := indentOf(text)
	body := text[len(ind):]
	if body == "" {
		return ""
	}
	switch d := len(ind) - len(refPatch); {
	case d >= 0:
		return refFile + strings.Repeat(" ", d) + body
	case -d <= len(refFile):
		return refFile[:len(refFile)+d] + body
	}
	return body
}
