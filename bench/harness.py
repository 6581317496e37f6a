"""What the benchmark scripts share: the catalogue, progress lines, the report's output and a
Redis database flushed around a measurement."""

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

from bench import dataset


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


def progress(message: str) -> None:
    """A progress line on stderr (stdout holds the report)."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)
