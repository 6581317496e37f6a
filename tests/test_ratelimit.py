"""The shared rate limiter: even pace with a bounded burst, concurrency cap, 429 pause and
recovery, in Redis across threads and processes, and in-process with the same semantics.

Most tests run against both implementations on a fake clock (tests/fixtures/ratelimit.py);
assertions count granted slots and compare the waits the limiter reports.
"""

import contextlib
import functools
import logging
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import redis

from integrations.models import Integration
from integrations.prestashop import PrestaShopClient, RateLimited, ShopTemporaryError
from integrations.ratelimit import (
    LimiterTimeout,
    Limits,
    LocalLimiter,
    Policy,
    RedisLimiter,
    limiter_for,
    policy_from_settings,
    shared,
)
from integrations.tasks import next_retry
from tests.fixtures.ratelimit import Configured, burst, drive, most_in_any_window

ROOT = Path(__file__).resolve().parents[1]


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


def test_requests_start_one_per_interval_instead_of_a_whole_minute_at_once(make_limiter):
    limiter = make_limiter(rate=300, window=60.0, margin=1.0)

    at_once = burst(limiter, 10)
    starts = drive(limiter, make_limiter.clock, 120.0)

    assert [a.granted for a in at_once] == [True] + [False] * 9
    assert at_once[1].wait == pytest.approx(61.0 / 300, abs=1e-5)  # one start per interval
    assert most_in_any_window(starts, 1.0) == 5  # about 300 / 61 per second, never a pile
    assert most_in_any_window(starts, 61.0) == 300


def test_a_burst_setting_lets_that_many_start_at_once_and_the_rate_holds_over_every_window(
    make_limiter,
):
    limiter = make_limiter(rate=30, burst=5, window=60.0, margin=1.0)
    start = make_limiter.clock.now

    starts = drive(limiter, make_limiter.clock, 300.0)

    assert starts[:5] == [start] * 5
    assert starts[5] > start
    # 5 at once, then one per 61 / 26 s: 5 + 26 - 1 starts in the first window, and no more
    # in any window after it.
    assert most_in_any_window(starts, 61.0) == 30


def test_a_lowered_limit_holds_at_once_even_against_starts_already_made(make_limiter):
    configured = Configured(rate=60)
    limiter = make_limiter(configured, burst=60)
    burst(limiter, 40)

    configured.value = Limits(10, 100)
    refused = limiter.try_acquire()

    # 40 starts sit in the span: nothing more until fewer than 10 remain in it.
    assert not refused.granted
    assert refused.wait == pytest.approx(61.0, abs=1e-3)


def test_two_processes_asking_at_once_get_the_burst_together_not_each(redis_url):
    client = run_two_workers(redis_url, "rate")

    granted = sorted(int(n) for n in client.lrange("granted", 0, -1))
    assert len(granted) == 2
    assert sum(granted) == 15


def test_two_threads_in_each_of_two_processes_never_hold_more_than_two_slots(redis_url):
    client = run_two_workers(redis_url, "concurrency")

    events = [int(e) for e in client.lrange("events", 0, -1)]
    assert events.count(1) == 16
    assert max_overlap(events) == 2


@pytest.mark.parametrize("kind", ["local", "redis"])
def test_threads_sharing_a_limiter_never_hold_more_than_the_cap(kind, request):
    limits = lambda: Limits(1000, 2)  # noqa: E731
    policy = Policy(poll=0.01, burst=1000)
    if kind == "redis":
        url = request.getfixturevalue("redis_url")
        limiter = RedisLimiter(uuid.uuid4().hex, limits, policy, url=url)
    else:
        limiter = LocalLimiter(uuid.uuid4().hex, limits, policy)

    events = hold_slots_in_threads(limiter, hold=0.03)

    assert events.count(1) == 20
    assert max_overlap(events) == 2


def test_four_workers_through_one_limiter_never_trip_the_shops_own_rate_limit(
    redis_url, simulator_factory
):
    shop = simulator_factory(section9=True, rate_limit=5, rate_window=1.0, read_latency=0.02)
    key = uuid.uuid4().hex
    policy = Policy(window=1.0, margin=0.1)
    clients = [
        PrestaShopClient(
            shop.url,
            shop.key,
            limiter=RedisLimiter(key, lambda: Limits(5, 2), policy, url=redis_url),
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


def test_a_429_pauses_every_worker_for_its_retry_after_and_halves_the_rate(make_limiter):
    key = uuid.uuid4().hex
    worker_a = make_limiter(rate=40, key=key)
    worker_b = make_limiter(rate=40, key=key)
    drive(worker_a, make_limiter.clock, 61.0)  # a window at the full pace

    worker_a.backoff(30.0)

    attempt = worker_b.try_acquire()
    assert not attempt.granted
    assert attempt.wait == pytest.approx(30.0)
    assert worker_b.status().rate == 20
    assert worker_b.status().paused_for == pytest.approx(30.0)


def test_a_retry_after_of_an_hour_pauses_the_limiter_and_the_task_only_up_to_the_one_cap(
    make_limiter, settings
):
    settings.INVSYNC_RETRY_AFTER_MAX = 120  # INVSYNC_RETRY_AFTER_MAX: one cap for both
    limiter = make_limiter(rate=40, max_pause=policy_from_settings().max_pause)

    limiter.backoff(3600.0)

    assert limiter.try_acquire().wait == pytest.approx(120.0)
    assert next_retry(RateLimited("429", retry_after=3600), None) == (120.0, {"rate_limited": 1})


def test_429s_arriving_during_the_pause_cut_the_rate_only_once(make_limiter):
    limiter = make_limiter(rate=40)
    drive(limiter, make_limiter.clock, 61.0)

    limiter.backoff(30.0)
    limiter.backoff(30.0)
    limiter.backoff(None)

    assert limiter.status().rate == 20


def test_without_retry_after_the_pause_is_short_and_doubles_while_the_429s_go_on(make_limiter):
    limiter = make_limiter(rate=40, default_pause=5.0)
    pauses = []
    for _ in range(4):
        limiter.backoff(None)
        pauses.append(limiter.try_acquire().wait)
        make_limiter.clock.advance(pauses[-1])
    make_limiter.clock.advance(60.0)  # a window after the cut: a new congestion
    limiter.backoff(None)

    assert pauses == pytest.approx([5.0, 10.0, 20.0, 40.0])
    assert limiter.try_acquire().wait == pytest.approx(5.0)
    # Cut twice: 40 -> 20, back up two steps to 28 in 135 s, halved -> 14.
    assert limiter.status().rate == 14


def test_the_cut_rate_creeps_back_one_step_per_quiet_window(make_limiter):
    limiter = make_limiter(rate=100, window=60.0)
    clock = make_limiter.clock
    drive(limiter, clock, 61.0)  # 98 of them within the last minute: the ceiling is 93

    limiter.backoff(5.0)
    rates = [limiter.status().rate]
    for _ in range(6):
        clock.advance(60.0)
        rates.append(limiter.status().rate)

    # Halved to 50, then 10 % of the limit a window, up to the ceiling learned from the 429.
    assert rates == [50, 50, 60, 70, 80, 90, 93]


def test_a_crashed_holders_slot_frees_itself_when_its_lease_expires(redis_url):
    limiter = RedisLimiter(
        uuid.uuid4().hex, lambda: Limits(1000, 1), Policy(lease=0.3, poll=10.0, burst=100),
        url=redis_url,
    )  # fmt: skip
    crashed = limiter.try_acquire()  # never released

    blocked = limiter.try_acquire()
    time.sleep(0.35)
    after_lease = limiter.try_acquire()

    assert crashed.granted
    assert not blocked.granted
    assert 0 < blocked.wait <= 0.3  # told to come back when the lease runs out, not in 10 s
    assert after_lease.granted


def test_slot_gives_the_concurrency_slot_back_even_when_the_request_fails(make_limiter):
    limiter = make_limiter(concurrent=1, burst=10)

    with pytest.raises(RuntimeError), limiter.slot():
        raise RuntimeError("request failed")

    assert limiter.try_acquire().granted


def test_slot_raises_limiter_timeout_when_the_wait_exceeds_the_timeout(make_limiter):
    limiter = make_limiter()
    limiter.backoff(30.0)

    with pytest.raises(LimiterTimeout, match=r"within 1 s") as caught:
        limiter.acquire(timeout=1.0)

    assert isinstance(caught.value, ShopTemporaryError)  # the task retries it


def test_every_redis_key_expires_so_nothing_lingers(redis_url):
    limiter = RedisLimiter(
        uuid.uuid4().hex, lambda: Limits(10, 10), Policy(lease=120.0), url=redis_url, lane="live"
    )
    limiter.try_acquire()
    limiter.try_acquire()  # refused: a live waiter is noted
    limiter.backoff(5.0)

    client = redis.Redis.from_url(redis_url)
    ttls = {key.decode().rsplit(":", 1)[1]: client.pttl(key) for key in client.keys("invsync:*")}

    assert set(ttls) == {"state", "log", "leases", "waiting", "pause", "aimd", "ceiling"}
    assert all(ttl > 0 for ttl in ttls.values())
    assert ttls["log"] <= 62_000
    assert ttls["pause"] <= 6_000
    assert ttls["waiting"] <= 4_000


# Two worker processes on one Redis: each waits for "go", then uses the limiter.
WORKER = """
import sys, threading, time
import redis
from integrations.ratelimit import Limits, Policy, RedisLimiter

url, key, mode = sys.argv[1:4]
r = redis.Redis.from_url(url)
if mode == "concurrency":
    limiter = RedisLimiter(key, lambda: Limits(1000, 2), Policy(poll=0.01, burst=1000), url=url)
else:
    limiter = RedisLimiter(key, lambda: Limits(15, 100), Policy(burst=15), url=url)
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


@pytest.mark.both_databases
@pytest.mark.django_db
def test_a_raised_requests_per_minute_takes_effect_on_the_next_acquisition(
    redis_url, settings, make_integration
):
    settings.INVSYNC_REDIS_URL = redis_url
    settings.INVSYNC_RATELIMIT_BURST = 10  # the whole rate at once: the budget shows
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
    settings.INVSYNC_RATELIMIT_BURST = 10
    integration = make_integration(requests_per_minute=4, max_concurrent_requests=10)

    first, second = limiter_for(integration), limiter_for(integration, lane="live")
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
    settings.INVSYNC_RATELIMIT_BURST = 10
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


@pytest.fixture
def silent_redis():
    """A TCP server that takes connections and never answers: Redis too busy to reply."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted = []

    def serve():
        with contextlib.suppress(OSError):
            while True:
                accepted.append(server.accept()[0])

    threading.Thread(target=serve, daemon=True).start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    server.close()
    for connection in accepted:
        connection.close()


def test_a_redis_answer_slower_than_the_timeout_switches_to_the_fallback_mid_run(
    silent_redis, monkeypatch, caplog
):
    # Why a Redis test could fail on a loaded machine: one slow answer and the rest of the
    # run is in-process, with a fresh budget. Tests give Redis 30 s (tests/settings.py).
    monkeypatch.setattr(shared, "_down_until", {})
    limiter = RedisLimiter(
        uuid.uuid4().hex, lambda: Limits(3, 10), Policy(burst=3), url=silent_redis,
        socket_timeout=0.2,
    )  # fmt: skip

    with caplog.at_level(logging.WARNING, logger="integrations.ratelimit"):
        results = burst(limiter, 4)

    assert [a.granted for a in results] == [True, True, True, False]  # the fallback's budget
    assert shared.is_down(silent_redis)
    assert shared.failed_calls(silent_redis) == 1  # then the fallback without asking again
    assert "unreachable" in caplog.text


@pytest.mark.django_db
def test_limiter_for_gives_redis_the_configured_timeout(settings, make_integration, redis_url):
    settings.INVSYNC_REDIS_URL = redis_url
    settings.INVSYNC_REDIS_TIMEOUT = 7.5

    limiter = limiter_for(make_integration())

    assert limiter.client.connection_pool.connection_kwargs["socket_timeout"] == 7.5


def test_an_unknown_lane_is_refused_with_a_clear_error():
    with pytest.raises(ValueError, match="unknown lane 'urgent'"):
        LocalLimiter("k", lambda: Limits(1, 1), lane="urgent")


def test_zero_limits_from_the_admin_still_let_one_request_through():
    assert Limits(0, 0) == Limits(1, 1)
    assert Limits(0, None) == Limits(1, 1)


def test_a_wall_clock_set_back_an_hour_does_not_stall_the_shop_for_an_hour(make_limiter):
    limiter = make_limiter(rate=10, burst=10)
    burst(limiter, 10)

    make_limiter.clock.advance(-3600.0)
    after = limiter.try_acquire()

    # The burst is spent: the next start is one interval (61 s) away, not an hour and more.
    assert after.wait == pytest.approx(61.0, abs=1e-3)
