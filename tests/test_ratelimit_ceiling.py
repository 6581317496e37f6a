"""The learned ceiling: a 429 sets it just under the rate the shop let through, the rate
recovers to it and no further, it rises one small step per hour spent against it, and it
outlives Redis (seeded again from durable storage through the hook).

Time is faked: hours of traffic against the simulator's own rate-limit model take a second.
"""

import math
import uuid

import pytest
import redis

from integrations.ratelimit import Learned, Limits, LocalLimiter, Policy, forget_local_states
from prestashop_sim.load import LoadModel, retry_after_value
from tests.fixtures.ratelimit import EPOCH, FakeClock, MemoryHook, drive

HOUR = 3600.0


def meet_host(
    limiter, clock, host: LoadModel, hours: int, *, latency: float = 0.05, served=None
) -> list:
    """Send as fast as the limiter lets one worker for `hours`; a refused request is answered
    with 429 (and Retry-After unless the host sends none), as the simulator does. The 429s'
    times, from the start; the served requests' times go to `served` when given."""
    start, refused = clock.now, []
    while clock.now - start < hours * HOUR:
        attempt = limiter.try_acquire()
        if not attempt.granted:
            clock.advance(attempt.wait)
            continue
        attempt.release()
        wait = host.admit()
        if wait is not None:
            refused.append(clock.now - start)
            limiter.backoff(float(retry_after_value(wait)) if host.retry_after else None)
        elif served is not None:
            served.append(clock.now - start)
        clock.advance(latency)
    return refused


def per_hour(times: list[float], hours: int) -> list[int]:
    return [sum(1 for t in times if h * HOUR <= t < (h + 1) * HOUR) for h in range(hours)]


def test_a_shop_allowing_100_a_minute_meets_an_integration_set_to_300_with_one_429_an_hour():
    # In-process only: the Redis limiter runs the same dynamics ten times smaller below.
    hook, clock = MemoryHook(), FakeClock()
    limiter = LocalLimiter("shop", lambda: Limits(300, 8), Policy(), hook=hook.hook, clock=clock)
    host = LoadModel(clock=clock, rate_limit=100, rate_window=60.0)

    refused = meet_host(limiter, clock, host, hours=6)

    counts = per_hour(refused, 6)
    assert counts[0] == 1  # the first 429 teaches the ceiling
    assert max(counts[1:]) <= 1  # later ones only from an hourly probe upward
    assert sum(counts) <= 3
    assert hook.stored.value in range(90, 101)


def test_the_same_shop_ten_times_smaller_on_both_limiters(make_limiter):
    hook = MemoryHook()
    limiter = make_limiter(rate=30, hook=hook)
    host = LoadModel(clock=make_limiter.clock, rate_limit=10, rate_window=60.0)

    refused = meet_host(limiter, make_limiter.clock, host, hours=3)

    counts = per_hour(refused, 3)
    assert counts[0] == 1  # learned from the first 429
    assert max(counts[1:]) <= 1  # then at most an hourly probe one step too far
    assert refused[0] < 60.0
    assert hook.stored.value in (9, 10)


HOST_MODES = {
    # A proxy counting a sliding minute, answering 429 with Retry-After.
    "sliding": {"rate_mode": "sliding"},
    # nginx limit_req rate=100r/m burst=5 nodelay with limit_req_status 429: no Retry-After.
    "leaky": {"rate_mode": "leaky", "rate_burst": 5, "rate_nodelay": True, "retry_after": False},
}


@pytest.mark.parametrize("mode", sorted(HOST_MODES))
def test_against_either_rate_model_the_limiter_learns_the_shops_limit_and_keeps_to_it(
    make_limiter, mode
):
    hook, served = MemoryHook(), []
    limiter = make_limiter(rate=300, concurrent=4, hook=hook)
    host = LoadModel(clock=make_limiter.clock, rate_limit=100, rate_window=60.0, **HOST_MODES[mode])

    refused = meet_host(limiter, make_limiter.clock, host, hours=1, served=served)

    assert refused[0] < 60.0  # the integration's 300 meets the shop's 100 in the first minute
    assert len(refused) <= 6  # a few more while a leaky bucket's pace is measured
    assert not [t for t in refused if t >= 10 * 60.0]  # then none for the rest of the hour
    assert hook.stored.value in range(85, 101)
    # Held just under the shop's limit, not far below it: the last 50 minutes serve at least
    # 90 % of the 5,000 requests the shop would let through.
    assert sum(1 for t in served if t >= 10 * 60.0) >= 0.9 * 100 * 50


def test_a_429_with_retry_after_sets_the_ceiling_under_what_went_through_in_the_window(
    make_limiter,
):
    hook = MemoryHook()
    limiter = make_limiter(rate=300, hook=hook)
    started = drive(limiter, make_limiter.clock, 20.0)

    limiter.backoff(40.0)

    status = limiter.status()
    assert len(started) == 99
    assert (status.ceiling, status.rate) == (math.floor(99 * 0.95), 94)
    assert hook.saved == [Learned(94, pytest.approx(make_limiter.clock.now, abs=1e-3))]


def test_a_429_without_retry_after_sets_the_ceiling_just_under_the_pace(make_limiter):
    limiter = make_limiter(rate=300)
    drive(limiter, make_limiter.clock, 20.0)

    limiter.backoff(None)

    # A leaky bucket refuses a pace: 300 was too fast, so 270 is the most; the rate halves.
    assert (limiter.status().ceiling, limiter.status().rate) == (270, 150)


def test_the_rate_recovers_to_the_ceiling_and_no_further(make_limiter):
    limiter = make_limiter(rate=300)
    drive(limiter, make_limiter.clock, 20.0)
    limiter.backoff(40.0)

    make_limiter.clock.advance(40.0 + 30 * 60.0)  # 30 quiet windows: +30 each

    assert limiter.status().rate == 94
    assert len(drive(limiter, make_limiter.clock, 61.0)) == 94


def test_the_ceiling_rises_one_step_after_an_hour_spent_against_it(make_limiter):
    hook = MemoryHook(Learned(90, EPOCH))
    limiter = make_limiter(rate=300, hook=hook)
    drive(limiter, make_limiter.clock, 120.0)  # two minutes held back by the ceiling

    make_limiter.clock.advance(HOUR - 121.0)
    early = limiter.try_acquire()
    make_limiter.clock.advance(2.0)
    limiter.try_acquire()

    assert early.granted
    assert [learned.value for learned in hook.saved] == [95]  # + 5 % of 90, rounded up
    assert limiter.status().ceiling == 95


def test_an_hour_without_traffic_does_not_raise_the_ceiling(make_limiter):
    hook = MemoryHook(Learned(90, EPOCH))
    limiter = make_limiter(rate=300, hook=hook)
    limiter.try_acquire()  # one request: the ceiling never held anything back

    make_limiter.clock.advance(5 * HOUR)
    limiter.try_acquire()

    assert hook.saved == []
    assert limiter.status().ceiling == 90


def test_a_ceiling_raised_to_the_configured_limit_is_dropped(make_limiter):
    hook = MemoryHook(Learned(98, EPOCH))
    limiter = make_limiter(rate=100, hook=hook)
    drive(limiter, make_limiter.clock, 120.0)

    make_limiter.clock.advance(HOUR)
    limiter.try_acquire()

    assert hook.saved == [Learned(None, pytest.approx(make_limiter.clock.now, abs=1e-3))]
    assert limiter.status().rate == 100


def test_the_ceiling_outlives_the_redis_state_and_is_seeded_from_storage(make_limiter):
    hook, key = MemoryHook(), uuid.uuid4().hex
    limiter = make_limiter(rate=300, hook=hook, key=key)
    drive(limiter, make_limiter.clock, 20.0)
    limiter.backoff(40.0)
    make_limiter.clock.advance(3 * HOUR)  # Redis may expire anything by now; a process restarts

    if make_limiter.kind == "redis":
        redis.Redis.from_url(make_limiter.redis_url).flushdb()
    forget_local_states()
    fresh = make_limiter(rate=300, hook=hook, key=key)

    assert fresh.status().ceiling == 94
    assert len(drive(fresh, make_limiter.clock, 61.0)) == 94  # the next run starts under it


def test_a_process_adopts_a_reset_stored_elsewhere_within_a_minute(make_limiter):
    hook = MemoryHook(Learned(90, EPOCH))
    limiter = make_limiter(rate=300, hook=hook)
    assert limiter.status().ceiling == 90

    hook.stored = Learned(None, make_limiter.clock.now)  # the admin's reset, in the database
    limiter.forget_learned()  # what the reset does to Redis (and to the admin's process)
    make_limiter.clock.advance(61.0)

    assert limiter.status().ceiling is None
    assert limiter.status().rate == 300


def test_a_failing_storage_never_stops_the_limiter(make_limiter, caplog):
    def broken(*args):
        raise ConnectionError("database gone")

    hook = MemoryHook()
    hook.load = hook.save = broken
    limiter = make_limiter(rate=300, hook=hook)

    granted = limiter.try_acquire().granted
    limiter.backoff(10.0)

    assert granted
    assert limiter.status().ceiling == 71  # kept by the limiter meanwhile
    assert "not stored" in caplog.text
