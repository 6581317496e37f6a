"""gunicorn settings for the invsync web process (Docker and supervisord alike).

Read by ``gunicorn -c deploy/gunicorn.conf.py invsync.wsgi``; every value can be changed
through the environment without editing this file (or a NAME_FILE), read through the
registry of settings, invsync/envvars.py, which holds the defaults.
"""

import ipaddress
import re
import socket
import time

from gunicorn.glogging import Logger

from invsync.envvars import read

bind = read("GUNICORN_BIND")
workers = read("GUNICORN_WORKERS")
threads = read("GUNICORN_THREADS")
# The admin's slowest page (a large import or a run's progress) answers well inside this;
# full syncs never run in the web process, they are Celery tasks.
timeout = read("GUNICORN_TIMEOUT")
graceful_timeout = 30
# Recycle workers now and then so a slow leak in a long-lived process cannot grow unbounded.
max_requests = 1000
max_requests_jitter = 100
accesslog = "-"
errorlog = "-"
loglevel = read("LOG_LEVEL").lower()

# The proxies whose X-Forwarded-Proto (-Ssl, -Protocol) is believed: IP addresses, or host
# names such as the compose service "proxy" (looked up again every 30 s, so a recreated
# container's new address counts). From any other client those headers are dropped before
# Django sees them, so USE_X_FORWARDED_PROTO=1 cannot be abused by a client that reaches
# gunicorn directly to pass for https.
TRUSTED_PROXIES = [
    entry.strip() for entry in read("GUNICORN_FORWARDED_ALLOW_IPS").split(",") if entry.strip()
]
SCHEME_HEADERS = {"X-FORWARDED-PROTO", "X-FORWARDED-PROTOCOL", "X-FORWARDED-SSL"}
LOOKUP_SECONDS = 30.0
_looked_up: dict[str, tuple[float, set[str]]] = {}


def _is_address(entry: str) -> bool:
    try:
        ipaddress.ip_address(entry)
    except ValueError:
        return False
    return True


# gunicorn's own check takes addresses only; pre_request below has the last word.
forwarded_allow_ips = ",".join(e for e in TRUSTED_PROXIES if _is_address(e) or e == "*")


def _addresses_of(name: str) -> set[str]:
    """The addresses a host name has now (cached for LOOKUP_SECONDS); none if unknown."""
    now = time.monotonic()
    cached = _looked_up.get(name)
    if cached and now - cached[0] < LOOKUP_SECONDS:
        return cached[1]
    try:
        found = {info[4][0] for info in socket.getaddrinfo(name, None)}
    except OSError:
        found = set()
    _looked_up[name] = (now, found)
    return found


def trusted_peer(peer_addr) -> bool:
    """Whether a request from this peer may say which scheme the client used."""
    if not isinstance(peer_addr, tuple):
        return True  # a unix socket: only local processes reach it
    address = peer_addr[0]
    for entry in TRUSTED_PROXIES:
        if entry in ("*", address):
            return True
        if not _is_address(entry) and address in _addresses_of(entry):
            return True
    return False


def pre_request(worker, req):
    """gunicorn hook, before the request reaches Django: a trusted proxy's X-Forwarded-Proto
    sets the scheme; anyone else's scheme headers are dropped and the scheme is the socket's."""
    if trusted_peer(req.peer_addr):
        proto = dict(req.headers).get("X-FORWARDED-PROTO", "").strip().lower()
        if proto in ("http", "https"):
            req.scheme = proto
        return
    req.headers = [(name, value) for name, value in req.headers if name not in SCHEME_HEADERS]
    req.scheme = "https" if worker.cfg.is_ssl else "http"


# The run and report pages ask for their progress every 2 s while they are open: those
# answers stay out of the access log (errors are still logged), which would otherwise hold
# little else.
QUIET_PATHS = re.compile(r"^/admin/integrations/(syncrun|stockreport)/[^/]+/progress/$")


class AccessLogger(Logger):
    """gunicorn's logger, without the successful progress polls in the access log."""

    def access(self, resp, req, environ, request_time):
        if QUIET_PATHS.match(req.path or "") and (resp.status_code or 0) < 400:
            return
        super().access(resp, req, environ, request_time)


logger_class = AccessLogger
