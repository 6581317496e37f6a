"""The load model: proxy rate limit with Retry-After, capacity that queues, latency settings."""

import threading

import pytest
import requests

from prestashop_sim.load import LoadModel

KEY = "ABCDEFGHIJKLMNOPQRSTUVWXYZ123456"


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def get_row(sim, session=None):
    return (session or requests).get(sim.api_url + "stock_availables/24", auth=(KEY, ""))


def test_rate_limit_admits_exactly_the_budget_and_answers_429_from_the_proxy(simulator_factory):
    sim = simulator_factory(section9=True, rate_limit=10, rate_window=60)
    session = requests.Session()
    responses = [get_row(sim, session) for _ in range(25)]

    statuses = [r.status_code for r in responses]
    assert statuses == [200] * 10 + [429] * 15
    refused = responses[-1]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["Content-Type"] == "text/html; charset=UTF-8"
    assert "<center><h1>429 Too Many Requests</h1></center>" in refused.text
    assert "PSWS-Version" not in refused.headers
    assert sim.counters()["rate_limited"] == 15
    assert sim.counters()["by_request"] == {
        "GET stock_availables 200": 10,
        "GET stock_availables 429": 15,
    }


def test_rate_limit_can_omit_retry_after(simulator_factory):
    sim = simulator_factory(section9=True, rate_limit=1, retry_after=False)
    session = requests.Session()
    get_row(sim, session)
    refused = get_row(sim, session)

    assert refused.status_code == 429
    assert "Retry-After" not in refused.headers


@pytest.mark.parametrize("mode", ["sliding", "fixed"])
def test_admitted_requests_never_exceed_the_limit_in_any_window(mode):
    clock = FakeClock()
    load = LoadModel(clock=clock, rate_limit=30, rate_window=60, rate_mode=mode)
    admitted = []
    for _ in range(6000):  # one attempt every 0.1 s for 10 minutes
        if load.admit() is None:
            admitted.append(clock.now)
        clock.now += 0.1

    worst = max(sum(1 for t in admitted if start <= t < start + 60) for start in admitted)
    limit = 30 if mode == "sliding" else 60  # a fixed window allows a burst across its edge
    assert worst <= limit
    assert len(admitted) == 300


def test_retry_after_says_when_the_oldest_admission_leaves_the_window():
    clock = FakeClock()
    load = LoadModel(clock=clock, rate_limit=2, rate_window=10)
    load.admit()
    clock.now += 4
    load.admit()
    clock.now += 1

    assert load.admit() == pytest.approx(5.0)
    clock.now += 5
    assert load.admit() is None


def test_capacity_queues_requests_instead_of_failing_them(simulator_factory):
    sim = simulator_factory(section9=True, capacity=4, read_latency=0.05)
    statuses = []
    lock = threading.Lock()

    def worker():
        response = get_row(sim)
        with lock:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [200] * 16
    counters = sim.counters()
    assert counters["max_in_flight"] == 4
    assert counters["by_status"] == {"200": 16}


def test_latency_settings_change_at_runtime_from_python_and_the_side_endpoint(simulator_factory):
    sim = simulator_factory(section9=True, read_latency=0.01, write_latency=0.02)
    sim.load.configure(jitter=0.5)
    answer = requests.post(
        sim.url + "_sim/load", json={"read_latency": 0.003, "capacity": 8}, timeout=10
    )

    assert answer.json()["read_latency"] == 0.003
    assert (sim.load.read_latency, sim.load.write_latency, sim.load.capacity) == (0.003, 0.02, 8)
    draws = [sim.load.latency(write=True) for _ in range(200)]
    assert all(0.02 <= d <= 0.52 for d in draws)
    assert max(draws) > 0.3
    bad = requests.post(sim.url + "_sim/load", json={"speed": 3}, timeout=10)
    assert bad.status_code == 400
