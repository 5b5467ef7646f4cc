// Package traffic makes the lab's traffic: virtual browsers that walk the
// EMS the way its users do, and the spec format lessons and demos write
// traffic in.
//
// A virtual Browser is a real HTTP client with its own cookie jar and its
// own loopback source address (user N connects from 127.0.N.1), so nginx's
// ip_hash and the EMS's sessions see different users, as with real people.
// nginx's ip_hash hashes only the first three bytes of an IPv4 address, so
// 127.0.0.2 and 127.0.0.3 would be one user to it; 127.0.1.1, 127.0.2.1, …
// differ where it looks. A page costs what it costs a browser: the HTML,
// then every stylesheet, script and image it names (the captcha too), each
// one request; forms are read from the page and submitted with their hidden
// fields, redirects followed one request at a time. Where the system cannot
// bind 127.0.N.1 (macOS without aliases), every browser uses 127.0.0.1 and
// Addresses says so; the source port still tells the browsers apart.
//
// A journey is a list of Steps (open the login page, register, log in,
// list, add an employee with an avatar, edit, delete, log out); walking
// one gives a typed list of every request, its status, its duration and
// its error. The captcha is answered the way the EMS's tests answer it:
// the lab's instances run with EMS_CAPTCHA=fixed:CODE and the browser is
// told CODE. The real captcha is a picture for a person; no browser here
// reads pictures.
//
// The spec format is documented on Spec and in the README.
package traffic
