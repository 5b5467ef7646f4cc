package web

import (
	"bytes"
	"image"
	_ "image/gif" // registers GIF for image.DecodeConfig
	_ "image/jpeg"
	_ "image/png"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"webflow-lab/servers/ems"
)

// The employee list's page size: 10 by default (Django's Paginator(…, 10)),
// or ?per_page= one of pageSizes, so a learner can ask for every employee on
// one page and watch what a heavier request costs.
const perPage = 10

var pageSizes = []int{10, 50, 100, 1000}

// A listState is what the list's links carry: page, sort column, direction, page size.
type listState struct {
	page int
	sort string
	desc bool
	per  int
}

// maxAvatarSide bounds an avatar's pixels: DecodeConfig reads only the
// header, so a tiny file claiming 60000×60000 is refused before anyone decodes it.
const maxAvatarSide = 4096

// A sortLink is one column header of the list.
type sortLink struct {
	Label  string
	URL    string
	Active bool
	Desc   bool
}

// A listRow is one employee as the list shows it. The view prepares every
// row's text and links (as a Django view annotates its queryset), so the
// template only prints fields: with 1,000 rows on a page, a function call per
// cell in the template is what would cost the time.
type listRow struct {
	ID                 int64
	Name, Salary       string
	Age                int
	Avatar, Initial    string // the avatar's URL, or the letter shown without one
	EditURL, DeleteURL string
}

func (a *App) listRows(list []*ems.Employee) []listRow {
	rows := make([]listRow, len(list))
	for i, e := range list {
		rows[i] = listRow{
			ID: e.ID, Name: e.Name, Salary: formatThousands(e.Salary), Age: e.Age, Initial: initial(e.Name),
			EditURL: a.router.mustReverse("employee_edit", e.ID), DeleteURL: a.router.mustReverse("employee_delete", e.ID),
		}
		if e.Avatar != "" {
			rows[i].Avatar = a.mediaURL(e.Avatar)
		}
	}
	return rows
}

// A pageLink is one item of the paginator.
type pageLink struct {
	Number  int
	URL     string
	Current bool
	Gap     bool
}

func (a *App) employeeList(r *request) (*response, error) {
	if _, resp, err := a.requireUser(r); resp != nil || err != nil {
		return resp, err
	}
	sort := r.query.Get("sort")
	if !ems.ValidSort(sort) {
		sort = ems.SortID
	}
	desc := r.query.Get("dir") == "desc"
	page, _ := strconv.Atoi(r.query.Get("page"))
	page = max(page, 1)
	per, _ := strconv.Atoi(r.query.Get("per_page"))
	if !slices.Contains(pageSizes, per) {
		per = perPage
	}
	at := func(page int) string { return a.listURL(listState{page, sort, desc, per}) }
	list, total, err := a.employees.FindEmployees(a.dbctx(r), ems.EmployeeFilter{Sort: sort, Desc: desc, Offset: (page - 1) * per, Limit: per})
	if err != nil {
		return nil, err
	}
	pages := max((total+per-1)/per, 1)
	if page > pages && total > 0 {
		return redirect(at(pages)), nil
	}
	labels := map[string]string{ems.SortID: "编号 ID", ems.SortName: "姓名 Name", ems.SortSalary: "工资 Salary", ems.SortAge: "年龄 Age"}
	var cols []sortLink
	for _, c := range ems.SortColumns {
		active := c == sort
		// Clicking the active column flips its direction; another starts ascending.
		cols = append(cols, sortLink{Label: labels[c], URL: a.listURL(listState{1, c, active && !desc, per}), Active: active, Desc: desc})
	}
	var links []pageLink
	for n := 1; n <= pages; n++ {
		if n == 1 || n == pages || n >= page-2 && n <= page+2 {
			links = append(links, pageLink{Number: n, URL: at(n), Current: n == page})
		} else if len(links) > 0 && !links[len(links)-1].Gap {
			links = append(links, pageLink{Gap: true})
		}
	}
	var sizes []pageLink
	for _, n := range pageSizes {
		sizes = append(sizes, pageLink{Number: n, URL: a.listURL(listState{1, sort, desc, n}), Current: n == per})
	}
	values := map[string]any{
		"employees": a.listRows(list), "total": total, "page": page, "pages": pages,
		"columns": cols, "links": links, "sizes": sizes,
		"first": (page-1)*per + 1, "last": (page-1)*per + len(list),
	}
	if page > 1 {
		values["prev"] = at(page - 1)
	}
	if page < pages {
		values["next"] = at(page + 1)
	}
	return a.render(r, 200, "employee_list.html", values)
}

func (a *App) listURL(st listState) string {
	q := url.Values{}
	if st.page > 1 {
		q.Set("page", strconv.Itoa(st.page))
	}
	if st.per != perPage {
		q.Set("per_page", strconv.Itoa(st.per))
	}
	if st.sort != ems.SortID {
		q.Set("sort", st.sort)
	}
	if st.desc {
		q.Set("dir", "desc")
	}
	u := a.router.mustReverse("employee_list")
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// employeeForm reads name, salary, age and the avatar from the POST into e,
// collecting field errors. The avatar is checked but not yet saved.
func (a *App) employeeForm(r *request, e *ems.Employee, errs formErrors) (avatar []byte, ext string, err error) {
	e.Name = r.form.Get("name")
	num := func(field, zh string) int64 {
		v := strings.TrimSpace(r.form.Get(field))
		n, perr := strconv.ParseInt(v, 10, 64)
		if perr != nil {
			errs.add(ems.Errorf(ems.EINVALID, field, "请输入整数："+zh, field+" must be a whole number"))
		}
		return n
	}
	e.Salary = num("salary", "工资")
	e.Age = int(max(min(num("age", "年龄"), 1000), -1000))
	if err := e.Validate(); err != nil {
		if err := errs.add(err); err != nil {
			return nil, "", err
		}
	}
	if r.file != nil {
		cfg, format, derr := image.DecodeConfig(bytes.NewReader(r.file.data))
		switch {
		case derr != nil:
			errs.add(ems.Errorf(ems.EINVALID, "avatar", "请上传 PNG、JPEG 或 GIF 图片", "avatar must be a PNG, JPEG or GIF image"))
		case cfg.Width > maxAvatarSide || cfg.Height > maxAvatarSide || cfg.Width == 0 || cfg.Height == 0:
			errs.add(ems.Errorf(ems.EINVALID, "avatar", "图片尺寸须在 4096×4096 以内", "avatar must be at most 4096×4096"))
		default:
			ext = map[string]string{"png": ".png", "jpeg": ".jpg", "gif": ".gif"}[format]
			avatar = r.file.data
		}
	}
	return avatar, ext, nil
}

// saveAvatar writes an upload under MEDIA_ROOT/avatars/ with a random name
// (never the client's) and returns its path relative to MEDIA_ROOT. It
// writes a temporary file and renames it, so a reader never sees half an image.
func (a *App) saveAvatar(data []byte, ext string) (string, error) {
	dir := filepath.Join(a.cfg.MediaRoot, "avatars")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	name := randomID()[:20] + ext
	tmp, err := os.CreateTemp(dir, ".upload-*")
	if err != nil {
		return "", err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return "", err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return "", err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return "", err
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, name)); err != nil {
		os.Remove(tmp.Name())
		return "", err
	}
	return "avatars/" + name, nil
}

// removeAvatar deletes a stored avatar; only names saveAvatar made are touched.
func (a *App) removeAvatar(rel string) {
	if rel == "" || !strings.HasPrefix(rel, "avatars/") || strings.Contains(rel, "..") {
		return
	}
	os.Remove(filepath.Join(a.cfg.MediaRoot, filepath.FromSlash(rel)))
}

func (a *App) employeeAdd(r *request) (*response, error) {
	if _, resp, err := a.requireUser(r); resp != nil || err != nil {
		return resp, err
	}
	values := map[string]any{"errors": formErrors{}, "form": map[string]string{}, "adding": true}
	if r.method != "POST" {
		return a.render(r, 200, "employee_form.html", values)
	}
	e := &ems.Employee{}
	errs := formErrors{}
	data, ext, err := a.employeeForm(r, e, errs)
	if err != nil {
		return nil, err
	}
	if len(errs) > 0 {
		values["errors"], values["form"] = errs, formValues(r)
		return a.render(r, 200, "employee_form.html", values)
	}
	if data != nil {
		if e.Avatar, err = a.saveAvatar(data, ext); err != nil {
			return nil, err
		}
	}
	if err := a.employees.CreateEmployee(a.dbctx(r), e); err != nil {
		a.removeAvatar(e.Avatar)
		return nil, err
	}
	// A value passed through the session, shown once on the next page.
	a.flash(r, "success", "已添加员工「"+e.Name+"」")
	// A redirect carrying path parameters: redirect("employee_edit", id=e.ID).
	return redirect(a.router.mustReverse("employee_edit", e.ID)), nil
}

func formValues(r *request) map[string]string {
	return map[string]string{"name": r.form.Get("name"), "salary": r.form.Get("salary"), "age": r.form.Get("age")}
}

// employeeFromPath loads the employee named by the <int:id> route parameter.
func (a *App) employeeFromPath(r *request) (*ems.Employee, error) {
	id, err := strconv.ParseInt(r.params["id"], 10, 64)
	if err != nil {
		return nil, ems.Errorf(ems.ENOTFOUND, "", "员工不存在", "employee not found")
	}
	return a.employees.FindEmployee(a.dbctx(r), id)
}

func (a *App) employeeEdit(r *request) (*response, error) {
	if _, resp, err := a.requireUser(r); resp != nil || err != nil {
		return resp, err
	}
	e, err := a.employeeFromPath(r)
	if err != nil {
		return nil, err
	}
	values := map[string]any{"employee": e, "errors": formErrors{}, "form": map[string]string{
		"name": e.Name, "salary": strconv.FormatInt(e.Salary, 10), "age": strconv.Itoa(e.Age)}}
	if r.method != "POST" {
		return a.render(r, 200, "employee_form.html", values)
	}
	old := e.Avatar
	errs := formErrors{}
	data, ext, err := a.employeeForm(r, e, errs)
	if err != nil {
		return nil, err
	}
	if len(errs) > 0 {
		values["errors"], values["form"] = errs, formValues(r)
		return a.render(r, 200, "employee_form.html", values)
	}
	if data != nil {
		if e.Avatar, err = a.saveAvatar(data, ext); err != nil {
			return nil, err
		}
	}
	if err := a.employees.UpdateEmployee(a.dbctx(r), e); err != nil {
		if e.Avatar != old {
			a.removeAvatar(e.Avatar)
		}
		return nil, err
	}
	if e.Avatar != old {
		a.removeAvatar(old)
	}
	a.flash(r, "success", "已保存员工「"+e.Name+"」")
	return redirect(a.router.mustReverse("employee_list")), nil
}

// employeeDelete shows a confirmation page on GET and deletes on POST:
// a GET never changes data (a prefetching browser or crawler could follow it).
func (a *App) employeeDelete(r *request) (*response, error) {
	if _, resp, err := a.requireUser(r); resp != nil || err != nil {
		return resp, err
	}
	e, err := a.employeeFromPath(r)
	if err != nil {
		return nil, err
	}
	if r.method != "POST" {
		return a.render(r, 200, "employee_confirm_delete.html", map[string]any{"employee": e})
	}
	if err := a.employees.DeleteEmployee(a.dbctx(r), e.ID); err != nil {
		return nil, err
	}
	a.removeAvatar(e.Avatar)
	a.flash(r, "success", "已删除员工「"+e.Name+"」")
	return redirect(a.router.mustReverse("employee_list")), nil
}
