"""Load model: latency, a concurrency capacity (queueing), a proxy-style rate limit."""

import math
import random
import threading
import time
from collections import deque
from contextlib import contextmanager

SETTINGS = (
    "read_latency",
    "write_latency",
    "write_row_latency",
    "jitter",
    "capacity",
    "rate_limit",
    "rate_window",
    "rate_mode",
    "rate_burst",
    "rate_nodelay",
    "retry_after",
)
RATE_MODES = ("sliding", "fixed", "leaky")


class LoadModel:
    """Latency per request and per written row, at most `capacity` requests served at once,
    `rate_limit` per window (a sliding log, a fixed window or nginx's leaky bucket)."""

    def __init__(self, *, clock=time.monotonic, sleep=time.sleep, seed: int = 0, **settings):
        self.read_latency = 0.0  # seconds per GET/HEAD
        self.write_latency = 0.0  # seconds per PUT/PATCH/POST/DELETE
        self.write_row_latency = 0.0  # extra seconds per stock row a write saves
        self.jitter = 0.0  # extra uniform 0..jitter seconds
        self.capacity: int | None = None  # None or 0: unlimited
        self.rate_limit: int | None = None  # requests admitted per window; None: no limit
        self.rate_window = 60.0  # seconds
        self.rate_mode = "sliding"  # sliding | fixed | leaky
        self.rate_burst = 0  # leaky: requests above the rate it still takes (nginx burst=)
        self.rate_nodelay = False  # leaky: serve those at once (nginx nodelay) or space them
        self.retry_after = True  # send Retry-After with 429
        self._clock = clock
        self.sleep = sleep  # every simulated delay goes through it (tests count them)
        self._rng = random.Random(seed)
        self._cond = threading.Condition()
        self._admitted: deque[float] = deque()
        self._window_start = clock()
        self._window_count = 0
        self._excess: float | None = None  # leaky: requests in the bucket at _last
        self._last = 0.0
        self.in_flight = 0
        self.max_in_flight = 0
        self.configure(**settings)

    def configure(self, **settings) -> None:
        """Change settings at runtime (names as in SETTINGS)."""
        unknown = set(settings) - set(SETTINGS)
        if unknown:
            raise ValueError(f"unknown load settings: {', '.join(sorted(unknown))}")
        if settings.get("rate_mode", self.rate_mode) not in RATE_MODES:
            raise ValueError(f"unknown rate_mode; known: {', '.join(RATE_MODES)}")
        with self._cond:
            for name, value in settings.items():
                setattr(self, name, value)
            self._cond.notify_all()

    def as_dict(self) -> dict:
        """Current settings and concurrency gauges."""
        data = {name: getattr(self, name) for name in SETTINGS}
        data.update(in_flight=self.in_flight, max_in_flight=self.max_in_flight)
        return data

    def admit(self) -> float | None:
        """Count the request against the rate limit; None if admitted, else seconds to wait."""
        return self.acquire()[0]

    def acquire(self) -> tuple[float | None, float]:
        """(None, delay) if admitted after sleeping `delay`, else (seconds to wait, 0)."""
        if not self.rate_limit:
            return None, 0.0
        with self._cond:
            now = self._clock()
            if self.rate_mode == "fixed":
                return self._admit_fixed(now), 0.0
            if self.rate_mode == "leaky":
                return self._admit_leaky(now)
            while self._admitted and self._admitted[0] <= now - self.rate_window:
                self._admitted.popleft()
            if len(self._admitted) >= self.rate_limit:
                return self._admitted[0] + self.rate_window - now, 0.0
            self._admitted.append(now)
            return None, 0.0

    def _admit_leaky(self, now: float) -> tuple[float | None, float]:
        """ngx_http_limit_req: the bucket drains at the rate; over the burst means refused."""
        rate = self.rate_limit / self.rate_window
        if self._excess is None:
            self._excess, self._last = 0.0, now
            return None, 0.0
        excess = max(self._excess - rate * (now - self._last), 0.0) + 1
        if excess > self.rate_burst:
            return (excess - self.rate_burst) / rate, 0.0
        self._excess, self._last = excess, now
        return None, 0.0 if self.rate_nodelay else excess / rate

    def _admit_fixed(self, now: float) -> float | None:
        if now - self._window_start >= self.rate_window:
            elapsed = now - self._window_start
            self._window_start += self.rate_window * math.floor(elapsed / self.rate_window)
            self._window_count = 0
        if self._window_count >= self.rate_limit:
            return self._window_start + self.rate_window - now
        self._window_count += 1
        return None

    @contextmanager
    def slot(self):
        """Hold one of `capacity` slots; waits (queues) while all are busy."""
        with self._cond:
            while self.capacity and self.in_flight >= self.capacity:
                self._cond.wait()
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            yield
        finally:
            with self._cond:
                self.in_flight -= 1
                self._cond.notify()

    def row_cost(self) -> None:
        """Spend the time of one written row (nothing when write_row_latency is 0)."""
        if self.write_row_latency > 0:
            self.sleep(self.write_row_latency)

    def latency(self, *, write: bool) -> float:
        """Seconds this request should take."""
        base = self.write_latency if write else self.read_latency
        with self._cond:
            extra = self._rng.uniform(0, self.jitter) if self.jitter else 0.0
        return base + extra

    def reset(self) -> None:
        """Forget the rate window and the observed maximum concurrency."""
        with self._cond:
            self._admitted.clear()
            self._window_start = self._clock()
            self._window_count = 0
            self._excess = None
            self.max_in_flight = self.in_flight


def retry_after_value(seconds: float) -> str:
    """Retry-After in whole seconds, at least 1."""
    return str(max(1, math.ceil(seconds)))
