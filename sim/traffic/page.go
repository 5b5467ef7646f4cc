package traffic

import (
	"io"
	"net/url"
	"strings"

	"golang.org/x/net/html"
)

// What a browser finds in a page: the resources it loads at once, the
// forms a user can submit, and the error messages the page shows. The page
// is read with golang.org/x/net/html's tokenizer, the HTML5 tokenizing
// algorithm a browser runs (entities, unquoted attributes, comments and
// <script> bodies handled as a browser handles them), not with regular
// expressions.

// A Kind is what a request is for, as a browser's network panel names it.
type Kind uint8

const (
	Document   Kind = iota + 1 // a page opened (GET) or a redirect followed
	Form                       // a form submitted (POST)
	Stylesheet                 // <link rel=stylesheet>
	Script                     // <script src>
	Image                      // <img src>
	Captcha                    // the captcha image (<img class=captcha>)
	Icon                       // <link rel=icon>
	Plain                      // a request on its own, without its page's resources (a spec's "100 GET …")
)

var kindNames = [...]string{Document: "document", Form: "form", Stylesheet: "stylesheet", Script: "script", Image: "img", Captcha: "captcha", Icon: "icon", Plain: "fetch"}

func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "kind?"
}

type resource struct {
	url  string // as written in the page, resolved later against the page's URL
	kind Kind
}

type field struct{ name, value, typ string }

type form struct {
	action, method, enctype string
	fields                  []field
}

type page struct {
	resources []resource
	forms     []form
	errors    []string // the text of visible .form-error / .field-error elements
	servedBy  string   // the EMS footer's "served by <b>uwsgi-1</b>"
	links     []string // every <a href>, in order
}

// parsePage reads an HTML page.
func parsePage(r io.Reader) page {
	var p page
	z := html.NewTokenizer(r)
	var cur *form
	var errDepth, depth int // inside a visible error element: its depth
	var errText strings.Builder
	inFooter, inServedBy := false, false
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return p
		case html.TextToken:
			if errDepth > 0 {
				errText.Write(z.Text())
			}
			if inServedBy {
				p.servedBy += string(z.Text())
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "form":
				cur = nil
			case "footer":
				inFooter = false
			case "b":
				inServedBy = false
			}
			if isVoid(string(name)) {
				continue
			}
			if errDepth > 0 && depth == errDepth {
				if s := strings.TrimSpace(errText.String()); s != "" {
					p.errors = append(p.errors, s)
				}
				errDepth = 0
				errText.Reset()
			}
			depth--
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			a := map[string]string{}
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				if _, dup := a[string(k)]; !dup { // the first of a repeated attribute wins, as in HTML5
					a[string(k)] = string(v)
				}
			}
			tag := string(name)
			if tt == html.StartTagToken && !isVoid(tag) {
				depth++
				if errDepth == 0 && hasClass(a["class"], "form-error", "field-error") {
					if _, hidden := a["hidden"]; !hidden {
						errDepth = depth
					}
				}
			}
			switch tag {
			case "link":
				rel := strings.ToLower(a["rel"])
				switch {
				case hasClass(rel, "stylesheet") && a["href"] != "":
					p.resources = append(p.resources, resource{a["href"], Stylesheet})
				case hasClass(rel, "icon") && a["href"] != "":
					p.resources = append(p.resources, resource{a["href"], Icon})
				}
			case "script":
				if a["src"] != "" {
					p.resources = append(p.resources, resource{a["src"], Script})
				}
			case "img":
				if a["src"] != "" {
					k := Image
					if hasClass(a["class"], "captcha") {
						k = Captcha
					}
					p.resources = append(p.resources, resource{a["src"], k})
				}
			case "a":
				if a["href"] != "" {
					p.links = append(p.links, a["href"])
				}
			case "form":
				p.forms = append(p.forms, form{action: a["action"], method: strings.ToUpper(a["method"]), enctype: a["enctype"]})
				cur = &p.forms[len(p.forms)-1]
			case "input", "textarea", "select", "button":
				if cur != nil && a["name"] != "" {
					cur.fields = append(cur.fields, field{a["name"], a["value"], strings.ToLower(a["type"])})
				}
			case "footer":
				inFooter = true
			case "b":
				inServedBy = inFooter && p.servedBy == ""
			}
		}
	}
}

// isVoid: elements with no end tag (HTML's void elements).
func isVoid(tag string) bool {
	switch tag {
	case "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr":
		return true
	}
	return false
}

// hasClass reports whether the space-separated list has any of names.
func hasClass(list string, names ...string) bool {
	for _, c := range strings.Fields(list) {
		for _, n := range names {
			if strings.EqualFold(c, n) {
				return true
			}
		}
	}
	return false
}

// formWith returns the page's first form whose action starts with prefix
// (or any form when prefix is "").
func (p page) formWith(prefix string) (form, bool) {
	for _, f := range p.forms {
		u, err := url.Parse(f.action)
		if err == nil && strings.HasPrefix(u.Path, prefix) {
			return f, true
		}
	}
	return form{}, false
}

// values returns the form's fields with their page values (hidden fields
// such as the CSRF token included), then sets the ones in set.
func (f form) values(set map[string]string) url.Values {
	v := url.Values{}
	for _, fl := range f.fields {
		switch fl.typ {
		case "submit", "button", "file", "reset", "image":
			continue
		case "checkbox", "radio":
			continue // none in the EMS's forms
		}
		v.Set(fl.name, fl.value)
	}
	for k, x := range set {
		v.Set(k, x)
	}
	return v
}
