"""What a limiter enforces: the shop's limits, the timing policy, and the arithmetic of pacing,
recovery after a 429 and the learned ceiling.

The Redis scripts (scripts.py) compute the same things in Lua; keep the two in step.
"""

import math
from dataclasses import dataclass

LIVE = "live"  # drains after a stock change: served first
BULK = "bulk"  # full-sync chunks, pulls, reports: leave a share free while live work is around
LANES = (LIVE, BULK)

MAX_SLEEP = 2.0  # a waiter looks again at least this often (a raised limit, a lifted pause)
WAITER_GRACE = 1.0  # a live waiter that stopped looking stops holding bulk back after this


@dataclass(frozen=True)
class Limits:
    """The integration's configured limits, read afresh for every acquisition."""

    rate: int  # requests that may start per window (a minute by default)
    concurrent: int  # requests in flight at once

    def __post_init__(self):
        # The admin accepts 0 (PositiveIntegerField); 0 would block the sync forever.
        object.__setattr__(self, "rate", max(1, int(self.rate or 0)))
        object.__setattr__(self, "concurrent", max(1, int(self.concurrent or 0)))


@dataclass(frozen=True)
class Policy:
    """Timing knobs; the defaults suit a real shop, tests shrink the durations."""

    window: float = 60.0  # seconds the rate counts over; also the recovery step interval
    # Requests reach the shop a little after they leave us, at uneven delays: pacing over a
    # slightly longer span keeps the shop's own window from ever seeing one request too many.
    margin: float = 1.0
    burst: int = 1  # requests that may start at once after a quiet spell (1: strictly even)
    live_share: float = 0.2  # share of the rate bulk leaves free while live work is around
    live_window: float = 10.0  # live work counts as around this long after its last request
    lease: float = 120.0  # a crashed holder's concurrency slot frees itself after this
    default_pause: float = 5.0  # pause after a 429 without Retry-After
    max_pause: float = 900.0  # a broken Retry-After must not stop the sync for hours
    decrease: float = 0.5  # the rate in force after a 429, as a share of the rate before it
    floor_share: float = 0.1  # neither rate nor ceiling drops below this share of the limit
    step_share: float = 0.1  # recovery per quiet window, as a share of the limit
    ceiling_margin: float = 0.9  # the learned ceiling, as a share of the rate that met a 429
    # The ceiling as a share of a rate the shop was seen to let through (its window's count,
    # or its pace between two 429s): a measurement, so it needs less room than a guess. The
    # pace over `span` (a second longer than the window) keeps a little more in hand.
    measured_margin: float = 0.95
    # One 429 judges the shop's limit to be at least this share of the pace it came at: a
    # window our own log saw only in part (a restart, traffic from elsewhere) must not
    # teach a ceiling near nothing. Another 429 goes lower if the shop holds less.
    least_share: float = 0.25
    probe_interval: float = 3600.0  # the ceiling rises one step per interval spent against it
    probe_share: float = 0.05  # that step, as a share of the ceiling
    ceiling_ttl: float = 86400.0  # Redis forgets an unused ceiling after this (the DB keeps it)
    reload: float = 60.0  # the in-process limiter re-reads the stored ceiling this often
    poll: float = 0.05  # how soon to look again when every concurrency slot is taken
    timeout: float = 600.0  # slot() gives up after this long (LimiterTimeout)

    @property
    def span(self) -> float:
        """Seconds over which at most `rate` requests start."""
        return self.window + self.margin

    def floor(self, limits: Limits) -> int:
        """The lowest rate (and ceiling) a 429 may lead to."""
        return max(1, math.ceil(limits.rate * self.floor_share))

    def step(self, limits: Limits) -> int:
        """How much the rate in force grows back per window without a 429."""
        return max(1, math.ceil(limits.rate * self.step_share))

    def pause_for(self, retry_after: float | None) -> float:
        """Seconds every worker waits after a 429."""
        if not has_retry_after(retry_after):
            return self.default_pause
        return min(float(retry_after), self.max_pause)

    def longer_pause(self, pause: float, last: float) -> float:
        """The pause after another 429 without Retry-After while the congestion lasts."""
        return min(self.max_pause, max(pause, 2.0 * last))

    def pacing(self, rate: int) -> tuple[float, float]:
        """(interval, tolerance) of the even pace: one start per interval, `burst` at once.

        A burst of b, then one start per interval, puts at most b + (rate - b + 1) - 1 = rate
        starts in any span: the configured rate holds over every window, not just on average.
        """
        burst = max(1, min(self.burst, rate))
        interval = self.span / (rate - burst + 1)
        return interval, (burst - 1) * interval

    def bulk_interval(self, interval: float) -> float:
        """Bulk's own interval while live work is around: it leaves `live_share` free."""
        return interval / (1.0 - self.live_share)


def has_retry_after(retry_after: float | None) -> bool:
    """Whether the 429 carried a usable Retry-After (a number of seconds, not negative)."""
    return retry_after is not None and retry_after == retry_after and retry_after >= 0


def rate_cap(limits: Limits, ceiling: int | None) -> int:
    """The most the rate may recover to: the configured limit, or the learned ceiling."""
    return limits.rate if ceiling is None else max(1, min(limits.rate, ceiling))


def effective_rate(
    limits: Limits,
    policy: Policy,
    *,
    base: int | None,
    cut_at: float,
    ceiling: int | None,
    now: float,
) -> int:
    """The rate in force: `base` after the last cut, plus one step per window since `cut_at`,
    up to the ceiling."""
    cap = rate_cap(limits, ceiling)
    if base is None:
        return cap
    steps = max(0, math.floor((now - cut_at) / policy.window))
    return max(1, min(cap, base + steps * policy.step(limits)))


def after_429(
    limits: Limits,
    policy: Policy,
    *,
    current: int,
    started: int,
    retry_after_known: bool,
    pace: float | None = None,
) -> tuple[int, int]:
    """(rate, ceiling) after a 429 met at rate `current`, `started` requests in the last window.

    A host that sends Retry-After counts requests per window: what it let through in the
    last window is its limit. One that does not (nginx limit_req) refuses a pace: `pace` is
    the rate it let through since its previous 429 (a leaky bucket full at both), when that
    came within the window; without it the pace in force was too fast, and the ceiling goes
    just under it while the rate drops below both.
    """
    floor, least = policy.floor(limits), math.ceil(current * policy.least_share)
    if retry_after_known and started < current:
        measured: float | None = max(started, least)
    elif not retry_after_known and pace is not None:
        measured = max(min(pace, current), least)
    else:
        measured = None
    if measured is None:
        ceiling = max(floor, math.floor(current * policy.ceiling_margin))
        return max(floor, min(math.floor(current * policy.decrease), ceiling)), ceiling
    ceiling = max(floor, math.floor(measured * policy.measured_margin))
    if pace is not None:
        return ceiling, ceiling  # the shop's own pace: no need to go below it
    return max(floor, min(math.floor(current * policy.decrease), ceiling)), ceiling


PACE_SAMPLE = 10  # fewer starts between two 429s say too little about the shop's pace


def pace_between(starts: int, seconds: float, window: float) -> float | None:
    """Requests per window at `starts` over `seconds` (None when the span says nothing)."""
    if seconds <= 0 or seconds > window or starts < PACE_SAMPLE:
        return None
    return starts * window / seconds


def probed_ceiling(limits: Limits, policy: Policy, ceiling: int) -> int | None:
    """The ceiling one probe step higher; None once it reaches the configured limit."""
    raised = ceiling + max(1, math.ceil(ceiling * policy.probe_share))
    return None if raised >= limits.rate else raised
