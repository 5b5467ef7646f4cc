// Package ini reads a uWSGI configuration exactly as uWSGI 2.0 does: ini
// files, command-line flags and UWSGI_* environment variables, into one
// ordered option list, then into a typed Config.
//
// # What the real thing is
//
// uWSGI (github.com/unbit/uwsgi) keeps every option it reads, from whatever
// source, in one list (exported_opts), in the order read. An ini file is read
// whole; magic variables such as %d (the file's directory, with a trailing
// '/') are replaced in the raw text; then each line is trimmed and taken
// apart by rules far simpler than most ini parsers (core/ini.c):
//
//   - only a line that STARTS with ';' or '#' is a comment. There are no
//     inline comments: "http = :9000 # web" has the value ":9000 # web";
//   - "[name]" opens a section named by everything after '[' minus the last
//     character, so "[uwsgi] # main" opens a section called "uwsgi] # ";
//   - any other line splits at its first '='; quotes are kept.
//
// After every source is read, $(ENV), @(file) and %(option) placeholders are
// expanded (%(name) is the FIRST option called name), and each option is
// applied by its setter: single values last-wins, lists keep every entry,
// numbers through C's atoi ("2 # two" is 2), switches false only for
// false/off/no/0, addresses split at the last ':'.
//
// The inline-comment trap is the course's most common failure, and it is
// real here: Config holds what uWSGI would hold (a UNIX socket named
// "/tmp/app.sock # x", a master that is on after "master = false ; no"), and
// Notes explains every such line in English and Chinese, with the fix.
// Explain renders the whole list, line by line, for --explain and lessons.
//
// # What this version leaves out
//
// Only ini files are read (not xml, yaml, json or http:// configs); the
// logic options (if-env, for, …), declare-option, inherit and blacklists are
// accepted and ignored, with a note; shared sockets ("=0") and fd:// sockets
// are read as ordinary addresses. Plugins are not loaded: the lab
// behaves like pip's uWSGI, with the python and http plugins built in, so
// their options are always known. Options uWSGI has but the lab does not act
// on are accepted and listed in Notes. The option names and their argument
// kinds come from uWSGI 2.0.21 (uwsgiopts.go).
package ini
