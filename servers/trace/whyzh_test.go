package trace_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestEveryWhyHasWhyZH parses the module's non-test Go files and fails for
// each trace.Event composite literal that sets Why to something other than
// "" but sets no WhyZH: a learner reading the lab in Chinese would see that
// reason in English. An event whose Why is assigned after the literal
// (e.Why = …) is not seen here.
func TestEveryWhyHasWhyZH(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found at %s: %v", root, err)
	}
	fset := token.NewFileSet()
	var missing []string
	files := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		files++
		for _, lit := range eventLiterals(f) {
			if whyWithoutZH(lit) {
				p := fset.Position(lit.Pos())
				rel, _ := filepath.Rel(root, p.Filename)
				missing = append(missing, filepath.ToSlash(rel)+":"+strconv.Itoa(p.Line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 {
		t.Fatalf("parsed only %d files under %s: is the walk right?", files, root)
	}
	if len(missing) > 0 {
		t.Errorf("%d trace.Event literal(s) set Why but no WhyZH:\n\t%s", len(missing), strings.Join(missing, "\n\t"))
	}
}

// eventLiterals returns the trace.Event composite literals in f: trace.Event{…}
// under the name f imports servers/trace as, Event{…} in package trace
// itself, and elements whose type is elided inside []trace.Event{…} and
// the like.
func eventLiterals(f *ast.File) []*ast.CompositeLit {
	local := ""
	if f.Name.Name == "trace" {
		local = "." // Event{…} in the package itself
	}
	for _, imp := range f.Imports {
		if p, _ := strconv.Unquote(imp.Path.Value); p == "webflow-lab/servers/trace" {
			local = "trace"
			if imp.Name != nil {
				local = imp.Name.Name
			}
		}
	}
	if local == "" || local == "_" {
		return nil
	}
	isEvent := func(x ast.Expr) bool {
		for {
			if s, ok := x.(*ast.StarExpr); ok {
				x = s.X
				continue
			}
			break
		}
		switch x := x.(type) {
		case *ast.SelectorExpr:
			id, ok := x.X.(*ast.Ident)
			return ok && id.Name == local && x.Sel.Name == "Event"
		case *ast.Ident:
			return local == "." && x.Name == "Event"
		}
		return false
	}
	// elemIsEvent says whether the elements of a literal of type x are Events.
	elemIsEvent := func(x ast.Expr) bool {
		switch x := x.(type) {
		case *ast.ArrayType:
			return isEvent(x.Elt)
		case *ast.MapType:
			return isEvent(x.Value)
		}
		return false
	}
	var out []*ast.CompositeLit
	ast.Inspect(f, func(n ast.Node) bool {
		lit, ok := n.(*ast.CompositeLit)
		if !ok {
			return true
		}
		if isEvent(lit.Type) {
			out = append(out, lit)
		}
		if elemIsEvent(lit.Type) {
			for _, el := range lit.Elts {
				if kv, ok := el.(*ast.KeyValueExpr); ok {
					el = kv.Value
				}
				if u, ok := el.(*ast.UnaryExpr); ok && u.Op == token.AND {
					el = u.X
				}
				if c, ok := el.(*ast.CompositeLit); ok && c.Type == nil {
					out = append(out, c)
				}
			}
		}
		return true
	})
	return out
}

// whyWithoutZH says whether lit sets Why to something but "" and sets no WhyZH.
func whyWithoutZH(lit *ast.CompositeLit) bool {
	why, zh := false, false
	for _, el := range lit.Elts {
		kv, ok := el.(*ast.KeyValueExpr)
		if !ok {
			continue // positional fields: not used for Event
		}
		key, ok := kv.Key.(*ast.Ident)
		if !ok {
			continue
		}
		switch key.Name {
		case "Why":
			if b, ok := kv.Value.(*ast.BasicLit); ok && b.Kind == token.STRING {
				if s, err := strconv.Unquote(b.Value); err == nil && s == "" {
					continue
				}
			}
			why = true
		case "WhyZH":
			zh = true
		}
	}
	return why && !zh
}
