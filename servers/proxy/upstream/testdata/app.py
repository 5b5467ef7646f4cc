# A WSGI app for the interop test against real uWSGI.
def application(environ, start_response):
    path = environ.get('PATH_INFO', '')
    if path == '/raise':
        raise RuntimeError('boom: an exception before start_response')
    if path == '/half':
        start_response('200 OK', [('Content-Type', 'text/plain')])
        raise RuntimeError('boom: an exception after start_response')
    body = environ['wsgi.input'].read()
    out = ('%s %s ' % (environ['REQUEST_METHOD'], path)).encode('latin-1') + body
    start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', str(len(out)))])
    return [out]
