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
    at once. A shop that serves `capacity` at a time and queues the rest answers the first
    `capacity` reads about one read's time after the start and the others a round later, so
    each parallel round gives two lower bounds on its capacity: the reads answered within
    1.5 single reads (the first wave), and `size / rounds` from the round's total time. The
    larger counts; on a busy machine either one alone can come out low.

    Sends at most 2 + 2 + 4 + 8 = 16 requests for most=8; call it with a client that has no
    limiter (or the pace would serialise the reads). The baseline's errors propagate; a
    temporary error in a parallel round (a 429, a 503 under load) ends the measurement with
    what was measured so far.
    """
    single = max(min(_answered(read, 1, clock)[0] for _ in range(2)), 1e-3)
    best = 1
    for size in _sizes(most):
        try:
            answered = _answered(read, size, clock)
        except ShopTemporaryError:
            break
        first_wave = sum(1 for seconds in answered if seconds <= 1.5 * single)
        rounds = max(1, round(max(answered) / single))
        best = max(best, first_wave, math.ceil(size / rounds))
    return best


def _sizes(most: int) -> list[int]:
    """2, 4, 8, ... below `most`, then `most` itself."""
    sizes, size = [], 2
    while size < most:
        sizes.append(size)
        size *= 2
    return [*sizes, most] if most > 1 else []


def _answered(read: Callable[[], object], count: int, clock: Callable[[], float]) -> list[float]:
    """Seconds from the start until each of `count` parallel reads was answered; the first
    error is raised."""
    if count == 1:
        start = clock()
        read()
        return [clock() - start]

    def timed(start: float) -> float:
        read()
        return clock() - start

    with ThreadPoolExecutor(max_workers=count) as pool:
        start = clock()
        futures = [pool.submit(timed, start) for _ in range(count)]
        return [future.result() for future in futures]
