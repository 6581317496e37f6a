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


class SleepLog:
    """Records the simulated delays instead of spending them."""

    def __init__(self):
        self.calls = []

    def __call__(self, seconds):
        self.calls.append(seconds)


def patch_rows(sim, ids):
    body = "".join(
        f"<stock_available><id>{i}</id><quantity>5</quantity></stock_available>" for i in ids
    )
    return requests.patch(
        sim.api_url + "stock_availables",
        data=f"<prestashop>{body}</prestashop>",
        auth=(KEY, ""),
        timeout=10,
    )


def test_a_write_costs_its_request_latency_plus_one_row_latency_per_row(simulator_factory):
    sim = simulator_factory(
        products=200, combination_share=0, write_latency=0.5, write_row_latency=0.01
    )
    sim.load.sleep = SleepLog()
    one = patch_rows(sim, [1])
    cost_of_one = list(sim.load.sleep.calls)
    sim.load.sleep.calls.clear()
    batch = patch_rows(sim, range(1, 201))

    assert (one.status_code, batch.status_code) == (200, 200)
    assert cost_of_one == [0.5, 0.01]
    assert sim.load.sleep.calls == [0.5] + [0.01] * 200
    assert sim.counters()["stock_row_saves"] == 201


def test_reads_pay_no_row_latency(simulator_factory):
    sim = simulator_factory(section9=True, read_latency=0.2, write_row_latency=0.01)
    sim.load.sleep = SleepLog()
    get_row(sim)

    assert sim.load.sleep.calls == [0.2]


def test_leaky_bucket_admits_the_burst_then_one_request_per_rate_interval():
    clock = FakeClock()
    load = LoadModel(
        clock=clock,
        rate_limit=300,
        rate_window=60,
        rate_mode="leaky",
        rate_burst=5,
        rate_nodelay=True,
    )
    at_once = [load.admit() for _ in range(10)]  # 300r/m: one every 0.2 s

    assert at_once[:6] == [None] * 6  # the first request and a burst of 5
    assert all(wait is not None for wait in at_once[6:])
    assert at_once[6] == pytest.approx(0.2)
    clock.now += 0.2
    assert load.admit() is None
    assert load.admit() is not None


@pytest.mark.parametrize("nodelay", [True, False])
def test_leaky_bucket_never_admits_more_than_rate_plus_burst(nodelay):
    clock = FakeClock()
    load = LoadModel(
        clock=clock,
        rate_limit=300,
        rate_window=60,
        rate_mode="leaky",
        rate_burst=5,
        rate_nodelay=nodelay,
    )
    admitted, delays = [], []
    for _ in range(3000):  # an attempt every 0.02 s for a minute: ten times the rate
        wait, delay = load.acquire()
        if wait is None:
            admitted.append(clock.now)
            delays.append(delay)
        clock.now += 0.02

    assert len(admitted) == pytest.approx(300 + 5, abs=1)
    worst = max(sum(1 for t in admitted if start <= t < start + 10) for start in admitted)
    assert worst <= 50 + 5 + 1  # any 10 s: the rate's 50 plus the burst
    assert max(delays) == (0 if nodelay else pytest.approx(5 / 5, abs=0.05))  # burst / rate


def test_leaky_bucket_without_nodelay_spaces_the_burst_like_nginx(simulator_factory):
    sim = simulator_factory(
        section9=True, rate_limit=60, rate_window=60, rate_mode="leaky", rate_burst=2
    )
    sim.load.sleep = SleepLog()
    session = requests.Session()
    statuses = [get_row(sim, session).status_code for _ in range(5)]

    assert statuses == [200, 200, 200, 429, 429]
    assert sim.load.sleep.calls == [pytest.approx(1.0, abs=0.05), pytest.approx(2.0, abs=0.05)]


@pytest.mark.parametrize("retry_after", [True, False])
def test_leaky_bucket_429_with_and_without_retry_after(simulator_factory, retry_after):
    sim = simulator_factory(
        section9=True,
        rate_limit=6,
        rate_window=60,
        rate_mode="leaky",
        rate_nodelay=True,
        retry_after=retry_after,
    )
    session = requests.Session()
    first, refused = get_row(sim, session), get_row(sim, session)

    assert (first.status_code, refused.status_code) == (200, 429)
    assert refused.headers.get("Retry-After") == ("10" if retry_after else None)
    assert "<h1>429 Too Many Requests</h1>" in refused.text
