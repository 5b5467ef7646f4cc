package config

// A Directive is one nginx directive as written: `name arg ...;` or
// `name arg ... { ... }`, with where it was read (after include expansion).
type Directive struct {
	Name  string
	Args  []string     // arguments after quote and escape processing
	Block []*Directive // nil for a simple directive; non-nil (maybe empty) for a block
	File  string       // file the directive was read from
	Line  int          // 1-based line of the directive's name

	// EndLine is the line of the ";" or "{" that ended the directive. nginx
	// reports errors about a directive at this line, not at its name.
	EndLine int
}

// IsBlock reports whether d was written with { }.
func (d *Directive) IsBlock() bool { return d.Block != nil }
