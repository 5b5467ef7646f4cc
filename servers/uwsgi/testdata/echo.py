# echo.py: the Python twin of webflow-lab's built-in `echo` app (wsgi.Echo).
# It answers with the environ it received as JSON, in the same shape:
#   {"environ": {every str key except wsgi.* and uwsgi.*}, "wsgi": {...},
#    "body": {"length": N, "sha256": "..."}}
# Values arrive as latin-1-decoded str (PEP 3333); they are turned back into
# their bytes and read as UTF-8, as Go keeps them, so the two can be compared.
# Run it under real uWSGI: uwsgi --plugins python3 --socket :9001 --wsgi-file echo.py
import hashlib
import json


def application(environ, start_response):
    h = hashlib.sha256()
    n = 0
    inp = environ['wsgi.input']
    while True:
        chunk = inp.read(65536)
        if not chunk:
            break
        h.update(chunk)
        n += len(chunk)
    env = {}
    for k in sorted(environ):
        v = environ[k]
        if isinstance(v, str) and not k.startswith(('wsgi.', 'uwsgi.')):
            env[k] = v.encode('latin-1').decode('utf-8', 'replace')
    reply = {
        "environ": env,
        "wsgi": {
            "version": list(environ['wsgi.version']),
            "url_scheme": environ['wsgi.url_scheme'],
            "multithread": environ['wsgi.multithread'],
            "multiprocess": environ['wsgi.multiprocess'],
            "run_once": environ['wsgi.run_once'],
        },
        "body": {"length": n, "sha256": h.hexdigest()},
    }
    out = (json.dumps(reply, indent=2, ensure_ascii=False) + "\n").encode('utf-8')
    start_response('200 OK', [('Content-Type', 'application/json'),
                              ('Content-Length', str(len(out)))])
    return [out]
