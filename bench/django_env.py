"""A throwaway Django environment for a benchmark: a temporary database, no real services.

Without DATABASE_URL the benchmark migrates a fresh SQLite file in a temporary directory.
With a PostgreSQL DATABASE_URL it creates a new database on that server (named
invsync_bench_<random>) and drops it afterwards; the database named in the URL is never
written to. var/invsync.sqlite3 and the project's broker folder are never touched.
"""

import contextlib
import os
import secrets
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def django_environment(*, database_url: str = "", services: dict | None = None) -> Iterator[str]:
    """Set the environment, create and migrate a temporary database, yield its description.

    ``services`` overrides the environment set here (e.g. a Redis broker and limiter for a
    benchmark with real workers).
    """
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    with (
        tempfile.TemporaryDirectory(prefix="invsync-bench-") as tmp,
        _database(database_url, Path(tmp)) as (url, description),
    ):
        os.environ.update(
            {
                "DJANGO_SETTINGS_MODULE": "invsync.settings",
                "DATABASE_URL": url,
                "INVSYNC_VAR_DIR": tmp,  # the broker folder and static root go here
                "CELERY_BROKER_URL": "memory://localhost/",  # the benchmark runs the chunks
                "INVSYNC_REDIS_URL": "",  # the in-process limiter, shared by the threads
                "DEBUG": "0",
                "INVSYNC_INSECURE_DEV_KEY": "1",
                "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
                **(services or {}),
            }
        )
        os.environ.pop("DATABASE_TEST_NAME", None)
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0, interactive=False)
        try:
            yield description
        finally:
            from django.db import connections

            connections.close_all()


@contextlib.contextmanager
def _database(database_url: str, tmp: Path) -> Iterator[tuple[str, str]]:
    scheme = urlsplit(database_url).scheme if database_url else ""
    if scheme.startswith("postgres"):
        with _temporary_postgres(database_url) as result:
            yield result
    else:
        path = tmp / "bench.sqlite3"
        yield f"sqlite:///{path}", f"temporary SQLite file {path}"


@contextlib.contextmanager
def _temporary_postgres(server_url: str) -> Iterator[tuple[str, str]]:
    import psycopg

    name = f"invsync_bench_{secrets.token_hex(4)}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(server_url)
    url = urlunsplit(parts._replace(path="/" + name))
    try:
        yield url, f"temporary PostgreSQL database {name} on {parts.hostname}"
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
