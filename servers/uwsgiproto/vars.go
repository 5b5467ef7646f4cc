package uwsgiproto

// A Var is one key/value pair of a vars block. Bytes are opaque: Python's
// plugin decodes them as latin-1, Go keeps them as they came.
type Var struct{ Key, Value string }

// Vars is a vars block in wire order. Duplicate keys are legal (nginx ≤ 1.22
// sends one HTTP_X per repeated header).
type Vars []Var

// Get returns the value of the last var named key, as a Python dict built
// from the block would hold it.
func (vs Vars) Get(key string) (string, bool) {
	for i := len(vs) - 1; i >= 0; i-- {
		if vs[i].Key == key {
			return vs[i].Value, true
		}
	}
	return "", false
}
