"""The in-process limiter: the embedded broker's fallback, shared by the threads of a process.

It computes what the Redis scripts compute (scripts.ACQUIRE, BACKOFF); keep the two in step.
"""

import itertools
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from .learned import CeilingHook, Learned
from .policy import (
    BULK,
    LIVE,
    MAX_SLEEP,
    WAITER_GRACE,
    Limits,
    Policy,
    after_429,
    effective_rate,
    has_retry_after,
    pace_between,
    probed_ceiling,
)
from .slots import Attempt, SlotLimiter, Status


class _State:
    """One shop's limiter state in this process."""

    def __init__(self):
        self.cond = threading.Condition()
        self.started: deque[float] = deque()  # start times within the span
        self.holders: set[int] = set()  # tokens of the slots in use
        self.waiting: dict[str, float] = {}  # live waiters -> when they stop counting
        self.tat = -math.inf  # when the even pace allows the next start (GCRA)
        self.bulk_tat = -math.inf  # the same for bulk alone, while live work is around
        self.live_seen = -math.inf
        self.paused_until = -math.inf
        self.base: int | None = None  # rate right after the last cut, None: no cut
        self.cut_at = 0.0  # when recovery from that cut began
        self.last_pause = 0.0  # the pause of the last 429, doubled while congestion lasts
        self.last_429 = -math.inf  # when the last 429 outside a pause came
        self.learned: Learned | None = None  # None: not loaded from the hook yet
        self.loaded_at = -math.inf
        self.pressed: float | None = None  # when the ceiling first held requests back


@dataclass(frozen=True)
class _Pace:
    interval: float
    tolerance: float
    bulk_interval: float
    live_present: bool


_states: dict[Hashable, _State] = {}
_states_lock = threading.Lock()
_tokens = itertools.count(1)


def shared_state(key: Hashable) -> _State:
    """The process-wide state for `key`, so every limiter for one shop shares one budget."""
    with _states_lock:
        return _states.setdefault(key, _State())


def forget_local_states() -> None:
    """Drop every in-process state (tests that reuse integration ids start clean)."""
    with _states_lock:
        _states.clear()


class LocalLimiter(SlotLimiter):
    """Even pace, two lanes, concurrency, pause and learned ceiling, per `key` per process."""

    def __init__(
        self,
        key: Hashable,
        limits: Callable[[], Limits],
        policy: Policy | None = None,
        *,
        lane: str = BULK,
        hook: CeilingHook | None = None,
        clock: Callable[[], float] = time.time,
    ):
        super().__init__(limits, policy, lane=lane, hook=hook)
        self.key = key
        self.clock = clock  # seconds since the epoch: the learned ceiling's time is stored
        self._state = shared_state(key)

    def try_acquire(self, *, waiter: str | None = None) -> Attempt:
        """Take a slot now if pace, lane and concurrency allow, else say how long to wait."""
        limits, state = self.limits(), self._state
        self._load_learned()
        with state.cond:
            now = self.clock()
            raised = self._probe(limits, now)
            wait, pace = self._wait(limits, now)
            if wait > 0:
                self._note_waiter(waiter or self.waiter, now, wait)
            else:
                token = self._grant(now, pace, waiter or self.waiter)
        if raised is not None:
            self.hook.save_quietly(raised)
        if wait > 0:
            return Attempt(wait)
        return Attempt(0.0, lambda: self._release(token))

    def backoff(self, retry_after: float | None) -> None:
        """After a 429: pause this shop's requests, cut the rate, lower the ceiling."""
        limits, state, policy = self.limits(), self._state, self.policy
        self._load_learned()
        known, pause = has_retry_after(retry_after), policy.pause_for(retry_after)
        with state.cond:
            now = self.clock()
            if state.paused_until > now:
                # A 429 during a pause answers a request sent before it: the cut is made.
                state.paused_until = max(state.paused_until, now + pause)
                return
            if not known and self._same_congestion(now):
                # Without Retry-After, a 429 soon after a cut, before anything went through,
                # is the same congestion: the host's window is still full. Wait longer.
                state.last_pause = policy.longer_pause(pause, state.last_pause)
                state.paused_until, state.last_429 = now + state.last_pause, now
                return
            learned = self._cut(limits, now, pause, known)
        self.hook.save_quietly(learned)

    def status(self) -> Status:
        """The rate in force, the learned ceiling and any pause, as this process sees them."""
        limits, state = self.limits(), self._state
        self._load_learned()
        with state.cond:
            now = self.clock()
            learned = state.learned or Learned(None, now)
            return Status(
                rate=self._rate(limits, now),
                ceiling=learned.value,
                ceiling_since=None if learned.value is None else learned.since,
                paused_for=max(0.0, state.paused_until - now),
            )

    def effective_limit(self) -> int:
        """The rate in force now."""
        return self.status().rate

    def forget_learned(self) -> None:
        """Drop the learned ceiling and the cut (the hook's storage is read again)."""
        with self._state.cond:
            state = self._state
            state.learned, state.loaded_at, state.pressed = None, -math.inf, None
            state.base, state.last_429 = None, -math.inf

    def _load_learned(self) -> None:
        # Read outside the lock (the hook may query a database); the stored value wins when it
        # is at least as new, so a reset made by another process arrives within `reload`.
        state, now = self._state, self.clock()
        if now - state.loaded_at < self.policy.reload:
            return
        stored = self.hook.load_quietly()
        with state.cond:
            state.loaded_at = now
            current = state.learned
            if stored is not None and (current is None or stored.since >= current.since):
                if stored != current:
                    state.pressed = None  # pressure against another ceiling
                state.learned = stored
            elif state.learned is None:
                # Nothing stored (or unreadable): any value stored later wins.
                state.learned = Learned(None, -math.inf)

    def _same_congestion(self, now: float) -> bool:
        """A cut within the last window and no request granted since its pause ended."""
        state = self._state
        if state.base is None or now >= state.cut_at + self.policy.window:
            return False
        return not any(t >= state.cut_at for t in state.started)

    def _cut(self, limits: Limits, now: float, pause: float, known: bool) -> Learned:
        state, policy = self._state, self.policy
        started = sum(1 for t in state.started if t >= now - policy.window)
        # The request that met this 429 is among the starts since the last one.
        since = max(state.last_429, state.cut_at if state.base is not None else -math.inf)
        since_last = sum(1 for t in state.started if t > since) - 1
        rate, ceiling = after_429(
            limits,
            policy,
            current=self._rate(limits, now),
            started=started,
            retry_after_known=known,
            pace=None if known else pace_between(since_last, now - since, policy.window),
        )
        state.base, state.last_pause, state.last_429 = rate, pause, now
        state.paused_until = state.cut_at = now + pause
        state.learned, state.pressed = Learned(ceiling, now), None
        return state.learned

    def _probe(self, limits: Limits, now: float) -> Learned | None:
        """Raise the ceiling one step an interval after it first held requests back (without
        a 429 meanwhile); the new value to store, or None."""
        state = self._state
        learned = state.learned
        if learned is None or learned.value is None or state.pressed is None:
            return None
        if now - state.pressed < self.policy.probe_interval:
            return None
        state.learned = Learned(probed_ceiling(limits, self.policy, learned.value), now)
        state.pressed = None
        return state.learned

    def _wait(self, limits: Limits, now: float) -> tuple[float, _Pace | None]:
        state, policy = self._state, self.policy
        if self.lane == LIVE:
            state.live_seen = now
        if state.paused_until > now:
            # Bounded: a wall clock set back must not turn a pause into hours.
            return min(state.paused_until - now, policy.max_pause), None
        rate = self._rate(limits, now)
        interval, tolerance = policy.pacing(rate)
        pace = _Pace(
            interval,
            tolerance,
            policy.bulk_interval(interval),
            live_present=now - state.live_seen < policy.live_window,
        )
        state.tat = min(state.tat, now + tolerance + interval)  # a clock set back must not stall
        paced = max(0.0, state.tat - tolerance - now)
        if paced > 0 and state.pressed is None and self._ceiling_binds(limits, rate):
            state.pressed = now
        waits = [paced, self._log_wait(limits, now), self._concurrency_wait(limits)]
        if self.lane == BULK:
            waits.append(self._bulk_wait(now, pace, paced))
        return max(waits), pace

    def _ceiling_binds(self, limits: Limits, rate: int) -> bool:
        """Whether the learned ceiling is what holds the pace down now."""
        learned = self._state.learned
        if learned is None or learned.value is None:
            return False
        return learned.value < limits.rate and rate >= learned.value

    def _log_wait(self, limits: Limits, now: float) -> float:
        """The hard cap: never more than the configured rate started within one span."""
        started, span = self._state.started, self.policy.span
        while started and started[0] < now - span:
            started.popleft()
        while started and started[-1] > now:  # the wall clock was set back: forget those
            started.pop()
        if len(started) < limits.rate:
            return 0.0
        return started[len(started) - limits.rate] + span - now + 1e-6

    def _concurrency_wait(self, limits: Limits) -> float:
        return self.policy.poll if len(self._state.holders) >= limits.concurrent else 0.0

    def _bulk_wait(self, now: float, pace: _Pace, paced: float) -> float:
        """Bulk waits behind live waiters, and keeps to its share while live work is around."""
        state = self._state
        state.bulk_tat = min(state.bulk_tat, now + pace.tolerance + pace.bulk_interval)
        for waiter, until in list(state.waiting.items()):
            if until <= now:
                del state.waiting[waiter]
        if state.waiting:
            return paced + pace.interval
        if not pace.live_present:
            return 0.0
        return max(0.0, state.bulk_tat - pace.tolerance - now)

    def _note_waiter(self, waiter: str, now: float, wait: float) -> None:
        if self.lane == LIVE:
            self._state.waiting[waiter] = now + min(wait, MAX_SLEEP) + WAITER_GRACE

    def _grant(self, now: float, pace: _Pace, waiter: str) -> int:
        state = self._state
        state.tat = max(state.tat, now) + pace.interval
        if self.lane == BULK:
            step = pace.bulk_interval if pace.live_present else pace.interval
            state.bulk_tat = max(state.bulk_tat, now) + step
        else:
            state.waiting.pop(waiter, None)
        token = next(_tokens)
        state.started.append(now)
        state.holders.add(token)
        return token

    def _rate(self, limits: Limits, now: float) -> int:
        state = self._state
        ceiling = state.learned.value if state.learned else None
        return effective_rate(
            limits, self.policy, base=state.base, cut_at=state.cut_at, ceiling=ceiling, now=now
        )

    def _release(self, token: int) -> None:
        with self._state.cond:
            self._state.holders.discard(token)
            self._state.cond.notify_all()

    def _sleep(self, seconds: float) -> None:
        # A release wakes one waiter at once instead of leaving it to poll.
        with self._state.cond:
            self._state.cond.wait(seconds)
