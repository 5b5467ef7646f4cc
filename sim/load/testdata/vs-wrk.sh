#!/bin/sh
# vs-wrk.sh: `webflow-lab bench` and wrk side by side on the same URL at the
# same concurrency, in alternating rounds so that the machine's noise hits
# both alike:
#
#   static   a 9.6 KB static file (the EMS's style.css) through real nginx
#            (worker_processes 1)
#   ems      the EMS's employee list through the lab (webflow-lab serve),
#            logged in: the page, the session read from SQLite, the template
#
#   go build -o /tmp/wfl ./cmd/webflow-lab
#   sh sim/load/testdata/vs-wrk.sh /tmp/wfl [rounds] [seconds]
#   CASES="static:10 static:50 ems:10" sh sim/load/testdata/vs-wrk.sh /tmp/wfl 5 5
#
# For each case (name:connections) it prints every round's req/s, p50 and p99
# for both tools (bench's as measured, and as wrk would print them: wrk
# corrects its histogram before printing, see Histogram.CorrectedLikeWrk),
# then the medians and bench's req/s as a fraction of wrk's.
# wrk runs with one thread and bench with GOMAXPROCS=1 (its default on two
# cores when the target is this machine), so each leaves the server the same
# CPUs. It exits 1 when a median ratio falls outside 0.8–1.2, and 0 with a
# note when wrk, nginx or curl is not installed.
set -eu
WFL=${1:?path to the webflow-lab binary}
ROUNDS=${2:-5}
SECS=${3:-5}
CASES=${CASES:-static:10 static:50 ems:10}
for b in wrk nginx curl; do
    if ! command -v $b >/dev/null 2>&1; then
        echo "vs-wrk.sh: $b is not installed: nothing measured"
        exit 0
    fi
done
HERE=$(cd "$(dirname "$0")/../../.." && pwd)
D=$(mktemp -d /tmp/wfl-vs-wrk.XXXXXX)
SERVE=
cleanup() {
    [ -n "$SERVE" ] && kill -INT "$SERVE" 2>/dev/null && wait "$SERVE" 2>/dev/null
    [ -f "$D/nginx.pid" ] && kill "$(cat "$D/nginx.pid")" 2>/dev/null
    rm -rf "$D"
}
trap cleanup EXIT
chmod 755 "$D"

freeport() { # a loopback port nothing listens on (from 20000 + $1 up)
    p=$((20000 + $1))
    while curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$p/" 2>/dev/null || [ $? -ne 7 ]; do p=$((p + 1)); done
    echo $p
}

# us converts wrk's and bench's latencies (812.00us, 1.25ms, 2.01s) to microseconds.
us() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) print n; else if (v ~ /ms$/) print n * 1000; else if (v ~ /s$/) print n * 1000000; else print n }'; }
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

NGINX_PORT=$(freeport 1)
mkdir -p "$D/html" "$D/logs"
cp "$HERE/assets/ems/static/ems/css/style.css" "$D/html/style.css"
cat > "$D/nginx.conf" <<CONF
user root;
worker_processes 1;
pid $D/nginx.pid;
error_log $D/logs/error.log;
events { worker_connections 4096; }
http {
    include /etc/nginx/mime.types;
    sendfile on;
    access_log $D/logs/access.log;
    server { listen 127.0.0.1:$NGINX_PORT; root $D/html; }
}
CONF
nginx -p "$D" -c "$D/nginx.conf"

LAB_PORT=$(freeport 100)
APP_PORT=$(freeport 200)
"$WFL" serve --workspace "$D/ws" --port "$LAB_PORT" --app-port "$APP_PORT" --quiet >"$D/serve.log" 2>&1 &
SERVE=$!
i=0
until curl -s -o /dev/null "http://127.0.0.1:$LAB_PORT/login/"; do
    i=$((i + 1)); [ $i -gt 100 ] && { cat "$D/serve.log"; exit 1; }
    sleep 0.1
done
# A user with a session, as a browser logs in: the captcha fixed for it and
# drawn (the session keeps what it drew), the CSRF token read from each form.
"$WFL" ctl --workspace "$D/ws" captcha fixed:1234 >/dev/null
J="$D/jar"
token() {
    curl -s -b "$J" -c "$J" "http://127.0.0.1:$LAB_PORT$1" | sed -n 's/.*name="csrfmiddlewaretoken" value="\([^"]*\)".*/\1/p' | head -1
    curl -s -o /dev/null -b "$J" -c "$J" "http://127.0.0.1:$LAB_PORT/captcha.png"
}
T=$(token /register/)
curl -s -o /dev/null -b "$J" -c "$J" -e "http://127.0.0.1:$LAB_PORT/register/" \
    --data "csrfmiddlewaretoken=$T&username=bench&real_name=bench&password=webflow-lab&password2=webflow-lab&captcha=1234" \
    "http://127.0.0.1:$LAB_PORT/register/"
T=$(token /login/)
curl -s -o /dev/null -b "$J" -c "$J" -e "http://127.0.0.1:$LAB_PORT/login/" \
    --data "csrfmiddlewaretoken=$T&username=bench&password=webflow-lab&captcha=1234" "http://127.0.0.1:$LAB_PORT/login/"
SID=$(awk '$6 == "sessionid" { print $7 }' "$J")
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: sessionid=$SID" "http://127.0.0.1:$LAB_PORT/employees/")
[ "$code" = 200 ] || { echo "vs-wrk.sh: logging in failed: /employees/ answered $code"; exit 1; }

status=0
echo "$ROUNDS rounds of ${SECS}s each; wrk -t1, bench GOMAXPROCS=1"
for c in $CASES; do
    name=${c%%:*}; conns=${c##*:}
    case $name in
    static) url="http://127.0.0.1:$NGINX_PORT/style.css"; hdr="X-Bench: 1" ;;
    ems) url="http://127.0.0.1:$LAB_PORT/employees/"; hdr="Cookie: sessionid=$SID" ;;
    *) echo "unknown case $name"; exit 2 ;;
    esac
    echo
    echo "== $name: $url, $conns connections"
    printf '%-6s %12s %10s %10s %12s %10s %10s %10s %10s\n' round "wrk req/s" p50 p99 "bench req/s" p50 p99 "wrk-p50" "wrk-p99"
    : >"$D/$name.wrk"; : >"$D/$name.bench"
    for r in $(seq "$ROUNDS"); do
        wrk -t1 -c"$conns" -d"${SECS}s" --latency -H "$hdr" "$url" >"$D/wrk.out"
        w_rps=$(awk '/^Requests\/sec:/ { print $2 }' "$D/wrk.out")
        w_p50=$(us "$(awk '$1 == "50%" { print $2 }' "$D/wrk.out")")
        w_p99=$(us "$(awk '$1 == "99%" { print $2 }' "$D/wrk.out")")
        LC_ALL=C GOMAXPROCS=1 "$WFL" bench "$url" -c "$conns" -d "${SECS}s" -H "$hdr" >"$D/bench.out"
        b_rps=$(awk '$1 == "Requests/sec:" { print $2 }' "$D/bench.out")
        b_p50=$(us "$(awk '$1 == "p50" { print $2 }' "$D/bench.out")")
        b_p99=$(us "$(awk '$1 == "p50" { print $6 }' "$D/bench.out")")
        # bench's percentiles as wrk prints its own (wrk corrects them first)
        b_wp50=$(us "$(awk '/as wrk prints them/ { print $9 }' "$D/bench.out")")
        b_wp99=$(us "$(awk '/as wrk prints them/ { print $13 }' "$D/bench.out")")
        printf '%-6s %12.0f %8.0fus %8.0fus %12.0f %8.0fus %8.0fus %8.0fus %8.0fus\n' "$r" "$w_rps" "$w_p50" "$w_p99" "$b_rps" "$b_p50" "$b_p99" "$b_wp50" "$b_wp99"
        echo "$w_rps $w_p50 $w_p99" >>"$D/$name.wrk"
        echo "$b_rps $b_p50 $b_p99 $(awk -v b="$b_rps" -v w="$w_rps" 'BEGIN { print b / w }') $b_wp50 $b_wp99" >>"$D/$name.bench"
    done
    m() { awk "{ print \$$2 }" "$1" | median; }
    ratio=$(m "$D/$name.bench" 4)
    printf '%-6s %12.0f %8.0fus %8.0fus %12.0f %8.0fus %8.0fus %8.0fus %8.0fus   bench/wrk req/s: median of the rounds %.2f\n' median \
        "$(m "$D/$name.wrk" 1)" "$(m "$D/$name.wrk" 2)" "$(m "$D/$name.wrk" 3)" \
        "$(m "$D/$name.bench" 1)" "$(m "$D/$name.bench" 2)" "$(m "$D/$name.bench" 3)" "$(m "$D/$name.bench" 5)" "$(m "$D/$name.bench" 6)" "$ratio"
    if awk -v r="$ratio" 'BEGIN { exit !(r < 0.8 || r > 1.2) }'; then
        echo "   outside ±20%"
        status=1
    fi
done
exit $status
