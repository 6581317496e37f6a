"""Docker health check of the web container: does Django answer over HTTP?

It asks gunicorn for the admin's login page with a Host header Django accepts (the first
of ALLOWED_HOSTS) and the X-Forwarded-Proto header a TLS proxy would add. 200 is healthy,
and so is a redirect: with SECURE_SSL_REDIRECT on and the proxy header not trusted,
Django's answer is a redirect to https, which still proves the application is serving.
Standard library only, because the check runs every few seconds in the container.
"""

import http.client
import os
import sys

HEALTHY = {200, 301, 302}


def pick_host(allowed_hosts: str) -> str:
    """Return a host name that ALLOWED_HOSTS accepts, for the Host header."""
    for item in allowed_hosts.split(","):
        host = item.strip().lstrip(".")
        if host and host != "*":
            return host
    return "localhost"


def check(address: str, host: str) -> int:
    """Return the HTTP status of the login page at address (host:port)."""
    connection = http.client.HTTPConnection(address, timeout=5)
    try:
        connection.request(
            "GET", "/admin/login/", headers={"Host": host, "X-Forwarded-Proto": "https"}
        )
        return connection.getresponse().status
    finally:
        connection.close()


def setting(name: str, default: str) -> str:
    """NAME_FILE's contents, else NAME, else the default (as invsync/env.py reads them)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip()
    return os.environ.get(name, default)


def main() -> int:
    """Exit 0 when the web process answers, 1 otherwise."""
    address = setting("HEALTHCHECK_ADDRESS", "127.0.0.1:8000")
    host = pick_host(setting("ALLOWED_HOSTS", "localhost"))
    try:
        status = check(address, host)
    except OSError as exc:
        print(f"web is not answering at {address}: {exc}")
        return 1
    if status not in HEALTHY:
        print(f"web answered {status} for Host {host}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
