"""Waiting for a slot: the blocking loop both limiters share on top of try_acquire()."""

import random
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from integrations.prestashop.errors import ShopTemporaryError

from .learned import NO_HOOK, CeilingHook
from .policy import BULK, LANES, MAX_SLEEP, Limits, Policy


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


@dataclass(frozen=True)
class Status:
    """What the limiter enforces now, for the operator."""

    rate: int  # requests per window in force now
    ceiling: int | None  # the learned ceiling, None when none is learned
    ceiling_since: float | None  # seconds since the epoch
    paused_for: float  # seconds left of a pause after a 429, 0.0 when none


class SlotLimiter:
    """slot() and acquire() for a limiter that implements try_acquire(waiter=...)."""

    def __init__(
        self,
        limits: Callable[[], Limits],
        policy: Policy | None = None,
        *,
        lane: str = BULK,
        hook: CeilingHook | None = None,
    ):
        if lane not in LANES:
            raise ValueError(f"unknown lane {lane!r}: use one of {', '.join(LANES)}")
        self.limits = limits
        self.policy = policy or Policy()
        self.lane = lane
        self.hook = hook or NO_HOOK
        # Identifies a live waiter for direct try_acquire() calls; acquire() uses its own.
        self.waiter = uuid.uuid4().hex

    def try_acquire(self, *, waiter: str | None = None) -> Attempt:
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
        waiter = uuid.uuid4().hex
        while True:
            attempt = self.try_acquire(waiter=waiter)
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
