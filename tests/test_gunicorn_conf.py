"""deploy/gunicorn.conf.py in a real gunicorn: X-Forwarded-Proto believed from the trusted
proxies only (issue 15: a client reaching the port directly could claim https), and the run
and report pages' progress polls kept out of the access log."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 60
PROGRESS = "/admin/integrations/syncrun/5/progress/"
REPORT_PROGRESS = "/admin/integrations/stockreport/3/progress/"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def start_gunicorn(tmp_path):
    """start(trusted) -> base URL of gunicorn with the project's config and a probe app; the
    access log (its stdout) is read with .log()."""
    started = []

    def start(trusted: str) -> str:
        port = free_port()
        env = {
            **os.environ,
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_WORKERS": "1",
            "GUNICORN_FORWARDED_ALLOW_IPS": trusted,
        }
        log = (tmp_path / f"gunicorn-{port}.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py",
             "tests.wsgi_probe:app"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        started.append((process, log))
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            try:
                requests.get(f"{url}/ready", timeout=2)
                return url
            except requests.ConnectionError:
                assert process.poll() is None, Path(log.name).read_text()
                time.sleep(0.1)
        pytest.fail("gunicorn did not answer")

    start.log = lambda: "".join(Path(log.name).read_text() for _, log in started)
    yield start
    for process, log in started:
        process.terminate()
        process.wait(timeout=START_TIMEOUT)
        log.close()


def scheme_seen(url: str) -> str:
    return requests.get(f"{url}/x", headers={"X-Forwarded-Proto": "https"}, timeout=10).text


def test_a_client_that_is_not_the_proxy_cannot_claim_https(start_gunicorn):
    url = start_gunicorn("10.9.8.7")  # the proxy lives elsewhere; this test is a direct client

    assert scheme_seen(url) == "- http"


def test_the_trusted_proxy_named_by_host_name_is_believed(start_gunicorn):
    url = start_gunicorn("localhost")  # as the compose file names the "proxy" service

    assert scheme_seen(url) == "https https"


def test_successful_progress_polls_stay_out_of_the_access_log(start_gunicorn):
    url = start_gunicorn("127.0.0.1")
    for _ in range(5):
        assert requests.get(f"{url}{PROGRESS}", timeout=10).status_code == 200
        assert requests.get(f"{url}{REPORT_PROGRESS}", timeout=10).status_code == 200
    requests.get(f"{url}{PROGRESS}?status=500", timeout=10)
    requests.get(f"{url}/admin/integrations/syncrun/5/change/", timeout=10)
    deadline = time.monotonic() + START_TIMEOUT  # the log line follows the answer
    while "/change/" not in start_gunicorn.log() and time.monotonic() < deadline:
        time.sleep(0.1)

    lines = [line for line in start_gunicorn.log().splitlines() if '"GET ' in line]
    assert [line.split('"')[1] for line in lines if "/ready" not in line] == [
        f"GET {PROGRESS}?status=500 HTTP/1.1",
        "GET /admin/integrations/syncrun/5/change/ HTTP/1.1",
    ]
