// Package i18n is the TUI's catalog: every word on screen in English and
// Simplified Chinese, in the course's own terms (GLOSSARY.md). Technical names
// (nginx, uWSGI, upstream, ip_hash) stay as they are, as the course keeps them.
//
// The screen asks for a key and gets the text in the current language; a key
// missing from the catalog shows as itself in brackets, and a test checks that
// every key used by the screens has both languages.
package i18n

import (
	"fmt"
	"os"
	"strings"
)

// Lang is a language of the screen: EN or ZH.
type Lang string

const (
	EN Lang = "en"
	ZH Lang = "zh"
)

// Parse reads a --lang value or a locale ("zh_CN.UTF-8", "en_US", "C"):
// anything starting with "zh" is Chinese, anything else English.
func Parse(s string) Lang {
	if strings.HasPrefix(strings.ToLower(s), "zh") {
		return ZH
	}
	return EN
}

// FromEnv picks the language from the locale, as setlocale does: LC_ALL,
// then LC_MESSAGES, then LANG; English when none is set.
func FromEnv() Lang { return FromLookup(os.Getenv) }

// FromLookup is FromEnv reading variables through getenv (tests pass a map).
func FromLookup(getenv func(string) string) Lang {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := getenv(k); v != "" {
			return Parse(v)
		}
	}
	return EN
}

// Other returns the other language: what the language key switches to.
func (l Lang) Other() Lang {
	if l == ZH {
		return EN
	}
	return ZH
}

// T returns the text of key in l.
func (l Lang) T(key string) string {
	e, ok := catalog[key]
	if !ok {
		return "[" + key + "]"
	}
	if l == ZH {
		return e.zh
	}
	return e.en
}

// F formats the text of key in l with args, as fmt.Sprintf.
func (l Lang) F(key string, args ...any) string { return fmt.Sprintf(l.T(key), args...) }

// Pick returns en or zh by l, for texts that arrive in both languages
// (explain.Text, an event's Why and WhyZH); an empty zh falls back to en.
func (l Lang) Pick(en, zh string) string {
	if l == ZH && zh != "" {
		return zh
	}
	return en
}

// Code returns "en" or "zh", what explain.Text.In takes.
func (l Lang) Code() string { return string(l) }

// Keys lists the catalog's keys, for tests.
func Keys() []string {
	out := make([]string, 0, len(catalog))
	for k := range catalog {
		out = append(out, k)
	}
	return out
}

type entry struct{ en, zh string }

// Strategy names an upstream's balancing strategy as the lab reports it
// ("round robin", "weight", "ip_hash", …) in l: Chinese gives the course's
// terms for the two it translates (轮询, 加权轮询) and keeps the directives'
// own names, as the course does.
func (l Lang) Strategy(name string) string {
	if l == ZH {
		switch name {
		case "round robin":
			return "轮询"
		case "weight":
			return "加权轮询"
		}
	}
	return name
}
