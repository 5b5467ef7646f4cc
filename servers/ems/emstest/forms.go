package emstest

import "github.com/chromedp/chromedp"

// The EMS's forms, filled in the way a learner does: key by key, so the
// page's ajax checks run as they would.

// CaptchaChecked waits for the ajax captcha check's "验证码正确". Its answer
// puts a line above the submit button (the empty message box is
// display:none), so a click sent while it is in flight can land where the
// button was a moment ago and submit nothing: the page then just sits
// there, no request ever leaves the browser, and the step times out.
var CaptchaChecked = Until(`document.querySelector('[data-error=captcha]').textContent === '验证码正确'`)

// FillRegister types a new account into the register form: username, real
// name, the password twice and the captcha's answer. It does not submit.
func FillRegister(username, realName, password string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		TypeIn(`input[name=username]`, username),
		TypeIn(`input[name=real_name]`, realName),
		TypeIn(`input[name=password]`, password),
		TypeIn(`input[name=password2]`, password),
		TypeIn(`input[name=captcha]`, Captcha),
	)
}

// FillEmployee types an employee into the add or edit form and picks the
// file avatar (a path) for upload. It does not submit.
func FillEmployee(name, salary, age, avatar string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		TypeIn(`input[name=name]`, name),
		TypeIn(`input[name=salary]`, salary),
		TypeIn(`input[name=age]`, age),
		chromedp.SetUploadFiles(chromedp.CSS(`input[name=avatar]`), []string{avatar}),
	)
}
