"""The Redis limiter: one budget per shop for every worker process on every host."""

import contextlib
import logging
import math
import threading
import time
import uuid
from collections.abc import Callable, Hashable

import redis

from . import scripts
from .local import LocalLimiter
from .policy import Limits, Policy
from .slots import Attempt, SlotLimiter

logger = logging.getLogger("integrations.ratelimit")

# After a failed call, use the in-process limiter for this long before asking Redis again,
# so an unreachable host does not cost a connect timeout on every request.
REDIS_RETRY_AFTER = 5.0
UNREACHABLE = (redis.ConnectionError, redis.TimeoutError)

_clients: dict[str, redis.Redis] = {}
_clients_lock = threading.Lock()


def redis_client(url: str) -> redis.Redis:
    """One client (one connection pool) per URL per process."""
    with _clients_lock:
        if url not in _clients:
            _clients[url] = redis.Redis.from_url(
                url, socket_connect_timeout=1.0, socket_timeout=2.0
            )
        return _clients[url]


def _us(seconds: float) -> int:
    return math.ceil(seconds * 1_000_000)


class RedisLimiter(SlotLimiter):
    """Sliding-log rate, leased concurrency slots, a shared pause and shared AIMD in Redis.

    If Redis cannot be reached, it falls back to the in-process limiter with a warning
    rather than stopping the sync or running unlimited: each process then still keeps the
    configured limit (so N processes send at most N times it) until Redis is back.
    """

    def __init__(
        self,
        key: Hashable,
        limits: Callable[[], Limits],
        policy: Policy | None = None,
        *,
        url: str,
        fallback_key: Hashable | None = None,
    ):
        super().__init__(limits, policy)
        self.url = url
        self.client = redis_client(url)
        prefix = f"invsync:ratelimit:{{{key}}}"  # braces: one cluster slot for all four keys
        self.keys = {name: f"{prefix}:{name}" for name in ("log", "leases", "pause", "aimd")}
        self.fallback = LocalLimiter(key if fallback_key is None else fallback_key, limits, policy)
        self._acquire = self.client.register_script(scripts.ACQUIRE)
        self._backoff = self.client.register_script(scripts.BACKOFF)
        self._effective = self.client.register_script(scripts.EFFECTIVE_LIMIT)

    def try_acquire(self) -> Attempt:
        """Take a slot now if the rate and concurrency allow, else say how long to wait."""
        limits, policy = self.limits(), self.policy
        token = uuid.uuid4().hex
        args = [limits.rate, limits.concurrent, policy.step(limits), _us(policy.window)]
        args += [_us(policy.span), _us(policy.lease), _us(policy.poll), token]
        keys = [self.keys["log"], self.keys["leases"], self.keys["pause"], self.keys["aimd"]]
        reply = self._call(self._acquire, keys, args)
        if reply is None:
            return self.fallback.try_acquire()
        granted, wait_us = reply
        if not granted:
            return Attempt(wait_us / 1_000_000)
        return Attempt(0.0, lambda: self._release(token))

    def backoff(self, retry_after: float | None) -> None:
        """Pause every worker of this shop for retry_after (or the default) and cut the rate."""
        limits, policy = self.limits(), self.policy
        pause = policy.pause_for(retry_after)
        full_recovery = pause + policy.window * (math.ceil(limits.rate / policy.step(limits)) + 1)
        args = [limits.rate, policy.step(limits), _us(policy.window), _us(pause)]
        args += [policy.floor(limits), policy.decrease, math.ceil(full_recovery * 1000)]
        reply = self._call(self._backoff, [self.keys["pause"], self.keys["aimd"]], args)
        if reply is None:
            self.fallback.backoff(retry_after)

    def effective_limit(self) -> int:
        """The rate in force now (the configured one, or less while recovering from a 429)."""
        limits, policy = self.limits(), self.policy
        args = [limits.rate, policy.step(limits), _us(policy.window)]
        reply = self._call(self._effective, [self.keys["aimd"]], args)
        return self.fallback.effective_limit() if reply is None else int(reply)

    def _release(self, token: str) -> None:
        with contextlib.suppress(*UNREACHABLE):  # the lease expires by itself
            self.client.zrem(self.keys["leases"], token)

    def _call(self, script, keys: list[str], args: list):
        """The script's reply, or None when Redis is unreachable (use the fallback)."""
        if _down_until.get(self.url, 0.0) > time.monotonic():
            return None
        try:
            reply = script(keys=keys, args=args)
        except UNREACHABLE as exc:
            _mark_down(self.url, exc)
            return None
        if _down_until.pop(self.url, None) is not None:
            logger.info("Rate limiter: Redis is reachable again, limits are shared again")
        return reply


_down_until: dict[str, float] = {}


def _mark_down(url: str, exc: Exception) -> None:
    if url not in _down_until:  # warn once per outage, not once per request
        logger.warning(
            "Rate limiter: Redis at %s is unreachable (%s); each process now limits itself "
            "until it is back",
            _safe_url(url),
            exc,
        )
    _down_until[url] = time.monotonic() + REDIS_RETRY_AFTER


def _safe_url(url: str) -> str:
    # Log the host, never a password in the URL.
    try:
        pool = redis.ConnectionPool.from_url(url)
    except ValueError:
        return "(unparsable URL)"
    kwargs = pool.connection_kwargs
    return f"{kwargs.get('host', kwargs.get('path', '?'))}:{kwargs.get('port', '')}"
