"""The speed table of docs/PRESTASHOP_SYNC_GUIDE.md, written from the benchmark's saved output.

    .venv/bin/python bench/full_sync.py --preset shared-host \
        --save bench/results/full_sync-shared-host.txt
    .venv/bin/python bench/full_sync.py --preset fast --save bench/results/full_sync-fast.txt
    .venv/bin/python bench/guide_table.py            # rewrites the table in the guide
    .venv/bin/python bench/guide_table.py --check    # exit 1 if the guide is out of date

Only the part between the two `speed-table` markers is written; tests/test_docs.py checks it
matches the saved output, so no figure in the guide can drift from what was measured.
"""

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "PRESTASHOP_SYNC_GUIDE.md"
RESULTS = ROOT / "bench" / "results"
PRESETS = ("shared-host", "fast")  # the order of the tables in the guide
START = "<!-- speed-table:start (bench/guide_table.py writes this part; do not edit) -->"
END = "<!-- speed-table:end -->"

WAYS = {
    "old way": "stary system, produkt po produkcie",
    "invsync, single-row writes": "invsync, zapis po jednym wierszu",
    "invsync, multi-row writes": "invsync, wiele wierszy w jednym zapisie",
}
PRESET_NAMES = {"shared-host": "Typowy hosting współdzielony", "fast": "Szybki sklep"}


@dataclass(frozen=True)
class WayRow:
    way: str  # a key of WAYS
    workers: int
    requests: int
    seconds: float
    sample: int | None  # None: measured in full
    raised: bool  # the extrapolation was raised to the rate limit's floor
    bound: float
    by_rate: bool  # the bound is the rate limit's (else the capacity's)
    ratio: float


@dataclass(frozen=True)
class Output:
    preset: str
    shop: str  # the load model, as printed
    products: int
    drift: str  # "10%"
    ways: list[WayRow]
    speedup_single: float
    speedup_old: float


def result_path(preset: str) -> Path:
    return RESULTS / f"full_sync-{preset}.txt"


def parse(text: str) -> Output:
    """The figures of one saved benchmark output."""
    preset = re.search(r"preset (\S+)", text).group(1)
    shop = shop_text(re.search(r"^\s+shop:\s+.*?; (read .*)$", text, re.MULTILINE).group(1))
    data = re.search(r"data:\s+(\d+) linked products .*drift (\d+%)", text)
    ways = [_way(line) for line in text.splitlines() if line.count(" | ") == 5]
    speed = re.search(r"multi-row writes: ([\d.]+)x faster .*?, (\d+)x faster than the old", text)
    return Output(
        preset,
        shop,
        int(data.group(1)),
        data.group(2),
        ways,
        float(speed.group(1)),
        float(speed.group(2)),
    )


def shop_text(load: str) -> str:
    """The printed load model in Polish."""
    found = re.search(
        r"read ([\d.]+) s, write ([\d.]+) s \+ ([\d.]+) s per row saved, capacity (\w+), "
        r"rate limit (\d+/min|none)",
        load,
    )
    read, write, row, capacity, rate = found.groups()
    capacity = f"{capacity} zapytania naraz" if capacity.isdigit() else "bez limitu naraz"
    rate = (
        f"limit {rate.split('/')[0]} zapytań na minutę (potem 429 z Retry-After)"
        if rate != "none"
        else "bez limitu zapytań"
    )
    return (
        f"odczyt {_comma(read)} s, zapis {_comma(write)} s + {_comma(row)} s na każdy "
        f"zapisany wiersz, {capacity}, {rate}"
    )


def _comma(decimal: str) -> str:
    return decimal.replace(".", ",")


def workers(n: int) -> str:
    """4 workery, 5 workerów."""
    if n == 1:
        return "1 worker"
    few = n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14)
    return f"{n} {'workery' if few else 'workerów'}"


def _way(line: str) -> WayRow:
    label, requests, seconds, how, bound, ratio = (cell.strip() for cell in line.split(" | "))
    way = next(key for key in WAYS if label.startswith(key))
    sample = re.search(r"extrapolated from (\d+) products", how)
    return WayRow(
        way=way,
        workers=int(re.search(r"\((\d+) workers\)", label).group(1)),
        requests=int(requests.split()[0]),
        seconds=float(seconds.split()[0]),
        sample=int(sample.group(1)) if sample else None,
        raised="raised" in how,
        bound=float(bound.split()[1]),
        by_rate="rate limit" in bound,
        ratio=float(ratio.split("x")[0]),
    )


def number(value: float, decimals: int = 0) -> str:
    """Polish digits: 53 400, 1,07."""
    text = f"{value:,.{decimals}f}".replace(",", " ").replace(".", ",")
    return text


def duration(seconds: float) -> str:
    """64,2 s, 18 min, 8 h 53 min."""
    if seconds < 600:
        return f"{number(seconds, 1)} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def how_text(row: WayRow) -> str:
    if row.sample is None:
        return "zmierzony w całości"
    text = f"wyliczony z próbki {number(row.sample)} produktów"
    return text + " (podniesiony do minimum limitu zapytań)" if row.raised else text


def table(output: Output) -> list[str]:
    """One preset's paragraph and table, in Polish."""
    lines = [
        f"**{PRESET_NAMES.get(output.preset, output.preset)}** (`--preset {output.preset}`: "
        f"{output.shop}); {number(output.products)} produktów, stan różny od kartoteki w "
        f"{output.drift} z nich.",
        "",
        "| Sposób | Zapytania | Czas | Jak ustalony | Dolna granica | Czas / granica |",
        "|---|---|---|---|---|---|",
    ]
    for row in output.ways:
        which = "limit zapytań" if row.by_rate else "przepustowość sklepu"
        lines.append(
            f"| {WAYS[row.way]} ({workers(row.workers)}) | {number(row.requests)} | "
            f"{duration(row.seconds)} | {how_text(row)} | {duration(row.bound)} ({which}) | "
            f"{number(row.ratio, 2)} |"
        )
    lines += [
        "",
        f"Wiele wierszy w jednym zapisie: {number(output.speedup_single, 1)} raza szybciej niż "
        f"zapis po jednym wierszu i {number(output.speedup_old)} razy szybciej niż stary system.",
    ]
    return lines


def block(outputs: list[Output]) -> str:
    """The whole generated part of the guide, markers included."""
    lines = [START, ""]
    for output in outputs:
        lines += [*table(output), ""]
    return "\n".join([*lines, END])


def expected_block() -> str:
    return block([parse(result_path(p).read_text(encoding="utf-8")) for p in PRESETS])


def current_block(guide: str) -> str:
    start, end = guide.index(START), guide.index(END) + len(END)
    return guide[start:end]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--check", action="store_true", help="exit 1 if the guide is out of date")
    args = p.parse_args(argv)
    guide = GUIDE.read_text(encoding="utf-8")
    wanted = expected_block()
    if args.check:
        return 0 if current_block(guide) == wanted else 1
    GUIDE.write_text(guide.replace(current_block(guide), wanted), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
