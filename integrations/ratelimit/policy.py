"""What a limiter enforces: the shop's limits, the timing policy, and the AIMD arithmetic."""

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """The integration's configured limits, read afresh for every acquisition."""

    rate: int  # requests that may start per window (a minute by default)
    concurrent: int  # requests in flight at once

    def __post_init__(self):
        # The admin accepts 0 (PositiveIntegerField); 0 would block the sync forever.
        object.__setattr__(self, "rate", max(1, int(self.rate)))
        object.__setattr__(self, "concurrent", max(1, int(self.concurrent)))


@dataclass(frozen=True)
class Policy:
    """Timing and AIMD knobs; the defaults suit a real shop, tests shrink the durations."""

    window: float = 60.0  # seconds the rate counts over; also the AIMD recovery interval
    # Requests reach the shop a little after they leave us, at uneven delays: counting over
    # a slightly longer span keeps the shop's own window from ever seeing one request too many.
    margin: float = 1.0
    lease: float = 120.0  # a crashed holder's concurrency slot frees itself after this
    default_pause: float = 5.0  # pause after a 429 without Retry-After; AIMD does the rest
    max_pause: float = 900.0  # a broken Retry-After must not stop the sync for hours
    decrease: float = 0.5  # multiplicative decrease of the effective rate after a 429
    floor_share: float = 0.1  # the effective rate never drops below this share of the limit
    step_share: float = 0.1  # additive increase per quiet window, as a share of the limit
    poll: float = 0.05  # how soon to look again when every concurrency slot is taken
    timeout: float = 600.0  # slot() gives up after this long (LimiterTimeout)

    @property
    def span(self) -> float:
        """Seconds a started request counts against the rate."""
        return self.window + self.margin

    def floor(self, limits: Limits) -> int:
        """The lowest effective rate AIMD may reach."""
        return max(1, math.ceil(limits.rate * self.floor_share))

    def step(self, limits: Limits) -> int:
        """How much the effective rate grows back per window without a 429."""
        return max(1, math.ceil(limits.rate * self.step_share))

    def pause_for(self, retry_after: float | None) -> float:
        """Seconds every worker waits after a 429."""
        if retry_after is None or retry_after != retry_after or retry_after < 0:
            return self.default_pause
        return min(float(retry_after), self.max_pause)


def effective_rate(
    limits: Limits, policy: Policy, *, base: int | None, cut_at: float, now: float
) -> int:
    """The rate in force: `base` after the last cut, plus one step per window since `cut_at`.

    The Redis script computes the same thing (scripts.EFFECTIVE); keep the two in step.
    """
    if base is None:
        return limits.rate
    steps = max(0, math.floor((now - cut_at) / policy.window))
    return max(1, min(limits.rate, base + steps * policy.step(limits)))


def cut_rate(limits: Limits, policy: Policy, current: int) -> int:
    """The multiplicatively decreased rate after a 429 (never below the floor)."""
    return max(policy.floor(limits), math.floor(current * policy.decrease))
