"""One oversell scene: a shop taking orders while documents are approved and a full sync runs.

Threads, each doing what its part of production does: a customer placing orders at a steady
rate (the simulator's own checkout), a warehouse clerk approving PZ documents, the live path
(drains after stock changes, and the periodic orders read), a full sync on two chunk threads
(what sync_chunk_task runs), and a sampler. Every second the sampler reads the whole shop
(the simulator's side door, outside the rate limit), then the ledger, and counts the units the
shop offers beyond what is really left: balance minus the units of orders placed more than
`window` seconds before (never below 0). Orders stay open (no WZ) for the whole scene.
"""

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta


@dataclass
class Tally:
    samples: int = 0
    unit_samples: int = 0  # units over the truth, summed over samples
    worst: int = 0  # the most units over the truth at one sample
    products: set = field(default_factory=set)  # products ever over the truth
    orders: int = 0
    ordered_units: int = 0
    documents: int = 0
    final_excess: int = 0  # units over the truth once everything settled
    shop_requests: int = 0


class Scene:
    def __init__(self, shop, integration, links, *, args, reserve: bool):
        self.shop, self.integration, self.args, self.reserve = shop, integration, args, reserve
        self.links = links  # [(product id, shop product id, stock row id)]
        self.product_of = {shop_id: pid for pid, shop_id, _row in links}
        self.placed: list[tuple[float, dict[int, int]]] = []  # (monotonic, {product: units})
        self.tally = Tally()
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.errors: list[BaseException] = []
        self.started = time.monotonic()

    def run(self) -> Tally:
        """Run every part for args.seconds, then settle and count what is left over."""
        self.started = time.monotonic()
        parts = [self.customer, self.clerk, self.live_path, self.sampler]
        threads = [threading.Thread(target=self._guard, args=(p,), daemon=True) for p in parts]
        for thread in threads:
            thread.start()
        time.sleep(self.args.full_sync_after)
        self._guard(self.full_sync)
        remaining = self.args.seconds - (time.monotonic() - self.started)
        time.sleep(max(remaining, 0))
        self.stop.set()
        for thread in threads:
            thread.join(timeout=120)
        if self.errors:
            raise self.errors[0]
        self.settle()
        self.tally.final_excess = sum(self.excess(window=0).values())
        return self.tally

    def _guard(self, part) -> None:
        from django.db import connections

        try:
            part()
        except BaseException as error:  # reported by run()
            self.errors.append(error)
            self.stop.set()
        finally:
            connections.close_all()

    def customer(self) -> None:
        rng = random.Random(self.args.seed)
        pace = 1 / self.args.order_rate
        while not self.stop.wait(pace):
            chosen = rng.sample(self.links, rng.randint(1, 2))
            lines = {pid: rng.randint(1, 2) for pid, _shop_id, _row in chosen}
            by_shop = {shop_id: lines[pid] for pid, shop_id, _row in chosen}
            self.shop.place_order(list(by_shop.items()))
            with self.lock:
                self.placed.append((time.monotonic(), lines))
                self.tally.orders += 1
                self.tally.ordered_units += sum(lines.values())

    def clerk(self) -> None:
        from warehouse import services
        from warehouse.models import Warehouse

        rng = random.Random(self.args.seed + 1)
        warehouse = Warehouse.objects.get(code="BENCH")
        while not self.stop.wait(1 / self.args.document_rate):
            chosen = rng.sample(self.links, 3)
            lines = [(pid, rng.randint(1, 5)) for pid, _shop_id, _row in chosen]
            document = services.create_document("PZ", warehouse, lines)
            services.approve(document, user=None)
            self.tally.documents += 1

    def live_path(self) -> None:
        from integrations.engine import drain, orders

        last_read = time.monotonic()
        while not self.stop.wait(self.args.drain_every):
            if self.reserve and time.monotonic() - last_read >= self.args.periodic_read:
                orders.refresh(self.integration, max_age=orders.max_age())
                last_read = time.monotonic()
            drain.drain(self.integration.pk)

    def full_sync(self) -> None:
        from bench.engine_run import run_full_sync

        run_full_sync(self.integration, workers=2)

    def sampler(self) -> None:
        while not self.stop.wait(1.0):
            excess = self.excess(window=self.args.window)
            self.tally.samples += 1
            self.tally.unit_samples += sum(excess.values())
            self.tally.worst = max(self.tally.worst, sum(excess.values()))
            self.tally.products.update(excess)

    def excess(self, *, window: float) -> dict[int, int]:
        """{product: units the shop offers beyond balance - orders older than `window`}."""
        from warehouse.selectors import stock_totals

        read_at = time.monotonic()
        shown = {row["id"]: row["quantity"] for row in self.shop.stock_rows()}
        balances = stock_totals([pid for pid, _s, _r in self.links])  # read after the shop
        with self.lock:
            sold = Counter()
            for placed_at, lines in self.placed:
                if placed_at <= read_at - window:
                    sold.update(lines)
        found = {}
        for pid, _shop_id, row in self.links:
            # Oversold already (more ordered than in stock): the shop can offer nothing, not less.
            over = shown[row] - max(balances.get(pid, 0) - sold[pid], 0)
            if over > 0:
                found[pid] = over
        return found

    def settle(self) -> None:
        """Let the engine catch up once the shop is quiet (a few drains, orders read)."""
        from integrations.engine import drain, orders
        from integrations.models import ProductLink

        for _ in range(10):
            if self.reserve:
                orders.refresh(self.integration, max_age=timedelta(0))
            drain.drain(self.integration.pk)
            if not ProductLink.objects.filter(dirty=True).exists():
                return
