"""Where the test suite finds the real servers it uses, and what it does when one is absent.

A test that needs a server asks for it through ``require_service``: on a machine without
the server the test skips with the reason; with ``INVSYNC_REQUIRE_SERVICES=1`` (CI) the
same absence fails the test instead, so nothing can silently skip there.
"""

import os
import shutil
import socket
import subprocess
import time

import pytest

REDIS_URL = os.environ.get("INVSYNC_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
POSTGRES_URL = os.environ.get(
    "INVSYNC_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test"
)


def services_required() -> bool:
    return os.environ.get("INVSYNC_REQUIRE_SERVICES", "0") == "1"


def require_service(available: bool, reason: str) -> None:
    """Skip (or, in CI, fail) the calling test when a server it needs is not there."""
    if available:
        return
    if services_required():
        pytest.fail(f"{reason} (INVSYNC_REQUIRE_SERVICES=1, so this is a failure)")
    pytest.skip(reason)


def redis_available(url: str = REDIS_URL) -> tuple[bool, str]:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        return False, f"Redis at {url} is not reachable: {exc}"
    return True, ""


def free_port() -> int:
    """A TCP port nobody listens on at the moment (127.0.0.1)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivateRedis:
    """A redis-server of the test's own, on a free port, without persistence: stopping it
    disturbs nobody else, and a restart starts it empty (what the broker lost stays lost)."""

    def __init__(self, folder):
        binary = shutil.which("redis-server")
        require_service(binary is not None, "redis-server is not installed (needed to stop it)")
        self.binary, self.folder, self.port = binary, folder, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self, *, timeout: float = 10.0) -> None:
        options = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        options += ["--appendonly", "no", "--dir", str(self.folder)]
        self.process = subprocess.Popen(
            [self.binary, *options], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + timeout
        while not redis_available(self.url)[0]:
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"redis-server on port {self.port} did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        """SIGKILL: whatever it held is gone, as after a crash of a server without persistence."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
