"""What the benchmark scripts share: the catalogue, progress lines, the report's output, a
Redis database flushed around a measurement and the environment of real workers."""

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from bench import dataset
from bench.django_env import django_environment


def catalogue(args) -> tuple[list, list[dataset.Sellable]]:
    """The shop's items and the ledger's rows for --products, --combination-share, --drift and
    --seed."""
    items = dataset.shop_items(
        args.products, combination_share=args.combination_share, seed=args.seed
    )
    rows = dataset.sellable_rows(items, args.products, drift=args.drift, seed=args.seed)
    return items, rows


def print_report(lines: list[str], save: Path | None, *, append: bool = False) -> None:
    """The report on stdout, and in `save` too when given (appended to it with `append`)."""
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if not save:
        return
    save.parent.mkdir(parents=True, exist_ok=True)
    if append:
        with save.open("a", encoding="utf-8") as file:
            file.write(text + "\n")
    else:
        save.write_text(text, encoding="utf-8")


@contextlib.contextmanager
def flushed_redis(url: str) -> Iterator[None]:
    """The Redis database at `url` emptied before and after (the broker and limiter's)."""
    import redis

    redis.Redis.from_url(url).flushdb()
    try:
        yield
    finally:
        redis.Redis.from_url(url).flushdb()


@contextlib.contextmanager
def workers_environment(redis_url: str, **settings: str) -> Iterator[str]:
    """For a benchmark with real Celery workers: a temporary PostgreSQL database on the server
    DATABASE_URL names, and the Redis database at `redis_url` (flushed before and after) as
    broker and shared limiter; `settings` join this process's and the workers' environment.
    Yields the database's description."""
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL server (a database is created on it).")
    services = {
        "CELERY_BROKER_URL": redis_url,
        "INVSYNC_REDIS_URL": redis_url,
        "CELERY_RESULT_BACKEND": "django-db",
        **settings,
    }
    with (
        flushed_redis(redis_url),
        django_environment(database_url=database_url, services=services) as database,
    ):
        yield database


def progress(message: str) -> None:
    """A progress line on stderr (stdout holds the report)."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)
