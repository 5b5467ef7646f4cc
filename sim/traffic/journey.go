package traffic

import (
	"fmt"
	"strings"

	"webflow-lab/servers/explain"
)

// A Step is one thing a user does on the EMS, as the course walks it.
type Step uint8

const (
	Open     Step = iota + 1 // open the login page: the page, its CSS and JS, and the captcha
	Register                 // the register page, then submit it (captcha answered)
	Login                    // the login page, then submit it; the browser registers first if it never has
	List                     // the employee list, with every avatar on it
	Add                      // the add form, then submit an employee with an avatar (multipart upload)
	Edit                     // the edit form of the employee this browser added last (or the list's first), then submit it
	Delete                   // the delete confirmation of that employee, then confirm
	Logout                   // submit the logout form
)

var stepNames = [...]string{Open: "open", Register: "register", Login: "login", List: "list", Add: "add", Edit: "edit", Delete: "delete", Logout: "logout"}

func (s Step) String() string {
	if int(s) < len(stepNames) && stepNames[s] != "" {
		return stepNames[s]
	}
	return fmt.Sprintf("step(%d)", s)
}

// A Journey is the steps a browser walks, in order: "login-list".
type Journey []Step

func (j Journey) String() string {
	names := make([]string, len(j))
	for i, s := range j {
		names[i] = s.String()
	}
	return strings.Join(names, "-")
}

// Journeys are the named walks a spec can use besides a list of steps.
var Journeys = map[string]Journey{
	"full": {Register, Login, List, Add, Edit, Delete, Logout},
}

var journeyTry = explain.T(
	"join steps with dashes, e.g. `journey login-list` or `journey register-login-add-edit-delete-logout`; steps: open register login list add edit delete logout; or `journey full`",
	"用短横线连接步骤，如 `journey login-list` 或 `journey register-login-add-edit-delete-logout`；可用步骤：open register login list add edit delete logout；或 `journey full`")

// ParseJourney reads "login-list" or a named journey ("full").
func ParseJourney(text string) (Journey, *lineErr) {
	if j, ok := Journeys[strings.ToLower(text)]; ok {
		return append(Journey(nil), j...), nil
	}
	parts := strings.Split(text, "-")
	if len(parts) > maxSteps {
		return nil, &lineErr{explain.T(fmt.Sprintf("journey of %d steps", len(parts)), fmt.Sprintf("journey 有 %d 步", len(parts))),
			explain.T(fmt.Sprintf("a journey has at most %d steps", maxSteps), fmt.Sprintf("一个 journey 最多 %d 步", maxSteps)), journeyTry}
	}
	var j Journey
	for _, p := range parts {
		s := stepNamed(p)
		if s == 0 {
			return nil, &lineErr{explain.T(fmt.Sprintf("journey %q: no step %q", text, p), fmt.Sprintf("journey %q：没有步骤 %q", text, p)),
				explain.T("a journey is made of the EMS's steps", "journey 由 EMS 的步骤组成"), journeyTry}
		}
		j = append(j, s)
	}
	return j, nil
}

func stepNamed(name string) Step {
	for i, n := range stepNames {
		if n != "" && strings.EqualFold(n, name) {
			return Step(i)
		}
	}
	return 0
}
