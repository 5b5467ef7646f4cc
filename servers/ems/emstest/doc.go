// Package emstest is test support for the EMS, used by the tests of
// servers/ems/web and sim: a browser and an HTTP client that walk the EMS's
// pages the way a learner's browser does. Like net/http/httptest it is an
// ordinary package that only tests import.
//
// Client is a browser without the rendering: a cookie jar, redirects shown
// rather than followed, the CSRF token read from the page's form, and the
// register and login walks (page, captcha image, POST). Result is what one
// request answered.
//
// Page is a real headless Chromium tab (github.com/chromedp/chromedp), for
// what only a browser shows: the ajax checks, the stylesheet applied, the
// avatar decoded. NewPage skips the test, saying why, when Chromium is not
// installed at ChromiumPath or does not start. Until, At, TypeIn, Click and
// the other actions are steps for Page.Do; FillRegister and FillEmployee
// fill in the EMS's own forms. PNG makes a small real image to upload as an
// avatar.
//
// Both expect the EMS to run with the fixed captcha (EMS_CAPTCHA=fixed:1234,
// the lab's setting for predictable checks), whose answer is Captcha.
package emstest
