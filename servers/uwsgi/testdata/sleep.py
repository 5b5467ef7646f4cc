# sleep.py: the Python twin of webflow-lab's built-in `sleep` app (uwsgi.Sleep):
# every request takes SLEEP_MS milliseconds (env = SLEEP_MS=50), then answers.
import os
import time

MS = int(os.environ.get('SLEEP_MS', '50'))
BODY = ('slept %dms\n' % MS).encode()


def application(environ, start_response):
    time.sleep(MS / 1000.0)
    start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', str(len(BODY)))])
    return [BODY]
