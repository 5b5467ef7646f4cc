package i18n

import (
	"strings"
	"testing"
)

func TestCatalogHasBothLanguages(t *testing.T) {
	for _, k := range Keys() {
		e := catalog[k]
		if e.en == "" && k != "phase.info" {
			t.Errorf("%s: no English", k)
		}
		if e.zh == "" && k != "phase.info" {
			t.Errorf("%s: no Chinese", k)
		}
		if strings.Count(e.en, "%") != strings.Count(e.zh, "%") {
			t.Errorf("%s: %d verbs in English, %d in Chinese", k, strings.Count(e.en, "%"), strings.Count(e.zh, "%"))
		}
	}
}

func TestFromLookup(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want Lang
	}{
		{"nothing set", nil, EN},
		{"LANG zh_CN", map[string]string{"LANG": "zh_CN.UTF-8"}, ZH},
		{"LC_ALL wins over LANG", map[string]string{"LC_ALL": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}, EN},
		{"LC_MESSAGES before LANG", map[string]string{"LC_MESSAGES": "zh_TW", "LANG": "C"}, ZH},
		{"C locale", map[string]string{"LANG": "C"}, EN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FromLookup(func(k string) string { return tt.env[k] }); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestMissingKeyShows(t *testing.T) {
	if got := EN.T("no.such.key"); got != "[no.such.key]" {
		t.Errorf("got %q, want [no.such.key]", got)
	}
}

func TestStrategy(t *testing.T) {
	for _, c := range []struct {
		name   string
		en, zh string
	}{
		{"round robin", "round robin", "轮询"},
		{"weight", "weight", "加权轮询"},
		{"ip_hash", "ip_hash", "ip_hash"},
		{"least_conn", "least_conn", "least_conn"},
	} {
		if got := EN.Strategy(c.name); got != c.en {
			t.Errorf("EN.Strategy(%q) = %q, want %q", c.name, got, c.en)
		}
		if got := ZH.Strategy(c.name); got != c.zh {
			t.Errorf("ZH.Strategy(%q) = %q, want %q", c.name, got, c.zh)
		}
	}
}
