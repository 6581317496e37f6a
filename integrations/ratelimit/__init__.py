"""The shop's one rate: a per-integration limiter shared by every worker.

Requests start at an even pace (GCRA: one per interval, a bounded burst after a quiet spell),
so the integration's requests per minute hold over every window and a leaky bucket in front
of the shop sees a steady stream. Two lanes share that pace: live requests take the next free
slot ahead of waiting bulk ones, and bulk leaves a share free while live work is around. A
429 pauses every worker, cuts the rate, and lowers a learned ceiling the rate recovers to;
the ceiling rises one small step per hour spent against it without a 429, and is kept in the
database through a hook (see learned.py). Redis makes all of it shared across processes and
hosts; without settings.INVSYNC_REDIS_URL it is shared by the threads of one process.
"""

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Protocol

from django.conf import settings

from .concurrency import measure_concurrency
from .learned import NO_HOOK, CeilingHook, Learned
from .local import LocalLimiter, forget_local_states
from .policy import BULK, LANES, LIVE, Limits, Policy
from .shared import RedisLimiter
from .slots import Attempt, LimiterTimeout, Status

__all__ = [
    "BULK",
    "LANES",
    "LIVE",
    "Attempt",
    "CeilingHook",
    "Learned",
    "Limiter",
    "LimiterTimeout",
    "Limits",
    "LocalLimiter",
    "Policy",
    "RedisLimiter",
    "Status",
    "forget_learned",
    "forget_local_states",
    "limiter_for",
    "limits_of",
    "measure_concurrency",
    "policy_from_settings",
    "use_ceiling_hooks",
]


class Limiter(Protocol):
    def slot(self) -> AbstractContextManager[None]:
        """Block until the shop may get one more request; hold the slot while inside."""
        ...

    def backoff(self, retry_after: float | None) -> None:
        """After a 429: pause every worker, cut the rate, lower the learned ceiling."""
        ...


_hook_factory: Callable[[object], CeilingHook] = lambda integration: NO_HOOK  # noqa: E731


def use_ceiling_hooks(factory: Callable[[object], CeilingHook]) -> None:
    """Where limiter_for() keeps learned ceilings: factory(integration) -> CeilingHook."""
    global _hook_factory
    _hook_factory = factory


def limits_of(integration) -> Callable[[], Limits]:
    """The integration's limits, read from it at every acquisition."""
    return lambda: Limits(integration.requests_per_minute, integration.concurrency_in_force)


def policy_from_settings() -> Policy:
    """The default policy with the INVSYNC_RATELIMIT_* settings applied; a Retry-After pauses
    the limiter at most INVSYNC_RETRY_AFTER_MAX, the cap a retried task's wait has too."""
    return Policy(
        max_pause=float(settings.INVSYNC_RETRY_AFTER_MAX),
        burst=settings.INVSYNC_RATELIMIT_BURST,
        live_share=settings.INVSYNC_RATELIMIT_LIVE_SHARE,
        probe_interval=settings.INVSYNC_RATELIMIT_PROBE_MINUTES * 60.0,
    )


def limiter_for(
    integration,
    *,
    lane: str = BULK,
    policy: Policy | None = None,
    hook: CeilingHook | None = None,
) -> LocalLimiter | RedisLimiter:
    """The integration's limiter for one lane ("live" or "bulk"): Redis-backed when
    INVSYNC_REDIS_URL is set, else in-process."""
    # The in-process state is keyed on the shop's address too: an id reused after a test
    # database rollback (or an integration pointed at another shop) must not inherit a pause.
    local_key = (integration.pk, integration.shop_url)
    policy = policy or policy_from_settings()
    hook = hook or _hook_factory(integration)
    url = settings.INVSYNC_REDIS_URL
    limits = limits_of(integration)
    if url:
        return RedisLimiter(
            integration.pk,
            limits,
            policy,
            url=url,
            lane=lane,
            hook=hook,
            fallback_key=local_key,
            socket_timeout=settings.INVSYNC_REDIS_TIMEOUT,
        )
    return LocalLimiter(local_key, limits, policy, lane=lane, hook=hook)


def forget_learned(integration) -> None:
    """Drop the learned ceiling and the recovery state kept by the limiter (Redis and this
    process); the next request reads the ceiling from the hook's storage again."""
    limiter_for(integration, hook=NO_HOOK).forget_learned()
