"""How the client retries one request after a temporary failure, instead of the whole task.

Two budgets per request: one for 429s, one for every other temporary failure (5xx, timeouts,
connection errors, truncated or malformed bodies). Waits grow exponentially with jitter; a
Retry-After is honoured up to `retry_after_cap`, and one asking for longer is not waited for
at all: the error goes to the caller, whose task can come back when the shop asked.
Configuration errors, refused data and hostile bodies (a DTD, over the size or nesting limits)
are never retried.
"""

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .errors import Failure, PrestaShopError

RETRIED = frozenset(
    {
        Failure.SERVER_ERROR,
        Failure.TIMEOUT,
        Failure.DEADLINE,
        Failure.CONNECTION,
        Failure.CONNECTION_LOST,
        Failure.NOT_WEBSERVICE,
        Failure.BROKEN_BODY,
        Failure.RATE_LIMITED,
    }
)


@dataclass(frozen=True)
class RetryPolicy:
    """Retries of one request. RetryPolicy.disabled() (or NO_RETRIES) never retries."""

    temporary_retries: int = 3  # after 5xx, timeouts, connection errors, broken bodies
    rate_limited_retries: int = 3  # after a 429
    base_delay: float = 1.0  # seconds before the first retry, doubled for each next one
    max_delay: float = 30.0  # the longest backoff between two attempts
    retry_after_cap: float = 900.0  # the longest Retry-After waited for (15 minutes)
    rate_limited_delay: float = 60.0  # the wait after a 429 without Retry-After
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)
    random: Callable[[], float] = field(default=random.random, compare=False, repr=False)

    def __post_init__(self):
        counts = (self.temporary_retries, self.rate_limited_retries)
        delays = (self.base_delay, self.max_delay, self.retry_after_cap, self.rate_limited_delay)
        if min(*counts, *delays) < 0:
            raise ValueError("retry counts and delays must not be negative")

    @classmethod
    def disabled(cls) -> "RetryPolicy":
        """A policy that never retries: every failure goes straight to the caller."""
        return cls(temporary_retries=0, rate_limited_retries=0)

    def backoff(self, retry: int) -> float:
        """Seconds before retry number `retry` (0-based): exponential, half of it jitter."""
        ceiling = min(self.max_delay, self.base_delay * 2**retry)
        return ceiling / 2 + self.random() * ceiling / 2


NO_RETRIES = RetryPolicy.disabled()


class Retries:
    """The budgets of one request: how long to wait before the next attempt, or None."""

    def __init__(self, policy: RetryPolicy):
        self.policy = policy
        self.used = {True: 0, False: 0}  # keyed by "is a 429"

    def wait_before_next(self, error: PrestaShopError) -> float | None:
        """Seconds to wait before retrying after `error`; None when it must not be retried."""
        if error.kind not in RETRIED:
            return None
        limited = error.kind is Failure.RATE_LIMITED
        policy = self.policy
        allowed = policy.rate_limited_retries if limited else policy.temporary_retries
        if self.used[limited] >= allowed:
            return None
        if error.retry_after is not None and error.retry_after > policy.retry_after_cap:
            return None
        if limited:
            wait = policy.rate_limited_delay if error.retry_after is None else error.retry_after
        else:
            wait = max(error.retry_after or 0.0, policy.backoff(self.used[False]))
        self.used[limited] += 1
        return wait
