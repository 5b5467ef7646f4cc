#!/usr/bin/env bash
# bench.sh: `hello` behind real nginx (1 worker, uwsgi_pass, keep-alive to the
# client), served once by webflow-lab's uWSGI-compatible server and once by
# real uWSGI 2.0 with the same Python app bytes (testdata/hello.py), both with
# --processes 2 --threads 2, measured with wrk -t2 -c32 -d10s --latency.
#
#   servers/uwsgi/testdata/bench.sh            (from the repository root)
#   DURATION=30s CONNS=64 servers/uwsgi/testdata/bench.sh
#   OURS_ENV="env GOMAXPROCS=1" servers/uwsgi/testdata/bench.sh
#   WFL=/tmp/wfl-portable servers/uwsgi/testdata/bench.sh   (a binary built
#       beforehand, e.g. go build -tags portable -o /tmp/wfl-portable ./cmd/webflow-lab)
#
# Besides wrk's figures it prints the CPU time each program used per request
# (from /proc), which stays meaningful on a machine busy with other work.
#
# Needs nginx, uwsgi (+ uwsgi-plugin-python3) and wrk. Everything binds to
# 127.0.0.1 and lives in a temporary directory removed at exit.
set -euo pipefail
cd "$(dirname "$0")/../../.."
for b in nginx uwsgi wrk go; do
	command -v "$b" >/dev/null || { echo "bench.sh: $b not in PATH" >&2; exit 1; }
done
DURATION=${DURATION:-10s}
CONNS=${CONNS:-32}
OURS=${OURS_PORT:-19501}
THEIRS=${THEIRS_PORT:-19502}
NGX_OURS=${NGX_OURS_PORT:-19511}
NGX_THEIRS=${NGX_THEIRS_PORT:-19512}
dir=$(mktemp -d /tmp/webflow-bench.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT

if [[ -n ${WFL:-} ]]; then
	cp "$WFL" "$dir/webflow-lab"
else
	go build -o "$dir/webflow-lab" ./cmd/webflow-lab
fi
cp assets/nginx/uwsgi_params "$dir/uwsgi_params"
mkdir -p "$dir/tmp"

${OURS_ENV:-} "$dir/webflow-lab" uwsgi --socket "127.0.0.1:$OURS" --wsgi-file hello --processes 2 --threads 2 --master \
	2>"$dir/ours.log" &
pids+=($!)
uwsgi --plugins python3 --socket "127.0.0.1:$THEIRS" --wsgi-file servers/uwsgi/testdata/hello.py \
	--processes 2 --threads 2 --master 2>"$dir/theirs.log" &
pids+=($!)

cat >"$dir/nginx.conf" <<CONF
user root;
worker_processes 1;
error_log $dir/error.log;
pid $dir/nginx.pid;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $dir/tmp;
	uwsgi_temp_path $dir/tmp;
	keepalive_timeout 65;
	keepalive_requests 100000;
	server { listen 127.0.0.1:$NGX_OURS;   location / { include uwsgi_params; uwsgi_pass 127.0.0.1:$OURS; } }
	server { listen 127.0.0.1:$NGX_THEIRS; location / { include uwsgi_params; uwsgi_pass 127.0.0.1:$THEIRS; } }
}
CONF
nginx -p "$dir" -c "$dir/nginx.conf" -g 'daemon off; master_process on;' &
pids+=($!)

for port in $OURS $THEIRS $NGX_OURS $NGX_THEIRS; do
	for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
done
check() { curl -sf "http://127.0.0.1:$1/" | grep -q 'Hello World' || { echo "bench.sh: port $1 does not answer Hello World" >&2; exit 1; }; }
check $NGX_OURS
check $NGX_THEIRS

# cpu_ticks PID...: user+system clock ticks used so far by each process and
# its children (uWSGI's master, workers and their threads).
cpu_ticks() {
	local total=0 p
	for p in "$@" $(for q in "$@"; do pgrep -P "$q"; done); do
		[[ -r /proc/$p/stat ]] || continue
		read -r -a f < <(sed 's/.*) //' "/proc/$p/stat")
		total=$((total + f[11] + f[12]))
	done
	echo "$total"
}
hz=$(getconf CLK_TCK)
nginx_pid=$(cat "$dir/nginx.pid")
declare -A server_pid=([webflow-lab]=${pids[0]} [uWSGI-2.0]=${pids[1]})

echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for run in "webflow-lab:$NGX_OURS" "uWSGI-2.0:$NGX_THEIRS"; do
	name=${run%%:*}
	port=${run##*:}
	wrk -t2 -c5 -d2s "http://127.0.0.1:$port/" >/dev/null # warm up
	echo "== $name behind nginx: wrk -t2 -c$CONNS -d$DURATION --latency http://127.0.0.1:$port/"
	s0=$(cpu_ticks "${server_pid[$name]}")
	n0=$(cpu_ticks "$nginx_pid")
	/usr/bin/time -f '%U %S' -o "$dir/wrk.cpu" wrk -t2 -c"$CONNS" -d"$DURATION" --latency "http://127.0.0.1:$port/" | tee "$dir/wrk.out"
	s1=$(cpu_ticks "${server_pid[$name]}")
	n1=$(cpu_ticks "$nginx_pid")
	reqs=$(awk '/requests in/ {print $1}' "$dir/wrk.out")
	read -r wu ws <"$dir/wrk.cpu"
	awk -v s=$((s1 - s0)) -v n=$((n1 - n0)) -v hz="$hz" -v r="$reqs" -v name="$name" -v w="$wu" -v ws="$ws" 'BEGIN {
		printf "CPU: %s %.2f s (%.1f µs/request), nginx %.2f s (%.1f µs/request), wrk %.2f s (%.1f µs/request)\n",
			name, s / hz, s / hz / r * 1e6, n / hz, n / hz / r * 1e6, w + ws, (w + ws) / r * 1e6 }'
done
echo "== nginx error.log (should be empty):"
cat "$dir/error.log"
