"""What the full sync benchmark prints: the setup, a correctness check, then one line per way
with its requests, its time and its ratio to its own lower bound.

The lower bound of a way is the larger of
- the rate limit: under a sliding 60 s window the first `rate` requests may go at once and
  every further window costs 60 s, so N requests need (ceil(N / rate) - 1) x 60 s;
- the shop's capacity: no more than `capacity` requests are served at once, so the requests'
  latencies (reads, writes and each row a write saves) divided by the capacity.
"""

import math
from dataclasses import dataclass
from typing import Any

WINDOW = 60.0  # the simulator's rate window, seconds
# What invsync reads of the shop's orders before a write pass when it reserves stock for them;
# counted on a line of their own, apart from the stock requests of each way.
ORDER_RESOURCES = ("orders", "order_details", "order_states", "configurations")
LABELS = {
    "old": "old way, one product at a time",
    "off": "invsync, single-row writes",
    "auto": "invsync, multi-row writes",
}
SHORT = {"old": "old way", "off": "single-row", "auto": "multi-row"}
SEPARATOR = " | "


@dataclass
class Setup:
    integration: Any
    linking: Any  # integrations.linking.LinkReport
    seconds: float
    shop_quantities: dict  # stock row id -> quantity before any sync


@dataclass
class Way:
    name: str  # "old", "off" (single-row writes) or "auto" (multi-row writes)
    products: int  # products it really synced (a sample, or all)
    seconds: float
    counts: dict  # the simulator's counters over this way
    engine: Any = None  # bench.engine_run.EngineResult for invsync's ways


@dataclass
class Facts:
    args: Any
    database: str
    setup: Setup
    old: Way
    single: Way
    multi: Way
    mismatches: int


@dataclass(frozen=True)
class Estimate:
    """A way's figures for all N products, measured or extrapolated from its sample."""

    reads: int
    writes: int
    rows: int  # stock rows the shop saved
    seconds: float
    how: str

    @property
    def requests(self) -> int:
        return self.reads + self.writes


def check_shop(shop, rows) -> int:
    """Linked shop rows whose quantity differs from the ledger after the sync (should be 0)."""
    wanted = {row.reference: row.ledger_quantity for row in rows}
    keys = {}
    for item in shop.catalogue():
        if item["reference"] in wanted:
            keys[(item["id_product"], item["id_product_attribute"])] = wanted[item["reference"]]
    return sum(
        1
        for row in shop.stock_rows()
        if (row["id_product"], row["id_product_attribute"]) in keys
        and row["quantity"] != keys[(row["id_product"], row["id_product_attribute"])]
    )


def reads_and_writes(counts: dict) -> tuple[int, int]:
    """(GET/HEAD requests, PUT/PATCH/POST requests) of stock the shop served; the proxy's 429
    answers (counts["rate_limited"]) and the order reads (order_reads) are counted apart."""
    reads = writes = 0
    for key, number in counts["by_request"].items():
        method, resource, status = key.split(" ")
        if status == "429" or resource in ORDER_RESOURCES:
            continue
        if method in ("GET", "HEAD"):
            reads += number
        else:
            writes += number
    return reads, writes


def order_reads(counts: dict) -> int:
    """Reads of the shop's orders (orders, order_details, order_states, configurations)."""
    total = 0
    for key, number in counts["by_request"].items():
        method, resource, status = key.split(" ")
        if status != "429" and method in ("GET", "HEAD") and resource in ORDER_RESOURCES:
            total += number
    return total


def window_floor(requests: float, rate_limit: int) -> float:
    """Least time for `requests` under a sliding 60 s window: each full window admits
    `rate_limit` at once, so only the windows after the first one cost time."""
    return max(0, math.ceil(requests / rate_limit) - 1) * WINDOW


def estimate(way: Way, args) -> Estimate:
    """The way's figures for all --products: measured, or scaled from its sample (never
    faster than the rate limit allows for the scaled requests).

    The old way costs the same per product, so it scales by products. invsync's reads scale
    by chunks and its writes by the rows that differ (known exactly: the drift), since a
    sample of chunks may hold a little more or less drift than the whole catalogue.
    """
    reads, writes = reads_and_writes(way.counts)
    rows = way.counts.get("stock_row_saves", writes)
    if way.products >= args.products:
        return Estimate(reads, writes, rows, way.seconds, "measured")
    how = f"extrapolated from {way.products} products"
    read_scale = write_scale = args.products / way.products
    if way.engine is not None:
        e = way.engine
        read_scale = e.chunks_total / e.chunks
        write_scale = round(args.products * args.drift) / max(e.changed, 1)
        how += f" ({e.chunks} of {e.chunks_total} chunks; reads per chunk, writes per row)"
    scaled = Estimate(
        round(reads * read_scale),
        round(writes * write_scale),
        round(rows * write_scale),
        0.0,
        how,
    )
    seconds = way.seconds * scaled.requests / max(reads + writes, 1)
    floor = window_floor(scaled.requests, args.rate_limit) if args.rate_limit else 0.0
    if floor > seconds:
        seconds, how = floor, how + ", raised to the rate limit's floor"
    return Estimate(scaled.reads, scaled.writes, scaled.rows, seconds, how)


def lower_bound(e: Estimate, args) -> tuple[float, str]:
    """(seconds, which bound applies) for these requests against this shop."""
    by_rate = window_floor(e.requests, args.rate_limit) if args.rate_limit else 0.0
    capacity = args.capacity or args.workers
    latency = e.reads * args.read_latency + e.writes * args.write_latency
    by_capacity = (latency + e.rows * args.write_row_latency) / capacity
    if by_rate >= by_capacity:
        return by_rate, f"rate limit {args.rate_limit}/min"
    return by_capacity, f"capacity {capacity} at the latencies"


def duration(seconds: float) -> str:
    """12.3 s, 18 min 40 s, 8 h 53 min."""
    if seconds < 600:
        return f"{seconds:.1f} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def way_line(way: Way, args) -> str:
    """One way: label | requests | time | how | bound | ratio."""
    e = estimate(way, args)
    bound, which = lower_bound(e, args)
    ratio = e.seconds / bound if bound > 0 else float("inf")
    label = LABELS[way.name] + f" ({args.workers} workers)"
    return SEPARATOR.join(
        [
            f"{label:<46}",
            f"{e.requests} requests ({e.reads} reads + {e.writes} writes)",
            f"{e.seconds:.1f} s = {duration(e.seconds)}",
            e.how,
            f"bound {bound:.1f} s by the {which}",
            f"{ratio:.2f}x the bound",
        ]
    )


def lines(f: Facts) -> list[str]:
    """The whole report; the ratio lines come last."""
    multi, single = estimate(f.multi, f.args), estimate(f.single, f.args)
    old = estimate(f.old, f.args)
    return [
        *setup_lines(f),
        "",
        *(way_line(way, f.args) for way in (f.old, f.single, f.multi)),
        orders_line(f),
        f"multi-row writes: {single.seconds / multi.seconds:.1f}x faster than single-row "
        f"writes ({single.requests / multi.requests:.1f}x fewer requests), "
        f"{old.seconds / multi.seconds:.0f}x faster than the old way",
    ]


def orders_line(f: Facts) -> str:
    """The order reads of each way, on their own line (not in the requests above)."""
    state = "on" if f.args.reserve_orders else "off"
    ways = ", ".join(
        f"{SHORT[way.name]} {order_reads(way.counts)}" for way in (f.old, f.single, f.multi)
    )
    return (
        f"order reads (reservations {state}; GET {', '.join(ORDER_RESOURCES)}; measured, "
        f"not in the requests above): {ways}"
    )


def setup_lines(f: Facts) -> list[str]:
    """How the run was set up, and whether invsync left every row right."""
    a = f.args
    combinations = sum(1 for m in f.setup.linking.linked if m.ps_combination_id)
    rate = f"{a.rate_limit}/min, 429 with Retry-After" if a.rate_limit else "none"
    return [
        f"invsync full sync benchmark, preset {a.preset}",
        f"  database:   {f.database}",
        f"  shop:       simulator process (python -m prestashop_sim), PrestaShop {a.ps_version}; "
        f"read {a.read_latency:g} s, write {a.write_latency:g} s + {a.write_row_latency:g} s "
        f"per row saved, capacity {a.capacity or 'unlimited'}, rate limit {rate}",
        f"  data:       {a.products} linked products ({combinations} of them combinations), "
        f"drift {a.drift:.0%} = {round(a.products * a.drift)} rows differ",
        f"  setup:      ledger, integration and links in {f.setup.seconds:.1f} s; each way "
        "starts from the drifted shop, clean links, an empty rate window",
        f"  old way:    {_old_text(f)}",
        f"  single-row: {_engine_text(f.single)}",
        f"  multi-row:  {_engine_text(f.multi)}",
        f"  check:      {_check_text(f)}",
    ]


def _old_text(f: Facts) -> str:
    sample = (
        "all of them" if f.old.products >= f.args.products else "spread evenly over the catalogue"
    )
    return (
        f"find + read + full PUT per product with plain requests, {f.old.products} products "
        f"({sample}), {f.old.counts['rate_limited']} answers 429 (slept Retry-After)"
    )


def _engine_text(way: Way) -> str:
    e = way.engine
    size = f", {e.batch_size} rows per write in force at the end" if e.batch_size else ""
    return (
        f"runs.sync_chunk on threads, {e.chunks} of {e.chunks_total} chunks ({e.products} "
        f"links), {e.changed} changed, {e.failed} failed, {e.retries} retries, "
        f"{way.counts['rate_limited']} answers 429{size}"
    )


def _check_text(f: Facts) -> str:
    if f.mismatches:
        return f"{f.mismatches} linked shop rows still differ from the ledger (FAILED)"
    return f"every linked shop row equals the ledger after the multi-row run ({f.args.products})"
