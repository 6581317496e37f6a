"""Approving and cancelling each document kind, on SQLite and PostgreSQL."""

import re

import pytest
from django.utils import timezone

from warehouse import services
from warehouse.models import Document, StockLevel, StockMovement
from warehouse.selectors import ledger_mismatches

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.both_databases,
    pytest.mark.usefixtures("english"),
]


def balance(product, warehouse):
    level = StockLevel.objects.filter(product=product, warehouse=warehouse).first()
    return level.quantity if level else 0


def movements_of(document):
    return sorted(document.movements.values_list("product__sku", "delta"))


@pytest.mark.parametrize(
    ("kind", "quantity", "after_approve"),
    [("PZ", 4, 14), ("IN", 4, 14), ("WZ", 4, 6), ("OUT", 4, 6), ("INW", 3, 3)],
)
def test_each_kind_approves_and_its_cancellation_restores_the_balance(
    make_product, warehouse, receive_stock, make_document, admin_user, kind, quantity, after_approve
):
    product = make_product()
    receive_stock(warehouse, {product: 10})
    document = make_document(kind, warehouse, [(product, quantity)])

    services.approve(document, user=admin_user)

    document.refresh_from_db()
    assert document.status == Document.Status.APPROVED
    assert document.approved_by == admin_user
    assert document.approved_at is not None
    assert balance(product, warehouse) == after_approve
    assert movements_of(document) == [(product.sku, after_approve - 10)]

    services.cancel(document, user=admin_user)

    document.refresh_from_db()
    assert document.status == Document.Status.CANCELLED
    assert document.cancelled_by == admin_user
    assert balance(product, warehouse) == 10
    assert movements_of(document) == sorted(
        [(product.sku, after_approve - 10), (product.sku, 10 - after_approve)]
    )
    assert ledger_mismatches() == []


def test_inventory_count_sets_counted_products_and_books_only_the_differences(
    make_product, warehouse, receive_stock, make_document, admin_user
):
    counted_down, unchanged, new, not_counted = (make_product() for _ in range(4))
    receive_stock(warehouse, {counted_down: 10, unchanged: 5, not_counted: 7})
    count = make_document("INW", warehouse, [(counted_down, 8), (unchanged, 5), (new, 2)])

    services.approve(count, user=admin_user)

    assert balance(counted_down, warehouse) == 8
    assert balance(unchanged, warehouse) == 5
    assert balance(new, warehouse) == 2
    assert balance(not_counted, warehouse) == 7
    assert movements_of(count) == sorted([(counted_down.sku, -2), (new.sku, 2)])

    services.cancel(count, user=admin_user)

    assert [balance(p, warehouse) for p in (counted_down, unchanged, new, not_counted)] == [
        10,
        5,
        0,
        7,
    ]


def test_an_inventory_count_of_zero_empties_the_product(
    make_product, warehouse, receive_stock, make_document, admin_user
):
    product = make_product()
    receive_stock(warehouse, {product: 6})

    make_document("INW", warehouse, [(product, 0)], user=admin_user, approve=True)

    assert balance(product, warehouse) == 0


def test_balances_are_kept_per_warehouse(
    make_product, make_warehouse, receive_stock, make_document
):
    product = make_product()
    first, second = make_warehouse(), make_warehouse()
    receive_stock(first, {product: 5})
    receive_stock(second, {product: 3})

    make_document("WZ", second, [(product, 3)], approve=True)

    assert balance(product, first) == 5
    assert balance(product, second) == 0


def test_numbers_count_per_kind_and_month(make_product, warehouse, make_document):
    product = make_product()
    month = timezone.localdate().strftime("%Y/%m")

    numbers = [make_document(kind, warehouse, [(product, 1)]).number for kind in ("PZ", "PZ", "WZ")]

    assert numbers == [f"PZ/{month}/0001", f"PZ/{month}/0002", f"WZ/{month}/0001"]
    assert all(re.fullmatch(r"(PZ|WZ)/\d{4}/\d{2}/\d{4}", number) for number in numbers)


def test_create_document_accepts_product_ids_and_records_its_author(
    make_product, warehouse, admin_user
):
    product = make_product()

    document = services.create_document(
        "PZ", warehouse, [(product.pk, 2)], user=admin_user, origin="import", note="dostawa"
    )

    assert document.status == Document.Status.DRAFT
    assert document.created_by == admin_user
    assert document.origin == "import"
    assert list(document.lines.values_list("product_id", "quantity")) == [(product.pk, 2)]
    assert StockMovement.objects.count() == 0
