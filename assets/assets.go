// Package assets holds the files the lab ships and copies into a learner's
// workspace: nginx configs and the stock uwsgi_params (nginx/), uWSGI ini
// files (uwsgi/), and the EMS's templates and static files (ems/).
package assets

import "embed"

// FS is every shipped file, by path below assets/.
//
//go:embed nginx uwsgi ems
var FS embed.FS
