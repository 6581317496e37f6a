"""What the full sync benchmark prints: the setup, a correctness check, then the ratios."""

import math
from dataclasses import dataclass
from typing import Any

WINDOW = 60.0  # the simulator's rate window, seconds


@dataclass
class Setup:
    integration: Any
    linking: Any  # integrations.linking.LinkReport
    seconds: float


@dataclass
class Facts:
    args: Any
    database: str
    setup: Setup
    engine: Any  # bench.engine_run.EngineResult
    engine_counts: dict
    old: Any  # bench.old_way.OldWayResult
    old_counts: dict
    mismatches: int


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
    """(GET/HEAD requests, PUT/PATCH/POST requests) the simulator answered."""
    methods = counts["by_method"]
    reads = methods.get("GET", 0) + methods.get("HEAD", 0)
    return reads, counts["total"] - reads


def setup_lines(f: Facts) -> list[str]:
    """How the run was set up, and whether invsync left every row right."""
    a, e = f.args, f.engine
    combinations = sum(1 for m in f.setup.linking.linked if m.ps_combination_id)
    drifted = round(a.products * a.drift)
    capacity = a.capacity or "unlimited"
    rate = f"{a.rate_limit}/min" if a.rate_limit else "none"
    lines = [
        "invsync full sync benchmark",
        f"  database:  {f.database}",
        f"  shop:      simulator process (python -m prestashop_sim), PrestaShop {a.ps_version}; "
        f"read latency {a.read_latency:.3f} s, write latency {a.write_latency:.3f} s, "
        f"capacity {capacity}, rate limit {rate}",
        f"  data:      {a.products} linked products ({combinations} of them combinations), "
        f"drift {a.drift:.0%} = {drifted} rows differ",
        f"  setup:     ledger, integration and links in {f.setup.seconds:.1f} s; link_products "
        f"read the catalogue in {f.setup.linking.requests} requests",
        f"  invsync:   runs.start_full_sync, then integrations.engine.runs.sync_chunk (what "
        f"sync_chunk_task calls) on {a.workers} threads: {e.chunks} chunk(s) of {a.chunk_size}, "
        f"run status {e.status}, {e.changed} changed, {e.failed} failed, {e.retries} retries, "
        f"{f.engine_counts['rate_limited']} answers 429",
        f"  check:     {_check_text(f)}",
        *_burst_note(f),
        f"  old way:   one worker, find + read + full PUT per product with plain requests, "
        f"{f.old.products} products {_sample_text(f)}, "
        f"{f.old_counts['rate_limited']} answers 429",
    ]
    return lines


def _burst_note(f: Facts) -> list[str]:
    reads, writes = reads_and_writes(f.engine_counts)
    if not f.args.rate_limit or reads + writes > f.args.rate_limit:
        return []
    return [
        f"  note:      invsync's {reads + writes} requests fit in one sliding window of "
        f"{f.args.rate_limit}, which admits them at once; the rate-limit bound below is "
        "the steady pace, which a run this small can beat"
    ]


def _check_text(f: Facts) -> str:
    if f.mismatches:
        return f"{f.mismatches} linked shop rows still differ from the ledger (FAILED)"
    return f"every linked shop row equals the ledger after invsync's run ({f.args.products})"


def _sample_text(f: Facts) -> str:
    if f.old.products >= f.args.products:
        return "(all of them)"
    return "spread evenly over the catalogue"


def old_way_estimate(f: Facts) -> tuple[float, float, str]:
    """(seconds for N, requests per product, how it was obtained)."""
    n, sample = f.args.products, f.old.products
    per_product = f.old_counts["total"] / sample
    if sample >= n:
        return f.old.seconds, per_product, "measured"
    seconds = f.old.seconds * n / sample
    note = f"extrapolated from {sample}"
    if f.args.rate_limit:
        # A sample may fit in one rate window where all N would not: never beat the limit.
        floor = window_floor(per_product * n, f.args.rate_limit)
        if floor > seconds:
            seconds, note = floor, note + ", raised to the rate limit's floor"
    return seconds, per_product, note


def window_floor(requests: float, rate_limit: int) -> float:
    """Least time for `requests` under a sliding 60 s window: each full window admits
    `rate_limit` at once, so only the windows after the first one cost time."""
    return max(0, math.ceil(requests / rate_limit) - 1) * WINDOW


def lower_bound(f: Facts, reads: int, writes: int) -> tuple[float, float, str]:
    """(bound from the rate limit, bound from capacity and latency, the capacity's label)."""
    a = f.args
    by_rate = (reads + writes) * 60 / a.rate_limit if a.rate_limit else 0.0
    slots = a.capacity or min(a.workers, f.setup.integration.concurrency_in_force)
    label = f"capacity {a.capacity}" if a.capacity else f"{slots} concurrent requests"
    by_capacity = (reads * a.read_latency + writes * a.write_latency) / slots
    return by_rate, by_capacity, label


def ratio_lines(f: Facts) -> list[str]:
    """The last lines: old way, invsync, speedup, lower bound."""
    n = f.args.products
    old_seconds, old_rpp, old_note = old_way_estimate(f)
    reads, writes = reads_and_writes(f.engine_counts)
    new_requests = reads + writes
    by_rate, by_capacity, label = lower_bound(f, reads, writes)
    bound = max(by_rate, by_capacity)
    rate = f"rate limit {f.args.rate_limit}/min" if f.args.rate_limit else "no rate limit"
    return [
        f"old way:  {old_rpp:.2f} requests/product, {n} products, {old_seconds:.1f} s ({old_note})",
        f"invsync:  {new_requests / n:.2f} requests/product ({reads} reads + {writes} writes), "
        f"{f.engine.seconds:.1f} s",
        f"speedup:  {old_seconds / f.engine.seconds:.1f}x wall time, "
        f"{old_rpp * n / max(new_requests, 1):.1f}x fewer requests",
        f"lower bound ({rate}): {by_rate:.1f} s; ({label} at the latencies): "
        f"{by_capacity:.1f} s → invsync at {f.engine.seconds / max(bound, 1e-9):.1f}x the bound",
    ]
