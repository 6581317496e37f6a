"""A WSGI app for tests of deploy/gunicorn.conf.py: it answers with the X-Forwarded-Proto
it was given and the scheme gunicorn reported, with the status asked by ?status=."""


def app(environ, start_response):
    status = environ.get("QUERY_STRING", "").partition("status=")[2] or "200"
    body = f"{environ.get('HTTP_X_FORWARDED_PROTO', '-')} {environ['wsgi.url_scheme']}".encode()
    headers = [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))]
    start_response(f"{status} Probe", headers)
    return [body]
