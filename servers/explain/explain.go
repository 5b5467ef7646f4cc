// Package explain is the error a learner reads: what failed, where, why, and
// what to try, in English and Simplified Chinese.
//
// Servers return *Error for anything a learner causes or can fix (a config
// mistake, a busy port, a dead peer). The CLI prints Block; the TUI renders the
// same fields; logs get the one-line Error().
//
//	proxy: no live peer for GET /employees
//	  where: nginx.conf:14  upstream ems (least_conn)
//	  why:   2 of 2 peers down; 127.0.0.1:9001: connection refused
//	  try:   revive an instance, or raise max_fails at nginx.conf:15
package explain

import (
	"fmt"
	"strings"
)

// Text is one message in both of the lab's languages.
type Text struct{ EN, ZH string }

// T makes a Text.
func T(en, zh string) Text { return Text{EN: en, ZH: zh} }

// In returns the text in lang ("zh" or anything else for English), falling
// back to English when there is no translation.
func (t Text) In(lang string) string {
	if strings.HasPrefix(lang, "zh") && t.ZH != "" {
		return t.ZH
	}
	return t.EN
}

// Error is a learner-facing error.
type Error struct {
	What  Text   // what failed, starting with the component: "uwsgi: chdir() failed"
	Where string // file:line, address or component instance; may be empty
	Why   Text   // the cause in plain words; may be empty
	Try   Text   // what to do about it; may be empty
	Err   error  // the underlying cause, for errors.Is/As
}

// Error returns the one-line form used in logs: what (where): why.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.What.EN)
	if e.Where != "" {
		fmt.Fprintf(&b, " (%s)", e.Where)
	}
	if e.Why.EN != "" {
		b.WriteString(": ")
		b.WriteString(e.Why.EN)
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Block renders the error as the four-line block shown on screen.
func (e *Error) Block(lang string) string {
	var b strings.Builder
	b.WriteString(e.What.In(lang))
	line := func(label, zh, v string) {
		if v == "" {
			return
		}
		if strings.HasPrefix(lang, "zh") {
			label = zh
		}
		fmt.Fprintf(&b, "\n  %s %s", label, v)
	}
	line("where:", "位置:", e.Where)
	line("why:  ", "原因:", e.Why.In(lang))
	line("try:  ", "建议:", e.Try.In(lang))
	return b.String()
}
