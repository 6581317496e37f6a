"""The shop's one rate: a per-integration limiter shared by every worker.

Each integration gets a requests-per-window budget (sliding log), a cap on concurrent
requests, a shared pause after a 429 and AIMD (halve the rate on a 429, add a step back for
every quiet window). Redis makes it shared across processes and hosts; without
settings.INVSYNC_REDIS_URL (embedded broker) it is shared by the threads of one process.
"""

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Protocol

from django.conf import settings

from .local import LocalLimiter, forget_local_states
from .policy import Limits, Policy
from .shared import RedisLimiter
from .slots import Attempt, LimiterTimeout

__all__ = [
    "Attempt",
    "Limiter",
    "LimiterTimeout",
    "Limits",
    "LocalLimiter",
    "Policy",
    "RedisLimiter",
    "forget_local_states",
    "limiter_for",
    "limits_of",
]


class Limiter(Protocol):
    def slot(self) -> AbstractContextManager[None]:
        """Block until the shop may get one more request; hold the slot while inside."""
        ...

    def backoff(self, retry_after: float | None) -> None:
        """After a 429: pause every worker of the integration and lower the rate (AIMD)."""
        ...


def limits_of(integration) -> Callable[[], Limits]:
    """The integration's limits, read from its fields at every acquisition."""
    return lambda: Limits(integration.requests_per_minute, integration.max_concurrent_requests)


def limiter_for(integration, *, policy: Policy | None = None) -> LocalLimiter | RedisLimiter:
    """The integration's limiter: Redis-backed when INVSYNC_REDIS_URL is set, else in-process."""
    # The in-process state is keyed on the shop's address too: an id reused after a test
    # database rollback (or an integration pointed at another shop) must not inherit a pause.
    local_key = (integration.pk, integration.shop_url)
    url = settings.INVSYNC_REDIS_URL
    if url:
        return RedisLimiter(
            integration.pk, limits_of(integration), policy, url=url, fallback_key=local_key
        )
    return LocalLimiter(local_key, limits_of(integration), policy)
