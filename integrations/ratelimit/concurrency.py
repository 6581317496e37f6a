"""How many requests a shop serves at once, measured with a few parallel reads."""

import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from integrations.prestashop.errors import ShopTemporaryError

MOST = 8  # never measure (or recommend) more parallel requests than this


def measure_concurrency(
    read: Callable[[], object],
    *,
    most: int = MOST,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """How many of `read` the shop serves in parallel: time one read, then 2, 4, ... `most`
    at once. A shop that queues what it cannot serve takes about ceil(n / capacity) times
    as long for n reads, so each round gives a lower bound on its capacity.

    Sends at most 2 + 2 + 4 + 8 = 16 requests for most=8; call it with a client that has no
    limiter (or the pace would serialise the reads). The baseline's errors propagate; a
    temporary error in a parallel round (a 429, a 503 under load) ends the measurement with
    what was measured so far.
    """
    single = max(min(_timed(read, 1, clock) for _ in range(2)), 1e-3)
    best = 1
    for size in _sizes(most):
        try:
            elapsed = _timed(read, size, clock)
        except ShopTemporaryError:
            break
        rounds = max(1, round(elapsed / single))
        best = max(best, math.ceil(size / rounds))
    return best


def _sizes(most: int) -> list[int]:
    """2, 4, 8, ... below `most`, then `most` itself."""
    sizes, size = [], 2
    while size < most:
        sizes.append(size)
        size *= 2
    return [*sizes, most] if most > 1 else []


def _timed(read: Callable[[], object], count: int, clock: Callable[[], float]) -> float:
    """Seconds `count` parallel reads take together; the first error is raised."""
    if count == 1:
        start = clock()
        read()
        return clock() - start
    with ThreadPoolExecutor(max_workers=count) as pool:
        start = clock()
        futures = [pool.submit(read) for _ in range(count)]
        for future in futures:
            future.result()
        return clock() - start
