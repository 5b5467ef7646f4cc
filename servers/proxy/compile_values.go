package proxy

import (
	"strings"
	"time"

	"webflow-lab/servers/proxy/config"
)

// The compile step's value parsers: one per kind of nginx "set" slot
// (ngx_conf_set_flag_slot, _size_slot, _off_slot, _msec_slot, _sec_slot,
// _num_slot), each reading a directive's only argument with the config
// package's parsers (config.ParseSize is ngx_parse_size, config.ParseTime
// ngx_parse_time …, the same ones `-t` checks with) and failing with
// nginx's own message. Parse has already checked the values of a loaded
// config; these errors are for configurations built by hand.

// oneArg returns d's only argument.
func oneArg(d *config.Directive) (string, error) {
	if len(d.Args) != 1 {
		return "", errAt(d, "invalid number of arguments in \"%s\" directive", d.Name)
	}
	return d.Args[0], nil
}

// flagArg is ngx_conf_set_flag_slot: "on" or "off", any case.
func flagArg(d *config.Directive) (bool, error) {
	a, err := oneArg(d)
	if err != nil {
		return false, err
	}
	switch {
	case strings.EqualFold(a, "on"):
		return true, nil
	case strings.EqualFold(a, "off"):
		return false, nil
	}
	return false, errAt(d, "invalid value \"%s\" in \"%s\" directive, it must be \"on\" or \"off\"", a, d.Name)
}

// sizeArg is ngx_conf_set_size_slot: 1024, 8k, 1m.
func sizeArg(d *config.Directive) (int64, error) {
	return parsedArg(d, config.ParseSize)
}

// offsetArg is ngx_conf_set_off_slot: a size that may also be 1g
// (client_max_body_size).
func offsetArg(d *config.Directive) (int64, error) {
	return parsedArg(d, config.ParseOffset)
}

// msecArg is ngx_conf_set_msec_slot: 500ms, 60s, 1m30s; a bare number is
// seconds.
func msecArg(d *config.Directive) (time.Duration, error) {
	return parsedArg(d, config.ParseTime)
}

// numArg is ngx_conf_set_num_slot: decimal digits, no sign.
func numArg(d *config.Directive) (int, error) {
	a, err := oneArg(d)
	if err != nil {
		return 0, err
	}
	n, err := config.ParseNumber(a)
	if err != nil {
		return 0, errAt(d, "\"%s\" directive invalid number", d.Name)
	}
	return int(n), nil
}

func parsedArg[T any](d *config.Directive, parse func(string) (T, error)) (T, error) {
	var zero T
	a, err := oneArg(d)
	if err != nil {
		return zero, err
	}
	v, err := parse(a)
	if err != nil {
		return zero, errAt(d, "\"%s\" directive invalid value", d.Name)
	}
	return v, nil
}
