"""An operator's worst day (issue 10), end to end: two real workers, PostgreSQL, a private
redis-server (broker and limiter), the simulator over HTTP failing a fifth of its requests
(10% 503, 5% 429 with and without Retry-After, 5% hung writes that land after the client gave
up, 3% truncated, 2% malformed), a thousand linked products with a fifth drifted.

During a full sync one worker is SIGKILLed (the whole process) and the broker is killed for a
few seconds while documents are approved. The housekeeping runs as beat would run it (more
often, with short leases). Then quiescence: every linked row equals the ledger, check_ledger
is clean, no run, chunk or claim is left open, and the counts add up.

The seed is printed; INVSYNC_CHAOS_SEED=<seed> replays the same shop, faults and timing
choices (the workers' own jitter still varies).
"""

import json
import os
import random
import time
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, Sum
from django.utils import translation
from django_celery_results.models import TaskResult

from integrations import tasks
from integrations.models import Integration, ProductLink, SyncChunk, SyncLogEntry, SyncRun
from prestashop_sim import catalogue
from prestashop_sim.faults import issue_10_mix
from tests.services import PrivateRedis
from warehouse.models import Document, Product
from warehouse.selectors import stock_totals

pytestmark = [
    pytest.mark.integration,
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
]

PRODUCTS = 1000
DRIFT = 0.2
CHUNK_SIZE = 50
BOTH = ("integrations_live", "integrations")
QUIESCENCE_TIMEOUT = 240.0  # seconds; generous on a loaded machine, nothing waits for it
HOUSEKEEPING_EVERY = 0.5  # seconds (production: a minute, with two-minute leases)
TIMING = {  # the workers' and this process's settings: short leases, timeouts and waits
    "INVSYNC_LEASE_TIMEOUT": "3",
    "INVSYNC_LEASE_RENEW_SECONDS": "0.5",
    "INVSYNC_SHOP_CONNECT_TIMEOUT": "1",
    "INVSYNC_SHOP_READ_TIMEOUT": "1",
    "INVSYNC_UNCERTAIN_RECHECK": "4",  # after the hung writes (2 s) have landed
    "INVSYNC_SHOP_RETRY_AFTER_WAIT": "0.5",
    "INVSYNC_RETRY_AFTER_MAX": "2",
    "INVSYNC_DRAIN_DELAY": "0.2",
    "INVSYNC_LINK_RETRY_SECONDS": "2",  # failed links: the drain tries them again from 2 s
}
FAULTS = issue_10_mix(hang_seconds=2.0)


@pytest.fixture
def seed():
    value = int(os.environ.get("INVSYNC_CHAOS_SEED") or random.SystemRandom().randrange(2**31))
    print(f"\nINVSYNC_CHAOS_SEED={value}")
    return value


@pytest.fixture
def private_redis(tmp_path):
    """A redis-server of this test's own: the test stops it (skips without the binary)."""
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(private_redis):
    """The workers' broker and limiter, and this process's broker: the private server."""
    return private_redis.url


@pytest.fixture
def worker_env():
    return dict(TIMING)


@pytest.fixture
def chaos_settings(settings):
    for name, value in TIMING.items():
        setattr(settings, name, float(value) if "." in value else int(value))
    settings.INVSYNC_LEASE_RENEW_SECONDS = float(TIMING["INVSYNC_LEASE_RENEW_SECONDS"])


def drifted_catalogue(shop, integration, warehouse, rng, receive_stock) -> dict[int, int]:
    """PRODUCTS linked products, half of them stocked, a DRIFT share wrong in the shop;
    returns {product id: stock row id}."""
    references = [f"CHAOS-{n:05d}" for n in range(PRODUCTS)]
    products = Product.objects.bulk_create(Product(sku=ref, name=ref) for ref in references)
    stocked = {p: rng.randint(1, 50) for p in products if rng.random() < 0.5}
    receive_stock(warehouse, stocked)
    quantities = {p.sku: stocked.get(p, 0) for p in products}
    drifted = set(rng.sample(references, int(PRODUCTS * DRIFT)))
    items = [
        {
            "reference": ref,
            "quantity": quantities[ref] + (rng.randint(1, 9) if ref in drifted else 0),
        }
        for ref in references
    ]
    catalogue.load(shop.store, items)
    rows = {
        item["reference"]: (item["id_product"], item["stock_ids"][0])
        for item in shop.catalogue()
        if item["id_product_attribute"] == 0 and item["reference"] in quantities
    }
    ProductLink.objects.bulk_create(
        ProductLink(
            integration=integration,
            product=p,
            ps_product_id=rows[p.sku][0],
            dirty=False,
            state=ProductLink.State.OK,
        )
        for p in products
    )
    return {p.pk: rows[p.sku][1] for p in products}


class Housekeeper:
    """The periodic drain's body, as beat sends it (nothing is sent while the broker is down)."""

    def __init__(self):
        self.passes, self.failed, self._last = 0, 0, 0.0
        self.requeued = self.stranded = 0  # passes that sent chunks again, by reason

    def tick(self) -> None:
        if time.monotonic() - self._last < HOUSEKEEPING_EVERY:
            return
        self._last = time.monotonic()
        try:
            done = tasks.drain_all_task()
        except Exception:  # the broker is down: beat could not have sent it either
            self.failed += 1
            return
        self.passes += 1
        self.requeued += bool(done["requeued_run_ids"])
        self.stranded += bool(done["stranded_run_ids"])

    def until(self, condition, *, timeout: float, what: str, state=lambda: ""):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            self.tick()
            time.sleep(0.1)
        pytest.fail(f"{what}: not within {timeout} s. {state()}")


def wrong_rows(shop, rows: dict[int, int]) -> dict[int, tuple[int, int]]:
    """{product id: (ledger, shop)} for every linked row that differs from the ledger."""
    ledger = stock_totals(list(rows))
    shop_rows = {row["id"]: row["quantity"] for row in shop.stock_rows(ids=list(rows.values()))}
    return {
        product: (ledger.get(product, 0), shop_rows[row])
        for product, row in rows.items()
        if ledger.get(product, 0) != shop_rows[row]
    }


def both_busy(run: SyncRun, done: int) -> bool:
    chunks = SyncChunk.objects.filter(run=run)
    running = chunks.filter(status=SyncChunk.Status.RUNNING).count()
    return running >= 2 and chunks.filter(status=SyncChunk.Status.DONE).count() >= done


def fired(shop) -> dict[str, int]:
    """How often each fault rule fired, by kind (429s with and without Retry-After apart)."""
    return {
        rule["kind"] + ("/" + rule["variant"] if rule["variant"] == "no_retry_after" else ""): (
            rule["fired"]
        )
        for rule in shop.faults.as_list()
    }


def run_active(run: SyncRun) -> bool:
    run.refresh_from_db()
    return run.is_active


def drain_counts() -> dict[str, int]:
    """What the drains that ended (not in a retry) returned, summed (the workers' results)."""
    results = TaskResult.objects.filter(
        task_name="integrations.tasks.drain_task", status="SUCCESS"
    ).values_list("result", flat=True)
    return {"requests": 0, **sum((Counter(json.loads(result)) for result in results), Counter())}


def state(run: SyncRun, shop, rows) -> str:
    """What is still busy or wrong, for a failure's message."""
    links = ProductLink.objects.all()
    wrong = wrong_rows(shop, rows)
    chunks = SyncChunk.objects.filter(status__in=SyncChunk.OPEN).values("pk", "status", "error")
    return (
        f"run={run.status} open_chunks={list(chunks)} "
        f"dirty={links.filter(dirty=True).count()} "
        f"claimed={links.exclude(claimed_by='').count()} "
        f"rechecks={links.filter(recheck_at__isnull=False).count()} "
        f"states={dict(links.values_list('state').annotate(n=Count('pk')))} "
        f"wrong={len(wrong)} e.g. {list(wrong.items())[:5]} "
        f"errors={list(links.exclude(last_error='').values_list('last_error', flat=True)[:3])}"
    )


def quiet(run: SyncRun, shop, rows) -> bool:
    run.refresh_from_db()
    busy = (
        run.is_active
        or SyncChunk.objects.filter(status__in=SyncChunk.OPEN).exists()
        or ProductLink.objects.filter(dirty=True).exists()
        or ProductLink.objects.exclude(claimed_by="").exists()
        or ProductLink.objects.filter(recheck_at__isnull=False).exists()
    )
    return not busy and not wrong_rows(shop, rows)


def test_a_full_sync_survives_a_killed_worker_a_broker_outage_and_a_faulty_shop(
    seed, private_redis, chaos_settings, start_celery_workers, shop, make_integration,
    warehouse, receive_stock, make_document,
):  # fmt: skip
    rng = random.Random(seed)
    started = time.monotonic()
    # Small chunks: more reads and writes meet the faults (writes batched, as by default).
    integration = make_integration(shop, chunk_size=CHUNK_SIZE)
    rows = drifted_catalogue(shop, integration, warehouse, rng, receive_stock)
    shop.faults.seed(seed)
    shop.faults.configure({"rules": FAULTS})
    doomed, survivor = start_celery_workers(BOTH, BOTH)
    shop.reset_counters()
    run = tasks.start_full_sync(integration, trigger=SyncRun.Trigger.ADMIN)
    keeper = Housekeeper()

    # 1. One worker dies, whole, mid-run: after a chunk or more is done, while both workers
    # run a chunk (each runs one at a time), so the dead one holds a chunk and its links.
    kill_after = rng.randint(1, 3)
    keeper.until(
        lambda: both_busy(run, kill_after), timeout=QUIESCENCE_TIMEOUT, what="both workers busy"
    )
    doomed.kill_all()
    killed_at = time.monotonic()

    # 2. The broker goes for 2-5 s, forgetting what it held; documents are approved meanwhile.
    outage = rng.uniform(2.0, 5.0)
    private_redis.stop()
    booked = rng.sample(sorted(rows), 5)
    for product_id in booked:
        make_document(Document.Kind.PZ, warehouse, [(product_id, rng.randint(1, 20))], approve=True)
    time.sleep(max(0.0, outage - (time.monotonic() - killed_at)))
    private_redis.start()
    back_at = time.monotonic()

    # 3. Quiescence, with the housekeeping as in production.
    keeper.until(
        lambda: not run_active(run),
        timeout=QUIESCENCE_TIMEOUT,
        what="the run's end",
        state=lambda: state(run, shop, rows) + survivor.log()[-3000:],
    )
    run_ended_at = time.monotonic()
    keeper.until(
        lambda: quiet(run, shop, rows),
        timeout=QUIESCENCE_TIMEOUT,
        what="quiescence",
        state=lambda: state(run, shop, rows),
    )
    converged_at = time.monotonic()

    assert wrong_rows(shop, rows) == {}  # the documents booked during the outage included
    assert Document.objects.filter(status=Document.Status.APPROVED).count() == 1 + len(booked)
    out = StringIO()
    with translation.override("en"):
        call_command("check_ledger", stdout=out)  # raises CommandError on a problem
    assert "Ledger OK" in out.getvalue()
    run.refresh_from_db()
    chunks = SyncChunk.objects.filter(run=run)
    sums = chunks.aggregate(requests=Sum("requests"), changed=Sum("changed"))
    counters = shop.counters()
    drain_writes = SyncLogEntry.objects.filter(run=None, outcome=SyncLogEntry.Outcome.WRITTEN)
    drained = drain_counts()
    print(
        f"seed={seed} rows={len(rows)} status={run.status} processed={run.processed} "
        f"changed={run.changed} failed={run.failed} requests={run.requests} "
        f"chunks={run.chunks_total} requeued={sum(c.requeues for c in chunks)} "
        f"attempts={sum(c.attempts for c in chunks)} shop_requests={counters['total']} "
        f"by_status={counters['by_status']} drain_writes={drain_writes.count()} "
        f"drain_requests={drained['requests']} "
        f"faults_fired={fired(shop)} "
        f"housekeeping passes={keeper.passes} refused={keeper.failed} "
        f"requeued_lost_worker={keeper.requeued} requeued_stranded={keeper.stranded} "
        f"outage={outage:.1f}s kill->broker_back={back_at - killed_at:.1f}s "
        f"kill->run_end={run_ended_at - killed_at:.1f}s "
        f"kill->converged={converged_at - killed_at:.1f}s total={converged_at - started:.1f}s"
    )
    assert run.status in (SyncRun.Status.DONE, SyncRun.Status.DONE_WITH_ERRORS)
    assert (run.processed, run.chunks_done) == (PRODUCTS, run.chunks_total)
    assert (run.requests, run.changed) == (sums["requests"], sums["changed"])
    # What the run and the drains say they sent reached the shop (nothing counted twice, or
    # before the limiter let it go); the rest is what no count holds: drain attempts that
    # ended in a retry, and the killed worker's requests after its last lease renewal.
    assert run.requests + drained["requests"] <= counters["total"]
    assert Integration.objects.get(pk=integration.pk).halted_at is None
