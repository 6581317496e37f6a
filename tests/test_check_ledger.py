"""manage.py check_ledger: a clean ledger passes, a tampered balance is named."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from warehouse import services
from warehouse.models import Document, StockLevel, StockMovement
from warehouse.selectors import ledger_mismatches, unbalanced_transfers

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
    make_document("MM", first, [(products[3], 4)], target_warehouse=second, approve=True)
    cancelled = make_document("MM", second, [(products[0], 1)], target_warehouse=first)
    services.approve(cancelled, user=None)
    services.cancel(cancelled, user=None)
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
        assert len(ledger_mismatches()) == 27  # every balance: 5 + 20 in MAG, 2 in ZAP

    assert len(small.captured_queries) == len(large.captured_queries) == 2


def test_a_transfer_whose_movements_do_not_add_up_is_named(ledger):
    products, _first = ledger
    transfer = Document.objects.get(kind="MM", status="approved")
    StockMovement.objects.filter(document=transfer, delta__gt=0).update(delta=3)
    StockLevel.objects.filter(product=products[3], warehouse__code="ZAP").update(quantity=3)
    out = StringIO()

    with pytest.raises(CommandError, match=r"1 movement\(s\) of documents do not add up"):
        call_command("check_ledger", stdout=out)

    assert f"{transfer.number}: P-3 moved -1 units in all, not 0" in out.getvalue()
    assert unbalanced_transfers() == [(transfer.number, "P-3", -1)]


def test_a_movement_outside_its_documents_warehouses_is_named(ledger, make_warehouse):
    products, first = ledger
    elsewhere = make_warehouse("OBCY")
    issue = Document.objects.get(kind="WZ")
    StockMovement.objects.filter(document=issue).update(warehouse=elsewhere)
    StockLevel.objects.filter(product=products[1], warehouse=first).update(quantity=4)
    StockLevel.objects.create(product=products[1], warehouse=elsewhere, quantity=0)
    out = StringIO()

    with pytest.raises(CommandError) as failure:
        call_command("check_ledger", stdout=out)

    assert f"{issue.number}: P-1 booked in OBCY, outside the document's warehouses" in (
        out.getvalue()
    )
    assert "P-1 @ OBCY: balance 0, movements -3" in out.getvalue()
    assert "1 movement(s) of documents do not add up." in str(failure.value)


def test_a_balance_outside_the_limits_is_named(ledger):
    products, first = ledger
    with connection.cursor() as cursor:
        # The check constraints keep such a balance out; only a ledger written around them
        # (raw SQL with the constraint dropped, a restored old dump) can hold one.
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA ignore_check_constraints = 1")
        else:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending trigger events
            cursor.execute(
                "ALTER TABLE warehouse_stocklevel DROP CONSTRAINT stocklevel_quantity_not_negative"
            )
    try:
        StockLevel.objects.filter(product=products[4], warehouse=first).update(quantity=-2)
        out = StringIO()
        with pytest.raises(CommandError, match=r"1 balance\(s\) lie outside 0..2,147,483,647"):
            call_command("check_ledger", stdout=out)
    finally:
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA ignore_check_constraints = 0")

    assert "P-4 @ MAG: balance -2 is outside 0..2,147,483,647" in out.getvalue()
