"""Measuring how many requests a shop serves at once: a few parallel reads against the
simulator, whose capacity queues what it cannot serve, as a PHP-FPM pool does."""

import itertools
import threading
import time

from integrations.prestashop import PrestaShopClient, RetryPolicy
from integrations.ratelimit import measure_concurrency


def reader(shop):
    """One stock read, on its own client, as the connection test reads: no limiter (its pace
    would serialise the reads) and no retries (a 429 ends the measurement, not a wait)."""

    def read():
        client = PrestaShopClient(shop.url, shop.key, retry=RetryPolicy.disabled())
        try:
            client.fetch_stock([7])
        finally:
            client.close()

    return read


def test_a_shop_serving_three_at_once_measures_three(simulator_factory):
    shop = simulator_factory(section9=True, capacity=3, read_latency=0.2)

    measured = measure_concurrency(reader(shop))

    assert measured == 3
    assert shop.counters()["total"] == 2 + 2 + 4 + 8


def test_a_straggling_read_does_not_lower_the_measure():
    """A read that a busy machine sends late (here the last one of the rounds of 4 and 8)
    stretches its round by a whole read; the first wave still shows the shop's capacity."""
    shop = threading.Semaphore(3)
    calls = itertools.count()

    def read():
        if next(calls) in (7, 15):
            time.sleep(0.6)
        with shop:
            time.sleep(0.2)

    assert measure_concurrency(read) == 3


def test_a_shop_serving_everything_at_once_measures_the_most_asked(simulator_factory):
    shop = simulator_factory(section9=True, read_latency=0.2)

    assert measure_concurrency(reader(shop), most=6) == 6
    assert shop.counters()["total"] == 2 + 2 + 4 + 6


def test_a_429_under_parallel_load_ends_the_measurement_with_what_was_measured(
    simulator_factory,
):
    shop = simulator_factory(section9=True, read_latency=0.2, rate_limit=6, rate_window=60.0)

    measured = measure_concurrency(reader(shop))

    # 2 alone and 2 at once pass; 4 at once meet the shop's limit after 2 of them.
    assert measured == 2
    assert shop.counters()["rate_limited"] >= 1
