"""Watching the shop for expected quantities: when did each one arrive?

A thread polls the simulator's side endpoint (GET /_sim/stock?ids=...) for every row still
awaited, in one request per round, and records how long after its ``since`` each row first
held its expected quantity. The side endpoint has no latency of its own and is not counted
among the shop's requests.
"""

import contextlib
import threading
import time

import requests

POLL_INTERVAL = 0.02


class ArrivalPoller:
    """expect(row, quantity, since=monotonic time) ... wait() -> latencies in seconds."""

    def __init__(self, shop_url: str, *, interval: float = POLL_INTERVAL):
        self.url = f"{shop_url}_sim/stock"
        self.interval = interval
        self.lock = threading.Lock()
        self.pending: dict[int, tuple[int, float]] = {}  # row id -> (quantity, since)
        self.latencies: list[float] = []
        self.stopping = threading.Event()
        self.error: Exception | None = None

    def expect(self, stock_id: int, quantity: int, *, since: float) -> None:
        with self.lock:
            self.pending[stock_id] = (quantity, since)

    @contextlib.contextmanager
    def running(self):
        thread = threading.Thread(target=self._poll, name="arrivals", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.stopping.set()
            thread.join(timeout=5)

    def wait(self, *, timeout: float) -> list[float]:
        """Block until every expected row arrived; the latencies in order of arrival."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.error is not None:
                raise SystemExit(f"polling the shop failed: {self.error}")
            with self.lock:
                if not self.pending:
                    return list(self.latencies)
            time.sleep(self.interval)
        raise SystemExit(f"rows never reached their quantity: {sorted(self.pending)}")

    def _poll(self) -> None:
        with requests.Session() as http:
            while not self.stopping.is_set():
                with self.lock:
                    ids = list(self.pending)
                try:
                    if ids:
                        self._check(http, ids)
                except requests.RequestException as error:
                    self.error = error
                    return
                time.sleep(self.interval)

    def _check(self, http: requests.Session, ids: list[int]) -> None:
        # The side endpoint reads its query as it comes: no percent-encoded commas.
        answer = http.get(f"{self.url}?ids={','.join(map(str, ids))}", timeout=10)
        answer.raise_for_status()
        now = time.monotonic()
        quantities = answer.json()["quantities"]
        with self.lock:
            for stock_id in ids:
                quantity, since = self.pending[stock_id]
                if quantities.get(str(stock_id)) == quantity:
                    self.latencies.append(now - since)
                    del self.pending[stock_id]
