package lessons

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"webflow-lab/servers/explain"
)

// The lesson file format, read line by line:
//
//	# a comment (a line whose first character is #)
//	key: a value on one line
//	key: a value whose first line is here
//	  and goes on, on every line indented below it
//	key:
//	  a value wholly on the indented lines below the key;
//
//	  a blank line inside it is kept when indented lines follow.
//
// A key is lowercase letters and dashes, with ".zh" for its Chinese side.
// An indented block loses its common indentation (so a config snippet keeps
// its own), trailing spaces go, and blank lines at the ends of a value go.
// That is all: a field is a key, a value and the line it started on. What
// the keys mean is lesson.go's business.

// A field is one `key: value` of a lesson file.
type field struct {
	Key   string
	Value string
	Line  int // the key's line
	// ValueLine is the line of the value's first line: Line, or the first
	// indented line below it when the value starts there.
	ValueLine int
}

// maxLessonFile bounds what is read: a lesson is a few kilobytes.
const maxLessonFile = 1 << 20

// parseFields splits a lesson file into its fields.
func parseFields(file string, data []byte) ([]field, error) {
	if len(data) > maxLessonFile {
		return nil, formatError(file, 1, explain.T("the file is larger than 1 MiB", "文件超过 1 MiB"),
			explain.T("a lesson is text of a few kilobytes; split it into several lessons", "一节课只是几 KB 的文本；请拆成几节课"))
	}
	if !utf8.Valid(data) {
		line := 1 + bytes.Count(data[:firstInvalid(data)], []byte("\n"))
		return nil, formatError(file, line, explain.T("the file is not UTF-8 text", "文件不是 UTF-8 文本"),
			explain.T("save it as UTF-8 (every editor can: \"Save with encoding\")", "请以 UTF-8 编码保存（编辑器中的“以某编码保存”）"))
	}
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	text = strings.TrimPrefix(text, "\ufeff")
	lines := strings.Split(text, "\n")
	var out []field
	for i := 0; i < len(lines); i++ {
		raw := strings.TrimRightFunc(lines[i], unicode.IsSpace)
		switch {
		case raw == "" || raw[0] == '#':
			continue
		case raw[0] == ' ' || raw[0] == '\t':
			return nil, formatError(file, i+1, explain.T("an indented line that follows no key", "缩进的行前面没有键"),
				explain.T("start the field with `key:` at the beginning of a line, then indent its value below it",
					"在行首写 `键:` 开始一个字段，再把值缩进写在它下面"))
		}
		key, head, ok := strings.Cut(raw, ":")
		if !ok || !validKey(key) {
			return nil, formatError(file, i+1, explain.T(fmt.Sprintf("%q is not `key: value`", clip(raw)), fmt.Sprintf("%q 不是 `键: 值` 的形式", clip(raw))),
				explain.T("each field starts with a lowercase key and a colon, e.g. `hint: Look at error.log`",
					"每个字段以小写的键加冒号开头，例如 `hint.zh: 看看 error.log`"))
		}
		f := field{Key: key, Line: i + 1}
		// The indented lines below belong to this field; so do blank lines
		// between them.
		var block []string
		j := i + 1
		for ; j < len(lines); j++ {
			l := strings.TrimRightFunc(lines[j], unicode.IsSpace)
			if l != "" && l[0] != ' ' && l[0] != '\t' {
				break
			}
			block = append(block, l)
		}
		for len(block) > 0 && block[len(block)-1] == "" {
			block = block[:len(block)-1]
			j--
		}
		i = j - 1
		f.Value = joinValue(strings.TrimSpace(head), dedent(block))
		f.ValueLine = f.Line
		if strings.TrimSpace(head) == "" {
			for k, l := range block {
				if l != "" {
					f.ValueLine = f.Line + 1 + k
					break
				}
			}
		}
		out = append(out, f)
	}
	return out, nil
}

// joinValue puts a value's head line and its dedented block together.
func joinValue(head string, block []string) string {
	lines := block
	if head != "" {
		lines = append([]string{head}, block...)
	}
	for len(lines) > 0 && lines[0] == "" {
		lines = lines[1:]
	}
	return strings.Join(lines, "\n")
}

// dedent removes the indentation the non-blank lines share.
func dedent(lines []string) []string {
	prefix := ""
	first := true
	for _, l := range lines {
		if l == "" {
			continue
		}
		ind := l[:len(l)-len(strings.TrimLeft(l, " \t"))]
		if first {
			prefix, first = ind, false
			continue
		}
		for !strings.HasPrefix(ind, prefix) {
			prefix = prefix[:len(prefix)-1]
		}
	}
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = strings.TrimPrefix(l, prefix)
	}
	return out
}

func validKey(k string) bool {
	name, lang, hasLang := strings.Cut(k, ".")
	if hasLang && lang != "zh" {
		return false
	}
	if name == "" || name[0] == '-' {
		return false
	}
	for _, c := range name {
		if (c < 'a' || c > 'z') && c != '-' {
			return false
		}
	}
	return true
}

// formatFields writes fields back as a lesson file that parseFields reads
// to the same keys and values.
func formatFields(fields []field) []byte {
	var b bytes.Buffer
	for i, f := range fields {
		if f.Key == "step" && i > 0 {
			b.WriteByte('\n')
		}
		writeField(&b, f.Key, f.Value)
	}
	return b.Bytes()
}

func writeField(b *bytes.Buffer, key, value string) {
	lines := strings.Split(value, "\n")
	if len(lines) == 1 {
		if value == "" {
			fmt.Fprintf(b, "%s:\n", key)
		} else {
			fmt.Fprintf(b, "%s: %s\n", key, value)
		}
		return
	}
	// The head line can stay beside the key when the lines below it are
	// not all indented (their dedent is then a no-op).
	if rest := lines[1:]; lines[0] != "" && strings.TrimLeftFunc(lines[0], unicode.IsSpace) == lines[0] && slices.Equal(dedent(rest), rest) {
		fmt.Fprintf(b, "%s: %s\n", key, lines[0])
		lines = rest
	} else {
		fmt.Fprintf(b, "%s:\n", key)
	}
	for _, l := range lines {
		if l == "" {
			b.WriteByte('\n')
		} else {
			b.WriteString("  " + l + "\n")
		}
	}
}

func firstInvalid(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(b)
}

func clip(s string) string {
	if utf8.RuneCountInString(s) <= 40 {
		return s
	}
	r := []rune(s)
	return string(r[:40]) + "…"
}

// formatError is a malformed lesson file: file and line, and the fix.
func formatError(file string, line int, what, try explain.Text) *explain.Error {
	return &explain.Error{
		What:  explain.T("lesson: "+what.EN, "课程："+what.ZH),
		Where: fmt.Sprintf("%s:%d", file, line),
		Why:   explain.T("the lesson file cannot be read", "无法读取课程文件"),
		Try:   try,
	}
}
