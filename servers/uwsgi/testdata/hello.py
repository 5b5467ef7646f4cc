# hello.py: the Python twin of webflow-lab's built-in `hello` app (wsgi.Hello):
# the same status, headers and bytes, for the benchmark against real uWSGI.
def application(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', '12')])
    return [b'Hello World\n']
