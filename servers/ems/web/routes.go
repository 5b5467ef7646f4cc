package web

// routes is the EMS's urls.py. Every link, form action and redirect is
// built from these names with url / reverse.
func routes() []*route {
	return []*route{
		{name: "home", pattern: "/", methods: "GET", view: (*App).home},
		{name: "login", pattern: "/login/", methods: "GET POST", view: (*App).login},
		{name: "register", pattern: "/register/", methods: "GET POST", view: (*App).register},
		{name: "logout", pattern: "/logout/", methods: "POST", view: (*App).logout},
		{name: "captcha", pattern: "/captcha.png", methods: "GET", view: (*App).captcha},
		{name: "check_username", pattern: "/api/check-username/", methods: "GET", view: (*App).checkUsername},
		{name: "check_captcha", pattern: "/api/check-captcha/", methods: "POST", view: (*App).checkCaptcha},
		{name: "employee_list", pattern: "/employees/", methods: "GET", view: (*App).employeeList},
		{name: "employee_add", pattern: "/employees/add/", methods: "GET POST", view: (*App).employeeAdd},
		{name: "employee_edit", pattern: "/employees/<int:id>/edit/", methods: "GET POST", view: (*App).employeeEdit},
		{name: "employee_delete", pattern: "/employees/<int:id>/delete/", methods: "GET POST", view: (*App).employeeDelete},
	}
}
