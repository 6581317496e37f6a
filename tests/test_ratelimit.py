"""The shared rate limiter: per-window budget, concurrency cap, 429 pause and AIMD, in Redis
across threads and processes, and the in-process fallback with the same semantics.

Assertions count granted slots and compare reported waits; durations are shrunk through
Policy so the few tests that let time pass stay short.
"""

import functools
import logging
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import redis

from integrations.models import Integration
from integrations.prestashop import PrestaShopClient, ShopTemporaryError
from integrations.ratelimit import (
    LimiterTimeout,
    Limits,
    LocalLimiter,
    Policy,
    RedisLimiter,
    forget_local_states,
    limiter_for,
    shared,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _fresh_local_states():
    """SQLite hands a rolled-back integration id out again; its in-process budget must not
    carry over from the previous test."""
    forget_local_states()
    yield
    forget_local_states()


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Configured:
    """Limits an operator can change between acquisitions, like the admin does."""

    def __init__(self, rate: int, concurrent: int):
        self.value = Limits(rate, concurrent)

    def __call__(self) -> Limits:
        return self.value


def redis_limiter(url, rate=1000, concurrent=100, *, key=None, **policy) -> RedisLimiter:
    key = key or uuid.uuid4().hex
    return RedisLimiter(key, lambda: Limits(rate, concurrent), Policy(**policy), url=url)


def local_limiter(rate=1000, concurrent=100, *, clock=time.monotonic, **policy) -> LocalLimiter:
    return LocalLimiter(
        uuid.uuid4().hex, lambda: Limits(rate, concurrent), Policy(**policy), clock=clock
    )


def burst(limiter, attempts: int) -> list:
    """try_acquire `attempts` times, releasing each granted slot at once."""
    results = [limiter.try_acquire() for _ in range(attempts)]
    for attempt in results:
        attempt.release()
    return results


def max_overlap(events) -> int:
    held = peak = 0
    for event in events:
        held += int(event)
        peak = max(peak, held)
    return peak


def run_threads(targets) -> None:
    """Run each callable in its own thread, all at once; return when every one has finished."""
    threads = [threading.Thread(target=target) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def hold_slots_in_threads(limiter, *, hold: float, threads: int = 4, rounds: int = 5) -> list:
    """Each thread takes a slot `rounds` times and holds it `hold` seconds; returns the
    events in order: 1 when a slot was taken, -1 when it was given back."""
    events, lock = [], threading.Lock()

    def work():
        for _ in range(rounds):
            with limiter.slot(timeout=20):
                with lock:
                    events.append(1)
                time.sleep(hold)
                with lock:
                    events.append(-1)

    run_threads([work] * threads)
    return events


# Two worker processes on one Redis: each waits for "go", then uses the limiter.
WORKER = """
import sys, threading, time
import redis
from integrations.ratelimit import Limits, Policy, RedisLimiter

url, key, mode = sys.argv[1:4]
r = redis.Redis.from_url(url)
if mode == "concurrency":
    limiter = RedisLimiter(key, lambda: Limits(1000, 2), Policy(poll=0.01), url=url)
else:
    limiter = RedisLimiter(key, lambda: Limits(15, 100), Policy(), url=url)
r.rpush("ready", 1)
while not r.exists("go"):
    time.sleep(0.005)

def hold_slots():
    for _ in range(4):
        with limiter.slot(timeout=30):
            r.rpush("events", 1)
            time.sleep(0.03)
            r.rpush("events", -1)

if mode == "concurrency":
    threads = [threading.Thread(target=hold_slots) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
else:
    granted = 0
    for _ in range(20):
        attempt = limiter.try_acquire()
        granted += attempt.granted
        attempt.release()
    r.rpush("granted", granted)
"""


def run_two_workers(url: str, mode: str) -> redis.Redis:
    client = redis.Redis.from_url(url)
    key = uuid.uuid4().hex
    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER, url, key, mode], cwd=ROOT) for _ in range(2)
    ]
    deadline = time.monotonic() + 60
    while client.llen("ready") < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    client.set("go", 1)
    assert [worker.wait(timeout=60) for worker in workers] == [0, 0]
    return client


def test_a_burst_of_60_against_30_per_window_starts_exactly_30_and_the_rest_wait(redis_url):
    limiter = redis_limiter(redis_url, rate=30, margin=1.0)

    results = burst(limiter, 60)

    assert sum(a.granted for a in results) == 30
    assert all(a.granted for a in results[:30])
    refused_waits = [a.wait for a in results[30:]]
    # The first start leaves the 61 s span (window + margin) no sooner than 60 s from now.
    assert all(60 < wait <= 61 for wait in refused_waits)


def test_two_processes_taking_20_each_from_15_per_window_get_15_together(redis_url):
    client = run_two_workers(redis_url, "rate")

    granted = sorted(int(n) for n in client.lrange("granted", 0, -1))
    assert len(granted) == 2
    assert sum(granted) == 15


def test_two_threads_in_each_of_two_processes_never_hold_more_than_two_slots(redis_url):
    client = run_two_workers(redis_url, "concurrency")

    events = [int(e) for e in client.lrange("events", 0, -1)]
    assert events.count(1) == 16
    assert max_overlap(events) == 2


def test_threads_sharing_a_redis_limiter_never_hold_more_than_the_cap(redis_url):
    limiter = redis_limiter(redis_url, concurrent=2, poll=0.01)

    events = hold_slots_in_threads(limiter, hold=0.02)

    assert events.count(1) == 20
    assert max_overlap(events) == 2


def test_four_workers_through_one_limiter_never_trip_the_shops_own_rate_limit(
    redis_url, simulator_factory
):
    shop = simulator_factory(section9=True, rate_limit=5, rate_window=1.0, read_latency=0.02)
    key = uuid.uuid4().hex
    clients = [
        PrestaShopClient(
            shop.url,
            shop.key,
            limiter=redis_limiter(redis_url, rate=5, concurrent=2, key=key, window=1.0, margin=0.1),
        )
        for _ in range(4)
    ]

    def work(client):
        for _ in range(3):
            client.fetch_stock([7])

    run_threads([functools.partial(work, client) for client in clients])

    counters = shop.counters()
    assert counters["total"] == sum(client.requests_sent for client in clients) >= 12
    assert counters["rate_limited"] == 0
    assert counters["max_in_flight"] <= 2


def test_a_429_pauses_every_worker_for_its_retry_after_and_halves_the_rate(redis_url):
    key = uuid.uuid4().hex
    worker_a = redis_limiter(redis_url, rate=40, key=key)
    worker_b = redis_limiter(redis_url, rate=40, key=key)

    worker_a.backoff(30.0)

    attempt = worker_b.try_acquire()
    assert not attempt.granted
    assert 29.0 < attempt.wait <= 30.0
    assert worker_b.effective_limit() == 20


def test_429s_arriving_during_the_pause_cut_the_rate_only_once(redis_url):
    limiter = redis_limiter(redis_url, rate=40)

    limiter.backoff(30.0)
    limiter.backoff(30.0)
    limiter.backoff(None)

    assert limiter.effective_limit() == 20


def test_without_retry_after_the_pause_is_the_short_default(redis_url):
    limiter = redis_limiter(redis_url, rate=40, default_pause=5.0)

    limiter.backoff(None)

    attempt = limiter.try_acquire()
    assert 4.0 < attempt.wait <= 5.0


def test_after_the_pause_only_the_halved_rate_may_start(redis_url):
    limiter = redis_limiter(redis_url, rate=40)

    limiter.backoff(0.1)
    time.sleep(0.15)

    assert sum(a.granted for a in burst(limiter, 40)) == 20


def test_the_cut_rate_creeps_back_one_step_per_window_without_a_429(redis_url):
    limiter = redis_limiter(redis_url, rate=10, window=1.0, margin=0.0)

    limiter.backoff(0.2)
    halved = limiter.effective_limit()
    time.sleep(0.2 + 1.2)  # the pause, then a little more than one quiet window

    assert (halved, limiter.effective_limit()) == (5, 6)


def test_a_crashed_holders_slot_frees_itself_when_its_lease_expires(redis_url):
    limiter = redis_limiter(redis_url, concurrent=1, lease=0.3, poll=10.0)
    crashed = limiter.try_acquire()  # never released

    blocked = limiter.try_acquire()
    time.sleep(0.35)
    after_lease = limiter.try_acquire()

    assert crashed.granted
    assert not blocked.granted
    assert 0 < blocked.wait <= 0.3  # told to come back when the lease runs out, not in 10 s
    assert after_lease.granted


def test_slot_gives_the_concurrency_slot_back_even_when_the_request_fails(redis_url):
    limiter = redis_limiter(redis_url, concurrent=1)

    with pytest.raises(RuntimeError), limiter.slot():
        raise RuntimeError("request failed")

    assert limiter.try_acquire().granted


def test_slot_raises_limiter_timeout_when_the_wait_exceeds_the_timeout(redis_url):
    limiter = redis_limiter(redis_url)
    limiter.backoff(30.0)

    with pytest.raises(LimiterTimeout, match=r"within 1 s") as caught:
        limiter.acquire(timeout=1.0)

    assert isinstance(caught.value, ShopTemporaryError)  # the task retries it


def test_every_redis_key_expires_so_nothing_lingers(redis_url):
    limiter = redis_limiter(redis_url, rate=10, window=60.0, lease=120.0)
    limiter.try_acquire()
    limiter.backoff(5.0)

    client = redis.Redis.from_url(redis_url)
    ttls = {key.decode().rsplit(":", 1)[1]: client.pttl(key) for key in client.keys("invsync:*")}

    assert set(ttls) == {"log", "leases", "pause", "aimd"}
    assert all(ttl > 0 for ttl in ttls.values())
    assert ttls["log"] <= 62_000
    assert ttls["pause"] <= 6_000


@pytest.mark.both_databases
@pytest.mark.django_db
def test_a_raised_requests_per_minute_takes_effect_on_the_next_acquisition(
    redis_url, settings, make_integration
):
    settings.INVSYNC_REDIS_URL = redis_url
    integration = make_integration(requests_per_minute=3, max_concurrent_requests=10)
    limiter = limiter_for(integration)
    first = burst(limiter, 4)

    integration.requests_per_minute = 5
    integration.save(update_fields=["requests_per_minute"])
    same_limiter = burst(limiter, 1)
    next_task = burst(limiter_for(Integration.objects.get(pk=integration.pk)), 2)

    assert isinstance(limiter, RedisLimiter)
    assert [a.granted for a in first] == [True, True, True, False]
    assert [a.granted for a in same_limiter + next_task] == [True, True, False]


@pytest.mark.both_databases
@pytest.mark.django_db
def test_without_redis_every_limiter_for_one_integration_shares_one_process_budget(
    settings, make_integration
):
    settings.INVSYNC_REDIS_URL = ""
    integration = make_integration(requests_per_minute=4, max_concurrent_requests=10)

    first, second = limiter_for(integration), limiter_for(integration)
    granted = sum(a.granted for a in burst(first, 3) + burst(second, 3))

    assert isinstance(first, LocalLimiter)
    assert granted == 4


@pytest.mark.both_databases
@pytest.mark.django_db
def test_unreachable_redis_falls_back_to_in_process_limits_and_warns_once(
    settings, make_integration, caplog, monkeypatch
):
    monkeypatch.setattr(shared, "_down_until", {})
    settings.INVSYNC_REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    integration = make_integration(requests_per_minute=3, max_concurrent_requests=10)
    limiter = limiter_for(integration)

    with caplog.at_level(logging.WARNING, logger="integrations.ratelimit"):
        results = burst(limiter, 5)
        limiter.backoff(30.0)
        paused = limiter.try_acquire()

    assert isinstance(limiter, RedisLimiter)
    assert [a.granted for a in results] == [True, True, True, False, False]
    assert 29.0 < paused.wait <= 30.0
    warnings = [r.getMessage() for r in caplog.records if r.name == "integrations.ratelimit"]
    assert len(warnings) == 1
    assert "unreachable" in warnings[0]


def test_in_process_limiter_starts_the_rate_per_window_then_the_next_batch():
    clock = FakeClock()
    limiter = local_limiter(rate=30, clock=clock, window=60.0, margin=1.0)

    first = burst(limiter, 60)
    clock.advance(30.0)
    midway = limiter.try_acquire()
    clock.advance(31.01)
    next_window = burst(limiter, 60)

    assert sum(a.granted for a in first) == 30
    assert first[30].wait == pytest.approx(61.0, abs=1e-3)
    assert midway.wait == pytest.approx(31.0, abs=1e-3)
    assert sum(a.granted for a in next_window) == 30


def test_in_process_limiter_caps_concurrent_threads():
    limiter = local_limiter(concurrent=2, poll=0.01)

    events = hold_slots_in_threads(limiter, hold=0.01)

    assert events.count(1) == 20
    assert max_overlap(events) == 2


def test_in_process_aimd_halves_per_429_stops_at_the_floor_and_recovers_per_window():
    clock = FakeClock()
    limiter = local_limiter(rate=40, clock=clock, window=60.0, default_pause=5.0)
    rates = []
    for _ in range(4):
        limiter.backoff(None)
        limiter.backoff(None)  # during the pause: no second cut
        rates.append(limiter.effective_limit())
        clock.advance(5.01)
    recovered = []
    for _ in range(3):
        clock.advance(60.0)
        recovered.append(limiter.effective_limit())
    clock.advance(60.0 * 10)

    assert rates == [20, 10, 5, 4]  # the floor is 10 % of the configured 40
    assert recovered == [8, 12, 16]  # one step of 10 % per quiet window
    assert limiter.effective_limit() == 40


def test_in_process_pause_reports_the_retry_after_and_a_limit_change_applies_at_once():
    clock = FakeClock()
    configured = Configured(rate=2, concurrent=10)
    limiter = LocalLimiter(uuid.uuid4().hex, configured, Policy(), clock=clock)

    before = burst(limiter, 3)
    configured.value = Limits(4, 10)
    raised = burst(limiter, 3)
    limiter.backoff(12.0)
    paused = limiter.try_acquire()

    assert [a.granted for a in before + raised] == [True, True, False, True, True, False]
    assert paused.wait == pytest.approx(12.0)


def test_zero_limits_from_the_admin_still_let_one_request_through():
    assert Limits(0, 0) == Limits(1, 1)
