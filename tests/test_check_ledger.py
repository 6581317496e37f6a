"""manage.py check_ledger: a clean ledger passes, a tampered balance is named."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from warehouse.models import StockLevel, StockMovement
from warehouse.selectors import ledger_mismatches

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.both_databases,
    pytest.mark.usefixtures("english"),
]


@pytest.fixture
def ledger(make_product, make_warehouse, receive_stock, make_document):
    first, second = make_warehouse("MAG"), make_warehouse("ZAP")
    products = [make_product(f"P-{i}") for i in range(5)]
    receive_stock(first, dict.fromkeys(products, 4))
    receive_stock(second, {products[0]: 2})
    make_document("WZ", first, [(products[1], 3)], approve=True)
    return products, first


def test_a_clean_ledger_passes(ledger):
    out = StringIO()

    call_command("check_ledger", stdout=out)

    assert "Ledger OK" in out.getvalue()


def test_a_tampered_balance_is_listed_and_the_command_fails(ledger):
    products, first = ledger
    StockLevel.objects.filter(product=products[1], warehouse=first).update(
        quantity=F("quantity") + 5
    )
    out = StringIO()

    with pytest.raises(CommandError, match="1 balance\\(s\\) differ from their movements"):
        call_command("check_ledger", stdout=out)

    assert "P-1 @ MAG: balance 6, movements 1" in out.getvalue()


def test_movements_without_a_balance_row_are_listed(ledger):
    products, _first = ledger
    StockMovement.objects.filter(product=products[2]).update(
        warehouse=StockLevel.objects.filter(warehouse__code="ZAP").first().warehouse
    )
    StockLevel.objects.filter(product=products[2], warehouse__code="ZAP").delete()

    found = {(m.sku, m.warehouse_code, m.quantity, m.booked) for m in ledger_mismatches()}

    assert found == {("P-2", "MAG", 4, 0), ("P-2", "ZAP", None, 4)}


def test_the_check_takes_a_fixed_number_of_queries_whatever_the_size(
    ledger, make_product, receive_stock
):
    _products, first = ledger
    with CaptureQueriesContext(connection) as small:
        ledger_mismatches()
    receive_stock(first, {make_product(): 1 for _ in range(20)})
    StockLevel.objects.update(quantity=F("quantity") + 1)

    with CaptureQueriesContext(connection) as large:
        assert len(ledger_mismatches()) == 26

    assert len(small.captured_queries) == len(large.captured_queries) == 2
