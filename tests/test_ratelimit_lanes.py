"""Two lanes on one shop's rate: live requests take the next free slot ahead of waiting bulk
ones, bulk leaves a share of the rate free while live work is around and uses all of it
otherwise, and the shop's total never exceeds the limit.
"""

import threading
import uuid
from contextlib import contextmanager

import pytest

from integrations.prestashop import PrestaShopClient
from integrations.ratelimit import BULK, LIVE, Limits, Policy, RedisLimiter
from integrations.ratelimit.policy import MAX_SLEEP, WAITER_GRACE
from tests.fixtures.ratelimit import drive, most_in_any_window


def lanes(make_limiter, rate: int, **policy):
    """(live, bulk) limiters of one shop."""
    key = uuid.uuid4().hex
    return (
        make_limiter(rate=rate, key=key, lane=LIVE, **policy),
        make_limiter(rate=rate, key=key, lane=BULK, **policy),
    )


def test_a_live_request_takes_the_next_free_slot_ahead_of_waiting_bulk(make_limiter):
    live, bulk = lanes(make_limiter, rate=60)
    clock = make_limiter.clock

    assert bulk.try_acquire().granted
    bulk_waits = bulk.try_acquire()
    live_waits = live.try_acquire()
    clock.advance(live_waits.wait)
    bulk_again, live_again = bulk.try_acquire(), live.try_acquire()

    assert not bulk_waits.granted
    assert not live_waits.granted
    assert live_waits.wait == pytest.approx(bulk_waits.wait)  # both wanted the same slot
    assert not bulk_again.granted  # the slot is there, but a live request waits for it
    assert live_again.granted


def test_while_live_work_is_around_bulk_leaves_a_fifth_of_the_rate_free(make_limiter):
    live, bulk = lanes(make_limiter, rate=300)
    clock = make_limiter.clock
    start = clock.now
    bulk_starts, live_starts, live_due = [], [], start
    end = start + 120.0

    while clock.now < end:
        if clock.now >= live_due:  # one live request every 5 s: live work is always around
            attempt, lane_starts = live.try_acquire(), live_starts
        else:
            attempt, lane_starts = bulk.try_acquire(), bulk_starts
        if attempt.granted:
            attempt.release()
            lane_starts.append(clock.now)
            if lane_starts is live_starts:
                live_due = clock.now + 5.0
        else:
            clock.advance(min(attempt.wait, max(live_due - clock.now, 1e-6)))

    # Bulk keeps to 80 % of the pace (300 per 61 s): 240 in any window, a few less where a
    # live request took the slot bulk was due.
    assert 225 <= most_in_any_window(bulk_starts, 61.0) <= 240
    assert most_in_any_window(sorted(bulk_starts + live_starts), 61.0) <= 300
    # Each live request started the moment it asked, although bulk was always waiting.
    assert live_starts == pytest.approx([start + 5.0 * n for n in range(24)], abs=0.3)


def test_with_no_live_work_around_bulk_uses_the_whole_rate(make_limiter):
    live, bulk = lanes(make_limiter, rate=300, live_window=10.0)
    clock = make_limiter.clock
    assert live.try_acquire().granted
    clock.advance(10.0)  # the live request is no longer recent

    starts = drive(bulk, clock, 61.0)

    assert len(starts) == 300


def test_a_live_waiter_that_stopped_asking_holds_bulk_back_only_briefly(make_limiter):
    live, bulk = lanes(make_limiter, rate=60, live_share=0.0)
    clock = make_limiter.clock
    assert bulk.try_acquire().granted
    gave_up = live.try_acquire()  # refused, and never asks again

    clock.advance(gave_up.wait)
    held_back = bulk.try_acquire()
    clock.advance(MAX_SLEEP + WAITER_GRACE)
    released = bulk.try_acquire()

    assert not held_back.granted
    assert released.granted


class Recorder:
    """Wraps a limiter: notes when a request asked for its slot and when it got it."""

    def __init__(self, limiter, events: list, lock: threading.Lock):
        self.limiter, self.events, self.lock = limiter, events, lock

    @contextmanager
    def slot(self):
        with self.lock:
            asked = len(self.events)
        with self.limiter.slot(timeout=30):
            with self.lock:
                self.events.append((self.limiter.lane, asked))
            yield

    def backoff(self, retry_after):
        self.limiter.backoff(retry_after)


def test_both_lanes_from_threads_on_redis_keep_the_shops_rate_and_live_goes_first(
    redis_url, simulator_factory
):
    # A small window keeps the test short: 20 requests per 2 s, checked by the shop itself.
    shop = simulator_factory(section9=True, rate_limit=20, rate_window=2.0, read_latency=0.01)
    key, events, lock = uuid.uuid4().hex, [], threading.Lock()
    policy = Policy(window=2.0, margin=0.2, live_share=0.0)  # priority alone

    def client(lane: str) -> PrestaShopClient:
        # A separate limiter object per thread, as separate worker processes have.
        limiter = RedisLimiter(key, lambda: Limits(20, 8), policy, url=redis_url, lane=lane)
        return PrestaShopClient(shop.url, shop.key, limiter=Recorder(limiter, events, lock))

    def bulk_work():
        bulk_client = client(BULK)
        for _ in range(12):
            bulk_client.fetch_stock([7])

    def live_work():
        live_client, pause = client(LIVE), threading.Event()
        for _ in range(6):
            pause.wait(0.3)
            live_client.fetch_stock([7])

    threads = [threading.Thread(target=work) for work in [bulk_work] * 3 + [live_work]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    counters = shop.counters()
    assert (counters["total"], counters["rate_limited"]) == (42, 0)
    # Between a live request's ask and its grant, at most one bulk request got a slot (one
    # that was granted in the same instant); three bulk threads were waiting all along.
    live_asks = [asked for lane, asked in events if lane == LIVE]
    overtaken = [
        sum(1 for lane, _ in events[asked:index] if lane == BULK)
        for index, (lane, asked) in enumerate(events)
        if lane == LIVE
    ]
    assert len(live_asks) == 6
    assert max(overtaken) <= 1
