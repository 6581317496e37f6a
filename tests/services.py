"""Where the test suite finds the real servers it uses, and what it does when one is absent.

A test that needs a server asks for it through ``require_service``: on a machine without
the server the test skips with the reason; with ``INVSYNC_REQUIRE_SERVICES=1`` (CI) the
same absence fails the test instead, so nothing can silently skip there.
"""

import os

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
