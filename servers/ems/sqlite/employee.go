package sqlite

import (
	"context"
	"database/sql"

	"webflow-lab/servers/ems"
)

var _ ems.EmployeeService = (*DB)(nil)

// orderBy maps each sortable column to fixed SQL text: ?sort= chooses among
// these strings and is never pasted into a statement. id breaks ties so pages
// never overlap.
var orderBy = map[string][2]string{
	ems.SortID:     {"id ASC", "id DESC"},
	ems.SortName:   {"name ASC, id ASC", "name DESC, id DESC"},
	ems.SortSalary: {"salary ASC, id ASC", "salary DESC, id DESC"},
	ems.SortAge:    {"age ASC, id ASC", "age DESC, id DESC"},
}

const employeeColumns = "id, name, salary, age, avatar, created_at, updated_at"

func scanEmployee(s interface{ Scan(...any) error }) (*ems.Employee, error) {
	var e ems.Employee
	var created, updated int64
	if err := s.Scan(&e.ID, &e.Name, &e.Salary, &e.Age, &e.Avatar, &created, &updated); err != nil {
		return nil, err
	}
	e.Created, e.Updated = fromMillis(created), fromMillis(updated)
	return &e, nil
}

// FindEmployee returns the employee with id.
func (db *DB) FindEmployee(ctx context.Context, id int64) (*ems.Employee, error) {
	const q = "SELECT " + employeeColumns + " FROM employees WHERE id = ?"
	var e *ems.Employee
	err := db.traced(ctx, q, []any{id}, func(d *sql.DB) (err error) {
		e, err = scanEmployee(d.QueryRowContext(ctx, q, id))
		return err
	})
	if err != nil {
		return nil, notFound(err, "员工")
	}
	return e, nil
}

// FindEmployees returns one page of employees and the total count.
func (db *DB) FindEmployees(ctx context.Context, f ems.EmployeeFilter) ([]*ems.Employee, int, error) {
	var total int
	if err := db.queryRow(ctx, "SELECT COUNT(*) FROM employees", nil, &total); err != nil {
		return nil, 0, err
	}
	order, ok := orderBy[f.Sort]
	if !ok {
		order = orderBy[ems.SortID]
	}
	dir := order[0]
	if f.Desc {
		dir = order[1]
	}
	limit := int64(f.Limit)
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	q := "SELECT " + employeeColumns + " FROM employees ORDER BY " + dir + " LIMIT ? OFFSET ?"
	var list []*ems.Employee
	err := db.query(ctx, q, []any{limit, max(f.Offset, 0)}, func(rows *sql.Rows) error {
		e, err := scanEmployee(rows)
		if err == nil {
			list = append(list, e)
		}
		return err
	})
	return list, total, err
}

// CreateEmployee validates e, inserts it and sets its ID and times.
func (db *DB) CreateEmployee(ctx context.Context, e *ems.Employee) error {
	if err := e.Validate(); err != nil {
		return err
	}
	t := now()
	res, err := db.exec(ctx, "INSERT INTO employees (name, salary, age, avatar, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
		[]any{e.Name, e.Salary, e.Age, e.Avatar, t, t})
	if err != nil {
		return err
	}
	if e.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	e.Created, e.Updated = fromMillis(t), fromMillis(t)
	return nil
}

// UpdateEmployee validates e and stores its fields.
func (db *DB) UpdateEmployee(ctx context.Context, e *ems.Employee) error {
	if err := e.Validate(); err != nil {
		return err
	}
	t := now()
	res, err := db.exec(ctx, "UPDATE employees SET name = ?, salary = ?, age = ?, avatar = ?, updated_at = ? WHERE id = ?",
		[]any{e.Name, e.Salary, e.Age, e.Avatar, t, e.ID})
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound(sql.ErrNoRows, "员工")
	}
	e.Updated = fromMillis(t)
	return nil
}

// DeleteEmployee deletes the employee with id.
func (db *DB) DeleteEmployee(ctx context.Context, id int64) error {
	res, err := db.exec(ctx, "DELETE FROM employees WHERE id = ?", []any{id})
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound(sql.ErrNoRows, "员工")
	}
	return nil
}
