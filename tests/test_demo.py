"""The demo (scripts/demo.sh → manage.py demo): its data, its shop, and whole runs."""

import json
import os
import re
import sqlite3
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from demo.demo import demo_database_path
from demo.demo_data import demo_products, ean13, load_demo_catalogue
from demo.demo_shop import build_demo_shop, ledger_quantity
from demo.demo_state import catalogue_items
from integrations.linking import LocalProduct, match_products
from integrations.prestashop import CatalogueItem
from prestashop_sim.testing import build_simulator
from warehouse.models import Product, StockLevel

ROOT = Path(__file__).resolve().parents[1]
DEMO_PRODUCTS = 300


def test_demo_products_are_reproducible_with_valid_eans():
    first, again = demo_products(30, seed=5), demo_products(30, seed=5)

    assert first == again
    assert [p.sku for p in first[:2]] == ["DEMO-00001", "DEMO-00002"]
    assert all(p.ean == ean13(p.ean[:12]) and len(p.ean) == 13 for p in first)
    assert ean13("590123412345") == "5901234123457"


@pytest.mark.django_db
@pytest.mark.both_databases
def test_the_demo_catalogue_books_its_opening_stock_as_approved_receipts():
    catalogue = load_demo_catalogue(25, seed=3)

    expected = {
        (p.sku, code): q for p in demo_products(25, seed=3) for code, q in p.quantities.items()
    }
    actual = {
        (sku, code): q
        for sku, code, q in StockLevel.objects.values_list(
            "product__sku", "warehouse__code", "quantity"
        )
    }
    assert actual == expected
    assert [r.status for r in catalogue.receipts] == ["approved", "approved"]
    assert Product.objects.count() == 25


def shop_rows(shop) -> dict[str, int]:
    """SKU -> shop quantity of every row that carries a ledger SKU."""
    rows = {}
    for item in shop.items:
        for row in item.get("combinations") or [item]:
            rows[row["reference"]] = row["quantity"]
    return rows


def test_the_demo_shop_carries_every_sku_once_and_drifts_on_exactly_its_share():
    products = demo_products(200, seed=5)

    shop = build_demo_shop(products, seed=5, drift_share=0.1)

    rows = shop_rows(shop)
    assert sorted(rows) == [p.sku for p in products]
    assert len(shop.drift) == 20
    differing = {p.sku for p in products if rows[p.sku] != ledger_quantity(p)}
    assert differing == set(shop.drift)
    assert all(rows[sku] == drift.shop >= 0 for sku, drift in shop.drift.items())
    assert shop.combinations > 0
    assert shop.simple + shop.combinations == 200
    assert shop == build_demo_shop(products, seed=5, drift_share=0.1)


def test_the_linker_links_every_demo_product_to_its_simple_product_or_combination():
    products = demo_products(120, seed=8)
    shop = build_demo_shop(products, seed=8)
    items = []
    for product_id, item in enumerate(shop.items, start=1):
        combinations = item.get("combinations", [])
        items.append(CatalogueItem(product_id, 0, item["reference"], item["ean13"]))
        for combination_id, combination in enumerate(combinations, start=product_id * 10):
            items.append(CatalogueItem(product_id, combination_id, combination["reference"], ""))
    local = [LocalProduct(n, p.sku, p.ean) for n, p in enumerate(products, start=1)]

    report = match_products(local, items)

    assert len(report.linked) == 120
    assert sum(1 for match in report.linked if match.ps_combination_id) == shop.combinations
    assert report.unmatched == report.ambiguous == report.has_combinations == []


def test_only_the_sqlite_file_in_a_demo_folder_counts_as_the_demo_database(monkeypatch, tmp_path):
    settings_dict = connection.settings_dict
    monkeypatch.setitem(settings_dict, "ENGINE", "django.db.backends.sqlite3")
    for name, expected in [
        (tmp_path / "demo" / "invsync.sqlite3", tmp_path / "demo" / "invsync.sqlite3"),
        (tmp_path / "var" / "invsync.sqlite3", None),
        (tmp_path / "demo" / "other.sqlite3", None),
        (":memory:", None),
    ]:
        monkeypatch.setitem(settings_dict, "NAME", str(name))
        assert demo_database_path() == expected
    monkeypatch.setitem(settings_dict, "ENGINE", "django.db.backends.postgresql")
    monkeypatch.setitem(settings_dict, "NAME", "demo")
    assert demo_database_path() is None


@pytest.mark.django_db
@pytest.mark.both_databases
@pytest.mark.usefixtures("english")
def test_the_demo_refuses_any_database_but_its_own_and_touches_nothing(make_product):
    make_product()

    with pytest.raises(CommandError, match="runs only on its own SQLite database"):
        call_command("demo", "--products", "20", stdout=StringIO())

    assert Product.objects.count() == 1


def demo_env(var_dir: Path) -> dict[str, str]:
    """What scripts/demo.sh exports, with the demo folder in a temporary directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "CELERY_"))}
    env.update(
        DEBUG="1",
        INVSYNC_VAR_DIR=str(var_dir),
        DATABASE_URL=f"sqlite:///{var_dir}/invsync.sqlite3",
        CELERY_BROKER_URL="filesystem://",
        INVSYNC_REDIS_URL="",
        COLUMNS="120",
    )
    return env


def test_the_saved_catalogue_rebuilds_the_shop_with_its_ids_and_current_quantities():
    shop = build_demo_shop(demo_products(40, seed=4), seed=4)
    sim = build_simulator(items=shop.items)
    for row in sim.stock_rows()[::3]:
        sim.set_quantity(row["id"], row["quantity"] + 7)
    names = {item["reference"]: item["name"] for item in shop.items}

    saved = catalogue_items(sim.catalogue(), sim.stock_rows(), names)
    again = build_simulator(items=saved)

    assert again.catalogue() == sim.catalogue()
    quantities = {row["id"]: row["quantity"] for row in again.stock_rows()}
    combination_rows = {
        row["id"]: row["quantity"] for row in sim.stock_rows() if row["id_product_attribute"]
    }
    assert {k: quantities[k] for k in combination_rows} == combination_rows
    assert saved[0]["name"] == shop.items[0]["name"]


def run_demo_command(var_dir: Path, *args: str) -> str:
    result = run_manage(var_dir, "demo", "--products", str(DEMO_PRODUCTS), *args)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def run_manage(var_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=demo_env(var_dir),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def process_group_exists(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def database_counts(path: Path) -> tuple[int, int, int]:
    with sqlite3.connect(path) as db:
        return tuple(
            db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
            for table in ("warehouse_product", "integrations_syncrun", "warehouse_document")
        )


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory) -> tuple[Path, list[str]]:
    """The demo run twice in one folder: the folder and the two outputs."""
    var_dir = tmp_path_factory.mktemp("run") / "demo"
    return var_dir, [run_demo_command(var_dir), run_demo_command(var_dir, "--workers", "1")]


@pytest.mark.integration
def test_the_demo_syncs_through_its_worker_twice_and_leaves_nothing_running(demo_run):
    var_dir, outputs = demo_run
    drift = len(build_demo_shop(demo_products(DEMO_PRODUCTS, seed=2026), seed=2026).drift)

    for output in outputs:
        assert f"products checked: {DEMO_PRODUCTS}\n" in output
        carried = re.search(
            rf"rows written: {drift} \(the shop had drifted on {drift} rows; "
            r"(\d+) write requests carried them\)",
            output,
        )
        assert carried is not None
        assert 1 <= int(carried.group(1)) < drift  # several rows per multi-row write
        assert re.search(r"goods issue followed: WZ/\S+ in the shop after [\d.]+ s", output)
        ledger = re.search(r"out of MAG, ledger (\d+) → (\d+)", output).groups()
        shop = re.search(r"The shop followed: .*: (\d+) → (\d+) after", output).groups()
        assert int(shop[0]) == int(ledger[0])  # the full sync had brought the row in line
        assert int(ledger[1]) == int(ledger[0]) - 2 == int(shop[1])
        assert "user: admin  password: " in output
        pids = {int(pid) for pid in re.findall(r"pid (\d+)", output)}
        assert len(pids) == 2  # the worker and the simulator, each leading its group
        assert [pid for pid in pids if process_group_exists(pid)] == []
    assert drift == round(DEMO_PRODUCTS * 0.12)
    # The second run started from a fresh database: one catalogue, one run, 2 PZ + 1 WZ.
    assert database_counts(var_dir / "invsync.sqlite3") == (DEMO_PRODUCTS, 1, 3)


def saved_shop_differences(var_dir: Path) -> tuple[int, list[str]]:
    """Serve the saved catalogue in a fresh simulator; compare its linked rows with the ledger
    as the demo database holds it."""
    items = json.loads((var_dir / "shop-catalogue.json").read_text(encoding="utf-8"))
    shop = {row["id"]: row["quantity"] for row in build_simulator(items=items).stock_rows()}
    with sqlite3.connect(var_dir / "invsync.sqlite3") as db:
        links = db.execute(
            "SELECT p.sku, l.ps_stock_id, (SELECT coalesce(sum(quantity), 0) "
            "FROM warehouse_stocklevel s WHERE s.product_id = p.id) "
            "FROM integrations_productlink l "
            "JOIN warehouse_product p ON p.id = l.product_id WHERE l.ps_stock_id IS NOT NULL"
        ).fetchall()
    return len(links), [sku for sku, row, ledger in links if shop[row] != ledger]


@pytest.mark.integration
def test_after_the_demo_the_admin_entry_brings_back_its_shop_in_line_and_a_worker_then_stops(
    demo_run,
):
    var_dir, outputs = demo_run
    output = outputs[-1]
    assert "The shop's catalogue with its current stock saved:" in output
    assert f"INVSYNC_VAR_DIR={var_dir} DATABASE_URL=sqlite:///{var_dir}" in output
    record = json.loads((var_dir / "shop-simulator.json").read_text())
    assert saved_shop_differences(var_dir) == (DEMO_PRODUCTS, [])

    result = run_manage(var_dir, "demo_admin", "--check")

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert (
        f"{record['url']} (integration “Sklep demo (symulator)”), 0 of {DEMO_PRODUCTS} linked "
        "stock rows differ from the ledger" in result.stdout
    )
    assert "Connection test: The shop answers" in result.stdout
    assert result.stdout.rstrip().endswith("The shop simulator and the Celery worker are stopped.")
    pids = {int(pid) for pid in re.findall(r"pid (\d+)", result.stdout)}
    assert len(pids) == 2
    assert [pid for pid in pids if process_group_exists(pid)] == []
