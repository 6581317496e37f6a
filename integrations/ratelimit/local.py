"""The in-process limiter: the embedded broker's fallback, shared by the threads of a process."""

import itertools
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable

from .policy import Limits, Policy, cut_rate, effective_rate
from .slots import Attempt, SlotLimiter


class _State:
    """One shop's limiter state in this process."""

    def __init__(self):
        self.cond = threading.Condition()
        self.started: deque[float] = deque()  # start times still counting against the rate
        self.holders: set[int] = set()  # tokens of the slots in use
        self.paused_until = -math.inf
        self.base: int | None = None  # effective rate right after the last cut, None: no cut
        self.cut_at = 0.0  # when recovery from that cut began


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
    """Rate, concurrency, pause and AIMD with threading primitives, per `key` per process."""

    def __init__(
        self,
        key: Hashable,
        limits: Callable[[], Limits],
        policy: Policy | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ):
        super().__init__(limits, policy)
        self.key = key
        self.clock = clock
        self._state = shared_state(key)

    def try_acquire(self) -> Attempt:
        """Take a slot now if the rate and concurrency allow, else say how long to wait."""
        limits, state = self.limits(), self._state
        with state.cond:
            now = self.clock()
            wait = self._wait(limits, now)
            if wait > 0:
                return Attempt(wait)
            token = next(_tokens)
            state.started.append(now)
            state.holders.add(token)
        return Attempt(0.0, lambda: self._release(token))

    def backoff(self, retry_after: float | None) -> None:
        """Pause this shop's requests in the process and cut the effective rate."""
        limits, state = self.limits(), self._state
        pause = self.policy.pause_for(retry_after)
        with state.cond:
            now = self.clock()
            if state.paused_until > now:
                # A 429 during a pause answers a request sent before it: the rate is cut already.
                state.paused_until = max(state.paused_until, now + pause)
                return
            current = self._effective(limits, now)
            state.base = cut_rate(limits, self.policy, current)
            state.paused_until = state.cut_at = now + pause

    def effective_limit(self) -> int:
        """The rate in force now (the configured one, or less while recovering from a 429)."""
        with self._state.cond:
            return self._effective(self.limits(), self.clock())

    def _wait(self, limits: Limits, now: float) -> float:
        state, span = self._state, self.policy.span
        if state.paused_until > now:
            return state.paused_until - now
        while state.started and state.started[0] < now - span:
            state.started.popleft()
        rate = self._effective(limits, now)
        if len(state.started) >= rate:
            # The slot frees when enough of the oldest starts leave the span.
            oldest_needed = state.started[len(state.started) - rate]
            return oldest_needed + span - now + 1e-6
        if len(state.holders) >= limits.concurrent:
            return self.policy.poll
        return 0.0

    def _effective(self, limits: Limits, now: float) -> int:
        state = self._state
        return effective_rate(limits, self.policy, base=state.base, cut_at=state.cut_at, now=now)

    def _release(self, token: int) -> None:
        with self._state.cond:
            self._state.holders.discard(token)
            self._state.cond.notify_all()

    def _sleep(self, seconds: float) -> None:
        # A release wakes one waiter at once instead of leaving it to poll.
        with self._state.cond:
            self._state.cond.wait(seconds)
