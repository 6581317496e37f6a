"""python -m prestashop_sim as a process, its side endpoint, and the catalogue tools."""

import subprocess
import sys

import pytest
import requests

from prestashop_sim.catalogue import ean13, generate
from prestashop_sim.testing import run_simulator, run_simulator_process

KEY = "ABCDEFGHIJKLMNOPQRSTUVWXYZ123456"


@pytest.mark.integration
def test_process_answers_the_webservice_and_the_side_endpoint():
    items = [{"reference": "DEMO-A", "ean13": ean13(1), "quantity": 4}]
    with run_simulator_process(section9=True, items=items, ps_version="1.7.8.11") as sim:
        row = requests.get(sim.api_url + "stock_availables/24", auth=(KEY, ""), timeout=10)
        demo = requests.get(
            sim.api_url + "products",
            params={"display": "[id,reference]", "filter[reference]": "[DEMO-A]"},
            auth=(KEY, ""),
            timeout=10,
        )
        sim.set_quantity(22, 3, recompute=True)
        counters = sim.counters()
        sim.set_faults([{"kind": "http_error", "status": 502, "count": 1}])
        faulty = requests.get(sim.api_url + "stock_availables/24", auth=(KEY, ""), timeout=10)
        deleted = sim.delete_product(8)
        gone = requests.get(sim.api_url + "stock_availables/24", auth=(KEY, ""), timeout=10)
        after = sim.counters()
        reset = sim.reset_counters()

    assert row.status_code == 200
    assert row.headers["PSWS-Version"] == "1.7.8.11"
    assert "<reference><![CDATA[DEMO-A]]></reference>" in demo.text
    assert counters["by_request"] == {"GET stock_availables 200": 1, "GET products 200": 1}
    assert counters["action_update_quantity"] == 1
    assert sim.url.startswith("http://127.0.0.1:")
    assert (faulty.status_code, deleted, gone.status_code) == (502, True, 404)
    assert after["by_status"] == {"200": 2, "502": 1, "404": 1}
    assert reset["total"] == 0


@pytest.mark.integration
def test_process_side_endpoint_reports_quantities_and_catalogue():
    with run_simulator_process(section9=True) as sim:
        rows = sim.stock_rows(products=[7])
        by_ids = sim.stock_rows(ids=[24, 22])
        quantity = sim.quantity(21)
        catalogue = sim.catalogue()
        info = requests.get(sim.url + "_sim/info", timeout=10).json()
        missing = requests.get(sim.url + "_sim/nothing", timeout=10)

    assert [(r["id"], r["quantity"]) for r in rows] == [(21, 15), (22, 10), (23, 5)]
    assert [(r["id"], r["quantity"]) for r in by_ids] == [(22, 10), (24, 0)]
    assert quantity == 15
    assert [(c["id_product"], c["id_product_attribute"], c["stock_ids"]) for c in catalogue] == [
        (7, 0, [21]),
        (7, 31, [22]),
        (7, 32, [23]),
        (8, 0, [24]),
    ]
    assert info["ps_version"] == "8.1.7"
    assert missing.status_code == 404


@pytest.mark.integration
def test_process_takes_the_shop_switches_from_its_command_line():
    rules = [{"kind": "rate_limited", "count": 1, "methods": ["GET"]}]
    options = {"transcript_shop": True, "multi_row": "first_only", "faults": rules}
    with run_simulator_process(url_rewriting=False, shop_domain="127.0.0.1:1", **options) as sim:
        config = requests.get(sim.url + "_sim/config", timeout=10).json()
        rows = sim.stock_rows(ids=[1, 20])
        limited = requests.get(sim.url + "webservice/dispatcher.php", auth=(KEY, ""), timeout=10)
        redirected = requests.get(
            sim.url + "webservice/dispatcher.php?url=stock_availables/1",
            auth=(KEY, ""),
            allow_redirects=False,
            timeout=10,
        )
        sim.set_config(shop_domain=None)
        not_rewritten = requests.get(sim.api_url, auth=(KEY, ""), timeout=10)

    assert (config["multi_row"], config["url_rewriting"]) == ("first_only", False)
    assert [(r["id"], r["quantity"]) for r in rows] == [(1, 2400), (20, 300)]
    assert redirected.status_code == 302
    assert redirected.headers["Location"] == "http://127.0.0.1:1/?url=stock_availables%2F1"
    assert limited.status_code == 429
    assert not_rewritten.status_code == 404


def test_help_documents_every_option():
    result = subprocess.run(
        [sys.executable, "-m", "prestashop_sim", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )

    for option in (
        "--port",
        "--products",
        "--key",
        "--ps-version",
        "--read-latency",
        "--write-latency",
        "--capacity",
        "--rate-limit",
        "--no-retry-after",
        "--catalogue-file",
        "--shop-layout",
        "--transcript-shop",
        "--multi-row",
        "--multi-row-status",
        "--write-row-latency",
        "--rate-mode",
        "--rate-burst",
        "--rate-nodelay",
        "--shop-domain",
        "--no-url-rewriting",
        "--faults",
    ):
        assert option in result.stdout


def test_generated_catalogue_is_seeded_and_shaped_as_asked():
    items = generate(500, combination_share=0.2, seed=3)
    again = generate(500, combination_share=0.2, seed=3)

    with_combos = [i for i in items if i.combinations]
    assert items == again
    assert items[0].reference == "SKU-000001"
    assert 60 <= len(with_combos) <= 140
    assert all(2 <= len(i.combinations) <= 4 for i in with_combos)
    assert with_combos[0].combinations[1].reference == with_combos[0].reference + "-2"
    assert all(_valid_ean(i.ean13) for i in items)
    assert len({i.ean13 for i in items}) == 500


def _valid_ean(code: str) -> bool:
    digits = [int(d) for d in code]
    return len(code) == 13 and sum(d * (3 if n % 2 else 1) for n, d in enumerate(digits)) % 10 == 0


def test_product_row_of_a_generated_product_is_the_sum_of_its_combinations():
    with run_simulator(products=50, combination_share=0.5, seed=2) as sim:
        rows = sim.stock_rows()

    for product_id in {r["id_product"] for r in rows}:
        own = [r for r in rows if r["id_product"] == product_id]
        combos = [r["quantity"] for r in own if r["id_product_attribute"]]
        if combos:
            product_row = next(r for r in own if r["id_product_attribute"] == 0)
            assert product_row["quantity"] == sum(combos)


def test_the_catalogue_file_written_for_items_goes_with_the_simulator():
    import tempfile
    from pathlib import Path

    def files() -> set[Path]:
        return set(Path(tempfile.gettempdir()).glob("prestashop-sim-*.json"))

    before = files()
    with run_simulator_process(items=generate(3)) as shop:
        written = files() - before
        assert len(shop.stock_rows()) >= 3
    assert len(written) == 1
    assert files() - before == set()
