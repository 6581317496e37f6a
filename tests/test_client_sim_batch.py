"""Multi-row writes, the probe and the address without URL rewriting, against the simulator
served over HTTP on 127.0.0.1, on PrestaShop 1.7.8 (PUT) and 8.1 (PATCH)."""

import contextlib

import pytest

from integrations.prestashop import NO_RETRIES, BatchRowRefused, PrestaShopClient, StockRow

ITEMS = [
    {"reference": "A", "quantity": 4, "location": "B-07", "out_of_stock": 1},
    {"reference": "B", "quantity": 5},
    {
        "reference": "C",
        "combinations": [
            {"reference": "C-1", "quantity": 1, "location": "K-1"},
            {"reference": "C-2", "quantity": 2},
        ],
    },
    {"reference": "D", "quantity": 6},
    {"reference": "E", "quantity": 7},
]


@pytest.fixture(params=["1.7.8.11", "8.1.7"], ids=["ps1.7", "ps8"])
def sim(request, simulator_factory):
    return simulator_factory(ps_version=request.param, items=ITEMS)


@pytest.fixture
def connect():
    with contextlib.ExitStack() as stack:

        def connect(sim, base=None, **options):
            options.setdefault("retry", NO_RETRIES)
            client = PrestaShopClient(base or sim.url, sim.key, **options)
            stack.callback(client.close)
            return client

        yield connect


def writes_by(sim) -> dict[str, int]:
    """Answered write requests as {"METHOD resource status": n}."""
    counted = sim.counters()["by_request"].items()
    return {k: n for k, n in counted if not k.startswith("GET")}


def method_of(sim) -> str:
    return "PATCH" if sim.config.ps_version.startswith("8") else "PUT"


def rows_of(sim) -> dict[int, dict]:
    return {r["id"]: r for r in sim.stock_rows()}


def test_five_rows_are_one_request_that_keeps_every_other_field(sim, connect):
    client = connect(sim)
    read = client.fetch_stock(range(1, 6))
    before = rows_of(sim)
    targets = [row for key, row in sorted(read.rows.items()) if key != (3, 0)]
    sim.reset_counters()

    result = client.write_quantities([(row, row.quantity + 10) for row in targets])

    assert writes_by(sim) == {f"{method_of(sim)} stock_availables 200": 1}
    assert result.requests == 1
    assert {i: r.quantity for i, r in result.written.items()} == {
        row.id: row.quantity + 10 for row in targets
    }
    after = rows_of(sim)
    for row in targets:
        assert after[row.id] == {**before[row.id], "quantity": row.quantity + 10}
    product_c = read.rows[(3, 0)]
    assert after[product_c.id]["quantity"] == 1 + 2 + 20  # recomputed from its combinations


def test_a_deleted_product_in_the_middle_stops_the_write_there(sim, connect):
    client = connect(sim)
    read = client.fetch_stock([1, 2, 4, 5])
    rows = [read.rows[(p, 0)] for p in (1, 2, 4, 5)]
    sim.delete_product(4)

    with pytest.raises(BatchRowRefused) as caught:
        client.write_quantities([(row, 50) for row in rows])

    assert caught.value.missing is True
    assert caught.value.stock_ids == tuple(row.id for row in rows)
    after = rows_of(sim)
    assert [after[rows[0].id]["quantity"], after[rows[1].id]["quantity"]] == [50, 50]
    assert after[rows[3].id]["quantity"] == 7  # after the missing row: not written


def test_the_probe_finds_multi_row_writes_supported_and_changes_nothing(sim, connect):
    before = rows_of(sim)

    support = connect(sim).probe_batch_writes()

    assert (support.supported, support.method, support.requests) == (True, method_of(sim), 2)
    assert rows_of(sim) == before
    assert writes_by(sim) == {f"{method_of(sim)} stock_availables 200": 1}


def test_without_url_rewriting_every_call_goes_through_the_dispatcher(sim, connect):
    client = connect(sim, base=sim.url + "webservice/dispatcher.php")

    report = client.check_access()
    read = client.fetch_stock([1, 2])
    one = client.write_quantity(read.rows[(1, 0)], 9)
    many = client.write_quantities([(read.rows[(2, 0)], 8), (one, 10)])

    assert (report.address_form, report.problems) == ("dispatcher", [])
    assert one.quantity == 9
    assert set(many.written) == {read.rows[(2, 0)].id, one.id}
    assert sim.quantity(one.id) == 10
    assert isinstance(one, StockRow)
