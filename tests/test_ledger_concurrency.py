"""Races between real threads, each with its own PostgreSQL connection."""

import threading

import pytest
from django.db import connection

from warehouse import services
from warehouse.exceptions import DocumentStateError, InsufficientStock, LedgerError
from warehouse.models import Document, DocumentCounter, StockLevel, StockMovement
from warehouse.selectors import ledger_mismatches

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def race(*jobs):
    """Run the jobs in threads released together; return what each returned or raised."""
    barrier = threading.Barrier(len(jobs))
    outcomes = [None] * len(jobs)

    def run(index, job):
        try:
            barrier.wait(timeout=10)
            outcomes[index] = job()
        except Exception as exc:  # the outcome is what the test asserts on
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def test_two_issues_exceeding_the_stock_together_cannot_both_pass(
    make_product, warehouse, receive_stock, make_document, admin_user
):
    product = make_product()
    receive_stock(warehouse, {product: 10})
    first = make_document("WZ", warehouse, [(product, 6)])
    second = make_document("WZ", warehouse, [(product, 7)])

    outcomes = race(
        lambda: services.approve(first, user=admin_user),
        lambda: services.approve(second, user=admin_user),
    )

    refused = [o for o in outcomes if isinstance(o, InsufficientStock)]
    approved = [o for o in outcomes if isinstance(o, Document)]
    assert (len(approved), len(refused)) == (1, 1)
    level = StockLevel.objects.get(product=product, warehouse=warehouse)
    assert level.quantity == 10 - (6 if approved[0].pk == first.pk else 7)
    assert ledger_mismatches() == []
    statuses = sorted(Document.objects.filter(kind="WZ").values_list("status", flat=True))
    assert statuses == ["approved", "draft"]


def test_the_same_document_approved_twice_at_once_is_booked_once(
    make_product, warehouse, make_document, admin_user
):
    product = make_product()
    receipt = make_document("PZ", warehouse, [(product, 5)])

    outcomes = race(
        lambda: services.approve(Document.objects.get(pk=receipt.pk), user=admin_user),
        lambda: services.approve(Document.objects.get(pk=receipt.pk), user=admin_user),
    )

    assert sorted(type(o).__name__ for o in outcomes) == ["Document", "DocumentStateError"]
    assert next(o for o in outcomes if isinstance(o, LedgerError)).__class__ is DocumentStateError
    assert StockMovement.objects.filter(document=receipt).count() == 1
    assert StockLevel.objects.get(product=product).quantity == 5


def test_receipts_of_a_new_product_at_once_create_one_balance_row(
    make_product, make_warehouse, make_document, admin_user
):
    product, other = make_product(), make_product()
    warehouse = make_warehouse()
    documents = [
        make_document("PZ", warehouse, [(other, 1), (product, 2)]),
        make_document("PZ", warehouse, [(product, 3), (other, 4)]),
    ]

    outcomes = race(*(lambda d=d: services.approve(d, user=admin_user) for d in documents))

    assert all(isinstance(o, Document) for o in outcomes)
    assert StockLevel.objects.get(product=product).quantity == 5
    assert StockLevel.objects.get(product=other).quantity == 5


def test_documents_created_at_once_get_different_numbers(make_product, warehouse):
    product = make_product()

    outcomes = race(
        *(lambda: services.create_document("WZ", warehouse, [(product, 1)]) for _ in range(4))
    )

    numbers = sorted(o.number for o in outcomes)
    assert len(set(numbers)) == 4
    assert [n.rsplit("/", 1)[1] for n in numbers] == ["0001", "0002", "0003", "0004"]
    assert DocumentCounter.objects.get(kind="WZ").last == 4


def test_transfers_in_opposite_directions_at_once_both_pass_without_deadlock(
    make_product, make_warehouse, receive_stock, make_document, admin_user
):
    first, second = make_warehouse("MAG"), make_warehouse("SKL")
    products = [make_product() for _ in range(3)]
    receive_stock(first, dict.fromkeys(products, 10))
    receive_stock(second, dict.fromkeys(products, 10))
    there = make_document("MM", first, [(p, 4) for p in products], target_warehouse=second)
    back = make_document("MM", second, [(p, 3) for p in products], target_warehouse=first)

    outcomes = race(
        lambda: services.approve(there, user=admin_user),
        lambda: services.approve(back, user=admin_user),
    )

    assert all(isinstance(o, Document) for o in outcomes), outcomes
    levels = StockLevel.objects.filter(product__in=products)
    assert sorted({(lvl.warehouse.code, lvl.quantity) for lvl in levels}) == [
        ("MAG", 9),
        ("SKL", 11),
    ]
    assert ledger_mismatches() == []


def test_a_transfer_and_an_issue_exceeding_the_source_together_cannot_both_pass(
    make_product, make_warehouse, receive_stock, make_document, admin_user
):
    source, target = make_warehouse("MAG"), make_warehouse("SKL")
    product = make_product()
    receive_stock(source, {product: 10})
    transfer = make_document("MM", source, [(product, 6)], target_warehouse=target)
    issue = make_document("WZ", source, [(product, 7)])

    outcomes = race(
        lambda: services.approve(transfer, user=admin_user),
        lambda: services.approve(issue, user=admin_user),
    )

    assert sorted(type(o).__name__ for o in outcomes) == ["Document", "InsufficientStock"]
    total = sum(StockLevel.objects.filter(product=product).values_list("quantity", flat=True))
    assert total in (10, 3)  # the transfer keeps the units, the issue takes 7 away
    assert ledger_mismatches() == []
