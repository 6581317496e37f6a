"""Waiting for a slot: the blocking loop both limiters share on top of try_acquire()."""

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from integrations.prestashop.errors import ShopTemporaryError

from .policy import Limits, Policy

MAX_SLEEP = 2.0  # look again at least this often, so a raised limit or a lifted pause shows


class LimiterTimeout(ShopTemporaryError):
    """No slot came free in time; a temporary error, so the task retries later."""


@dataclass(frozen=True)
class Attempt:
    """The answer of try_acquire(): a granted slot to release, or how long to wait."""

    wait: float  # seconds until another try may succeed; 0.0 when granted
    releaser: Callable[[], None] | None = field(default=None, repr=False)

    @property
    def granted(self) -> bool:
        return self.releaser is not None

    def release(self) -> None:
        """Give the concurrency slot back (the request still counts against the rate)."""
        if self.releaser is not None:
            self.releaser()


class SlotLimiter:
    """slot() and acquire() for a limiter that implements try_acquire(), backoff() and
    effective_limit()."""

    def __init__(self, limits: Callable[[], Limits], policy: Policy | None = None):
        self.limits = limits
        self.policy = policy or Policy()

    def try_acquire(self) -> Attempt:
        raise NotImplementedError

    @contextmanager
    def slot(self, *, timeout: float | None = None) -> Iterator[None]:
        """Block until the shop may get one more request; hold the slot while inside."""
        attempt = self.acquire(timeout=timeout)
        try:
            yield
        finally:
            attempt.release()

    def acquire(self, *, timeout: float | None = None) -> Attempt:
        """Wait for a granted Attempt; LimiterTimeout once `timeout` seconds cannot suffice."""
        limit = self.policy.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        while True:
            attempt = self.try_acquire()
            if attempt.granted:
                return attempt
            if time.monotonic() + attempt.wait > deadline:
                raise LimiterTimeout(
                    f"no request slot for the shop within {limit:g} s "
                    f"(the next one in {attempt.wait:.1f} s)"
                )
            self._sleep(min(attempt.wait, MAX_SLEEP) + _jitter(attempt.wait))

    def _sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def _jitter(wait: float) -> float:
    # Waiters released by the same expiry would otherwise all knock at the same instant.
    return random.uniform(0.0, min(0.1, wait * 0.1) + 0.005)
