import shutil

import pytest
from django.db import connection

from tests.services import REDIS_URL, PrivateRedis, redis_available, require_service

pytest_plugins = [
    "tests.fixtures.ledger",
    "tests.fixtures.integrations",
    "tests.fixtures.orders",
    "tests.fixtures.ratelimit",
    "tests.fixtures.http",
    "prestashop_sim.pytest_plugin",
]


@pytest.fixture
def redis_url(tmp_path):
    """URL of a real, empty Redis database of this test's own.

    A redis-server started for the test (on a free port, no persistence) where the binary
    is installed: other processes using INVSYNC_TEST_REDIS_URL (another test run, a cron
    line's worker) neither see its keys nor flush them. Without the binary, the database at
    INVSYNC_TEST_REDIS_URL, flushed before and after the test.
    """
    import redis

    if shutil.which("redis-server"):
        server = PrivateRedis(tmp_path)
        server.start()
        yield server.url
        server.stop()
        return
    ok, reason = redis_available()
    require_service(ok, reason)
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield REDIS_URL
    client.flushdb()


@pytest.fixture(autouse=True)
def _postgres_only(request):
    """Tests marked postgres_only need PostgreSQL as the database (row locks, threads)."""
    if request.node.get_closest_marker("postgres_only"):
        require_service(
            connection.vendor == "postgresql",
            f"needs PostgreSQL, the database is {connection.vendor} "
            "(set DATABASE_URL, or run scripts/test.sh)",
        )


@pytest.fixture(autouse=True)
def _fresh_rate_limiters():
    """In-process limiter state must not leak between tests (SQLite reuses ids)."""
    from integrations.ratelimit import forget_local_states

    forget_local_states()
    yield
    forget_local_states()
