#!/bin/sh
# wrk.sh: real nginx 1.22.1 (worker_processes 1) and webflow-lab proxy
# (GOMAXPROCS=1, one thread of Go code at a time: the fair match for one
# single-threaded nginx worker) on the same files and the same app server,
# measured in alternation so machine noise hits both alike.
#
#   go build -o /tmp/wfl ./cmd/webflow-lab
#   sh servers/proxy/testdata/bench/wrk.sh /tmp/wfl [rounds] [seconds]
#   CASES=app/hello sh servers/proxy/testdata/bench/wrk.sh /tmp/wfl 5 5   (one case)
#   WORKERS=2 sh servers/proxy/testdata/bench/wrk.sh /tmp/wfl   (nginx worker_processes 2, ours
#                                                    GOMAXPROCS=2: each at its default here)
#
# Prints req/s per run and the median ratio ours/nginx per case.
set -eu
WFL=${1:?path to the webflow-lab binary}
ROUNDS=${2:-5}
SECS=${3:-5}
WORKERS=${WORKERS:-1}
D=$(mktemp -d /tmp/wfl-bench.XXXXXX)
OURS= APP=
# the app server stops on SIGINT (SIGTERM is uWSGI 2.0's brutal reload)
trap 'kill $OURS 2>/dev/null; kill -INT $APP 2>/dev/null; kill $(cat $D/nginx.pid 2>/dev/null) 2>/dev/null; rm -rf $D' EXIT
chmod 755 "$D"
mkdir -p "$D/html" "$D/logs"
head -c 1024 /dev/urandom > "$D/html/1k.bin"
head -c 102400 /dev/urandom > "$D/html/100k.bin"
conf() { # port
cat <<CONF
user root;
events { worker_connections 4096; }
http {
    sendfile on;    # as in Debian's nginx.conf and the lab's; ours writev()s files up to 256 KB, sendfile()s larger
    access_log logs/access-$1.log;
    error_log logs/error-$1.log;
    server {
        listen 127.0.0.1:$1;
        root $D/html;
        location /app/ { include $D/uwsgi_params; uwsgi_pass 127.0.0.1:18411; }
    }
}
CONF
}
cat > "$D/uwsgi_params" <<'P'
uwsgi_param  QUERY_STRING       $query_string;
uwsgi_param  REQUEST_METHOD     $request_method;
uwsgi_param  CONTENT_TYPE       $content_type;
uwsgi_param  CONTENT_LENGTH     $content_length;
uwsgi_param  REQUEST_URI        $request_uri;
uwsgi_param  PATH_INFO          $document_uri;
uwsgi_param  DOCUMENT_ROOT      $document_root;
uwsgi_param  SERVER_PROTOCOL    $server_protocol;
uwsgi_param  REQUEST_SCHEME     $scheme;
uwsgi_param  HTTPS              $https if_not_empty;
uwsgi_param  REMOTE_ADDR        $remote_addr;
uwsgi_param  REMOTE_PORT        $remote_port;
uwsgi_param  SERVER_PORT        $server_port;
uwsgi_param  SERVER_NAME        $server_name;
P
conf 18401 > "$D/nginx.conf"
conf 18402 > "$D/ours.conf"
nginx -p "$D" -c "$D/nginx.conf" -g "daemon on; master_process on; worker_processes $WORKERS; pid $D/nginx.pid;"
GOMAXPROCS=$WORKERS "$WFL" proxy -c "$D/ours.conf" -p "$D" > "$D/ours.out" 2>&1 &
OURS=$!
"$WFL" uwsgi --socket 127.0.0.1:18411 --wsgi-file hello --processes 2 --threads 8 --listen 1024 > "$D/uwsgi.out" 2>&1 &
APP=$!
sleep 1
# cpu "PID...": user+system CPU ticks (1/100 s) of the processes, all threads.
cpu() { for p in $1; do cat /proc/$p/stat; done | awk '{t += $14+$15} END {print t}'; }
NGINX_WORKER=$(pgrep -P "$(cat "$D/nginx.pid")" | tr '\n' ' ')
# run URL PID: req/s, and the server's CPU microseconds per request, which
# other load on the machine disturbs far less than req/s.
run() {
    c0=$(cpu "$2")
    out=$(wrk -t1 -c50 -d"${SECS}s" "$1")
    c1=$(cpu "$2")
    n=$(echo "$out" | awk '/requests in/ {print $1}')
    r=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    echo "$r $(( (c1 - c0) * 10000 / n ))"
}
for case in ${CASES:-1k.bin 100k.bin app/hello}; do
    ratios="" cpuratios=""
    for i in $(seq "$ROUNDS"); do
        set -- $(run "http://127.0.0.1:18401/$case" "$NGINX_WORKER") $(run "http://127.0.0.1:18402/$case" "$OURS")
        r=$(echo "$3 $1" | awk '{printf "%.2f", $1/$2}')
        c=$(echo "$2 $4" | awk '{ if ($2 == 0) print "inf"; else printf "%.2f", $1/$2}')
        echo "$case round $i: nginx $1 req/s ${2}us cpu/req, ours $3 req/s ${4}us cpu/req; req/s ratio $r, cpu efficiency ratio $c"
        ratios="$ratios $r" cpuratios="$cpuratios $c"
    done
    med() { echo $* | tr ' ' '\n' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
    echo "$case median req/s ratio (ours/nginx): $(med $ratios); median CPU-efficiency ratio (nginx cpu/req ÷ ours): $(med $cpuratios)"
done
echo "ours RSS: $(ps -o rss= -p $OURS) KiB"
