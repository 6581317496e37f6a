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
from .learned import CeilingHook, Learned
from .local import LocalLimiter
from .policy import (
    BULK,
    MAX_SLEEP,
    PACE_SAMPLE,
    WAITER_GRACE,
    Limits,
    Policy,
    has_retry_after,
)
from .slots import Attempt, SlotLimiter, Status

logger = logging.getLogger("integrations.ratelimit")

# After a failed call, use the in-process limiter for this long before asking Redis again,
# so an unreachable host does not cost a connect timeout on every request.
REDIS_RETRY_AFTER = 5.0
UNREACHABLE = (redis.ConnectionError, redis.TimeoutError)

_clients: dict[tuple[str, float], redis.Redis] = {}
_clients_lock = threading.Lock()
SOCKET_TIMEOUT = 2.0  # settings.INVSYNC_REDIS_TIMEOUT's default


def redis_client(url: str, socket_timeout: float = SOCKET_TIMEOUT) -> redis.Redis:
    """One client (one connection pool) per URL and timeout per process."""
    with _clients_lock:
        key = (url, socket_timeout)
        if key not in _clients:
            _clients[key] = redis.Redis.from_url(
                url, socket_connect_timeout=1.0, socket_timeout=socket_timeout
            )
        return _clients[key]


def _us(seconds: float) -> int:
    return math.ceil(seconds * 1_000_000)


KEY_NAMES = ("state", "log", "leases", "waiting", "pause", "aimd", "ceiling")  # scripts.ACQUIRE
NOT_SEEDED = -1


class RedisLimiter(SlotLimiter):
    """Even pace, two lanes, leased concurrency slots, a shared pause and a shared learned
    ceiling in Redis (seeded from the hook's storage whenever Redis has none).

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
        lane: str = BULK,
        hook: CeilingHook | None = None,
        fallback_key: Hashable | None = None,
        clock: Callable[[], float] | None = None,
        socket_timeout: float = SOCKET_TIMEOUT,
    ):
        super().__init__(limits, policy, lane=lane, hook=hook)
        self.url = url
        self.client = redis_client(url, socket_timeout)
        self.clock = clock  # None: Redis's own clock; tests pass a fake one
        prefix = f"invsync:ratelimit:{{{key}}}"  # braces: one cluster slot for every key
        self.keys = {name: f"{prefix}:{name}" for name in KEY_NAMES}
        self.fallback = LocalLimiter(
            key if fallback_key is None else fallback_key,
            limits,
            self.policy,
            lane=lane,
            hook=hook,
            clock=clock or time.time,
        )
        self._scripts = {
            "acquire": self.client.register_script(scripts.ACQUIRE),
            "backoff": self.client.register_script(scripts.BACKOFF),
            "status": self.client.register_script(scripts.STATUS),
            "seed": self.client.register_script(scripts.SEED),
        }

    def try_acquire(self, *, waiter: str | None = None) -> Attempt:
        """Take a slot now if pace, lane and concurrency allow, else say how long to wait."""
        limits, policy = self.limits(), self.policy
        token = uuid.uuid4().hex
        args = [limits.rate, limits.concurrent, self.lane, token, waiter or self.waiter]
        args += [self._now(), _us(policy.span), _us(policy.window), policy.burst]
        args += [policy.live_share, _us(policy.live_window), _us(policy.lease), _us(policy.poll)]
        args += [policy.step(limits), _us(policy.probe_interval), policy.probe_share]
        args += [_ms(policy.ceiling_ttl), _us(MAX_SLEEP), _us(WAITER_GRACE)]
        reply = self._seeded_call("acquire", KEY_NAMES, args)
        if reply is None:
            return self.fallback.try_acquire(waiter=waiter)
        status, wait_us = int(reply[0]), int(reply[1])
        self._store_if_changed(reply)
        if status != 1:
            return Attempt(max(wait_us, 1) / 1_000_000)
        return Attempt(0.0, lambda: self._release(token))

    def backoff(self, retry_after: float | None) -> None:
        """After a 429: pause every worker of this shop, cut the rate, lower the ceiling."""
        limits, policy = self.limits(), self.policy
        pause = policy.pause_for(retry_after)
        recovery = pause + policy.window * (math.ceil(limits.rate / policy.step(limits)) + 1)
        args = [limits.rate, policy.step(limits), _us(policy.window), _us(pause)]
        args += [policy.floor(limits), policy.decrease, self._now()]
        args += [int(has_retry_after(retry_after)), policy.ceiling_margin]
        args += [_ms(policy.ceiling_ttl), _ms(recovery), _us(policy.max_pause)]
        args += [policy.least_share, policy.measured_margin, PACE_SAMPLE]
        reply = self._seeded_call("backoff", ("pause", "aimd", "log", "ceiling"), args)
        if reply is None:
            self.fallback.backoff(retry_after)
            return
        self._store_if_changed(reply)

    def status(self) -> Status:
        """The rate in force, the learned ceiling and any pause, as every worker sees them."""
        limits, policy = self.limits(), self.policy
        args = [limits.rate, policy.step(limits), _us(policy.window), self._now()]
        reply = self._seeded_call("status", ("pause", "aimd", "ceiling"), args)
        if reply is None:
            return self.fallback.status()
        learned = _learned(reply[3], reply[4])
        return Status(
            rate=int(reply[2]),
            ceiling=learned.value,
            ceiling_since=None if learned.value is None else learned.since,
            paused_for=int(reply[1]) / 1_000_000,
        )

    def effective_limit(self) -> int:
        """The rate in force now."""
        return self.status().rate

    def forget_learned(self) -> None:
        """Drop the learned ceiling and the cut; the next request seeds from the hook again."""
        with contextlib.suppress(*UNREACHABLE):
            self.client.delete(self.keys["ceiling"], self.keys["aimd"])
        self.fallback.forget_learned()

    def _seeded_call(self, name: str, key_names: tuple[str, ...], args: list):
        """The script's reply, seeding the ceiling first where Redis has none; None when
        Redis is unreachable."""
        keys = [self.keys[key] for key in key_names]
        reply = self._call(self._scripts[name], keys, args)
        if reply is not None and int(reply[0]) == NOT_SEEDED:
            if not self._seed():
                return None
            reply = self._call(self._scripts[name], keys, args)
        if reply is not None and int(reply[0]) == NOT_SEEDED:
            return [0, _us(self.policy.poll), 0, b"none", b"0"]  # deleted meanwhile: look again
        return reply

    def _seed(self) -> bool:
        stored = self.hook.load_quietly()
        since = stored.since if stored is not None else (self.clock or time.time)()
        value = "none" if stored is None or stored.value is None else str(stored.value)
        args = [value, str(_us(since)), _ms(self.policy.ceiling_ttl)]
        return self._call(self._scripts["seed"], [self.keys["ceiling"]], args) is not None

    def _store_if_changed(self, reply) -> None:
        if int(reply[2]):
            self.hook.save_quietly(_learned(reply[3], reply[4]))

    def _now(self) -> str:
        return "" if self.clock is None else str(round(self.clock() * 1_000_000))

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


def _learned(value: bytes | str, since: bytes | str) -> Learned:
    value = value.decode() if isinstance(value, bytes) else str(value)
    since = since.decode() if isinstance(since, bytes) else str(since)
    return Learned(None if value == "none" else int(value), int(since) / 1_000_000)


def _ms(seconds: float) -> int:
    return math.ceil(seconds * 1000)


_down_until: dict[str, float] = {}
_failures: dict[str, int] = {}


def is_down(url: str) -> bool:
    """Whether limiters for this Redis use their in-process fallback now."""
    return _down_until.get(url, 0.0) > time.monotonic()


def failed_calls(url: str) -> int:
    """Calls to this Redis that failed in this process (each one meant the fallback)."""
    return _failures.get(url, 0)


def forget_outage(url: str) -> None:
    """Ask this Redis again at the next call (tests start from a reachable Redis)."""
    _down_until.pop(url, None)


def _mark_down(url: str, exc: Exception) -> None:
    _failures[url] = _failures.get(url, 0) + 1
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
