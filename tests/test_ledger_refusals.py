"""Every refusal names the problem and writes nothing."""

import pytest
from django.utils import timezone

from warehouse import services
from warehouse.exceptions import DocumentStateError, InsufficientStock, InvalidDocument
from warehouse.models import Document, DocumentCounter, DocumentLine, StockLevel, StockMovement

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.both_databases,
    pytest.mark.usefixtures("english"),
]


def ledger_state():
    """Everything a refusal must leave untouched."""
    return {
        "movements": list(StockMovement.objects.order_by("pk").values_list("pk", "delta")),
        "levels": list(StockLevel.objects.order_by("pk").values_list("pk", "quantity")),
        "documents": list(Document.objects.order_by("pk").values_list("pk", "status", "number")),
        "counters": list(DocumentCounter.objects.order_by("pk").values_list("kind", "last")),
        "lines": DocumentLine.objects.count(),
    }


@pytest.fixture
def stocked(make_product, warehouse, receive_stock):
    """Two products with 5 and 2 in MAG."""
    first, second = make_product("A-1"), make_product("B-2")
    receive_stock(warehouse, {first: 5, second: 2})
    return first, second


@pytest.mark.parametrize("kind", ["WZ", "OUT"])
def test_an_issue_that_would_go_negative_is_refused_naming_every_short_product(
    stocked, warehouse, make_product, make_document, admin_user, kind
):
    first, second = stocked
    plenty = make_product("C-3")
    document = make_document(kind, warehouse, [(second, 3), (plenty, 1), (first, 9)])
    before = ledger_state()

    with pytest.raises(InsufficientStock) as refusal:
        services.approve(document, user=admin_user)

    assert [
        (line.sku, line.available, line.required, line.missing) for line in refusal.value.lines
    ] == [
        ("A-1", 5, 9, 4),
        ("B-2", 2, 3, 1),
        ("C-3", 0, 1, 1),
    ]
    message = str(refusal.value)
    assert "MAG" in message
    assert "A-1: available 5, needed 9, short by 4" in message
    assert "B-2: available 2, needed 3, short by 1" in message
    assert ledger_state() == before
    document.refresh_from_db()
    assert document.status == Document.Status.DRAFT


@pytest.mark.parametrize(
    ("kind", "history", "service", "refusal", "quantity"),
    [
        pytest.param(
            "PZ", ["approve"], services.approve, "is already approved", 6, id="approve-approved"
        ),
        pytest.param(
            "PZ",
            ["approve", "cancel"],
            services.approve,
            "is cancelled and cannot be approved",
            5,
            id="approve-cancelled",
        ),
        pytest.param(
            "PZ",
            [],
            services.cancel,
            "only an approved document can be cancelled",
            5,
            id="cancel-draft",
        ),
        pytest.param(
            "WZ",
            ["approve", "cancel"],
            services.cancel,
            "is already cancelled",
            5,
            id="cancel-cancelled",
        ),
    ],
)
def test_a_document_in_the_wrong_status_is_refused_and_nothing_changes(
    stocked, warehouse, make_document, admin_user, kind, history, service, refusal, quantity
):
    document = make_document(kind, warehouse, [(stocked[0], 1)], approve="approve" in history)
    if "cancel" in history:
        services.cancel(document, user=admin_user)
    before = ledger_state()

    with pytest.raises(DocumentStateError, match=refusal):
        service(Document.objects.get(pk=document.pk), user=admin_user)

    assert ledger_state() == before
    assert StockLevel.objects.get(product=stocked[0]).quantity == quantity


def test_cancelling_a_receipt_whose_goods_were_issued_is_refused(
    stocked, warehouse, make_document, admin_user
):
    first, _second = stocked
    receipt = make_document("PZ", warehouse, [(first, 4)], approve=True)
    make_document("WZ", warehouse, [(first, 7)], approve=True)
    before = ledger_state()

    with pytest.raises(InsufficientStock) as refusal:
        services.cancel(receipt, user=admin_user)

    assert [(line.sku, line.available, line.required) for line in refusal.value.lines] == [
        ("A-1", 2, 4)
    ]
    assert ledger_state() == before


def test_an_empty_document_is_refused_at_creation_without_using_a_number(
    stocked, warehouse, make_document
):
    before = ledger_state()

    with pytest.raises(InvalidDocument, match="The document has no lines"):
        services.create_document("WZ", warehouse, [])

    assert ledger_state() == before
    month = timezone.localdate().strftime("%Y/%m")
    assert make_document("WZ", warehouse, [(stocked[0], 1)]).number == f"WZ/{month}/0001"


def test_a_draft_whose_lines_were_removed_is_refused_at_approval(
    stocked, warehouse, make_document, admin_user
):
    document = make_document("PZ", warehouse, [(stocked[0], 1)])
    document.lines.all().delete()
    before = ledger_state()

    with pytest.raises(InvalidDocument, match="The document has no lines"):
        services.approve(document, user=admin_user)

    assert ledger_state() == before


@pytest.mark.parametrize("quantity", [0, -3, 1.5, "2", True, None])
def test_a_quantity_that_is_not_a_positive_whole_number_is_refused(stocked, warehouse, quantity):
    before = ledger_state()

    with pytest.raises(InvalidDocument) as refusal:
        services.create_document("PZ", warehouse, [(stocked[0], quantity)])

    assert refusal.value.problems == [
        f"Product A-1: the quantity must be a whole number greater than 0, not {quantity}."
    ]
    assert ledger_state() == before


def test_an_inventory_count_accepts_zero_but_refuses_a_negative_count(stocked, warehouse):
    before = ledger_state()

    with pytest.raises(InvalidDocument, match="counted quantity must be a whole number of 0"):
        services.create_document("INW", warehouse, [(stocked[0], -1)])

    assert ledger_state() == before
    assert services.create_document("INW", warehouse, [(stocked[0], 0)]).lines.count() == 1


def test_a_line_changed_to_zero_in_a_draft_is_refused_at_approval(
    stocked, warehouse, make_document, admin_user
):
    document = make_document("WZ", warehouse, [(stocked[0], 1)])
    document.lines.update(quantity=0)
    before = ledger_state()

    with pytest.raises(InvalidDocument, match="greater than 0, not 0"):
        services.approve(document, user=admin_user)

    assert ledger_state() == before


def test_a_product_twice_on_one_document_is_refused(stocked, warehouse, make_document, admin_user):
    first, second = stocked
    before = ledger_state()
    with pytest.raises(InvalidDocument, match="A-1 appears on the document more than once"):
        services.create_document("PZ", warehouse, [(first, 1), (second, 1), (first.pk, 2)])
    assert ledger_state() == before

    document = make_document("PZ", warehouse, [(first, 1)])
    DocumentLine.objects.create(document=document, product=first, quantity=2)
    before = ledger_state()
    with pytest.raises(InvalidDocument, match="appears on the document more than once"):
        services.approve(document, user=admin_user)
    assert ledger_state() == before


def test_an_inactive_product_is_refused(stocked, warehouse, make_document, admin_user):
    first, second = stocked
    draft = make_document("PZ", warehouse, [(first, 1), (second, 1)])
    second.active = False
    second.save()
    before = ledger_state()

    with pytest.raises(InvalidDocument, match="Product B-2 is inactive"):
        services.create_document("PZ", warehouse, [(second, 1)])
    with pytest.raises(InvalidDocument, match="Product B-2 is inactive"):
        services.approve(draft, user=admin_user)

    assert ledger_state() == before


def test_every_problem_of_a_document_is_reported_at_once(stocked, warehouse):
    first, second = stocked

    with pytest.raises(InvalidDocument) as refusal:
        services.create_document("WZ", warehouse, [(first, -1), (second, 0), (first, 2)])

    assert len(refusal.value.problems) == 3


def test_an_unknown_product_id_or_kind_is_refused(stocked, warehouse):
    before = ledger_state()

    with pytest.raises(InvalidDocument, match="Product id 999999 does not exist"):
        services.create_document("PZ", warehouse, [(999999, 1)])
    with pytest.raises(InvalidDocument, match="Unknown document kind XX"):
        services.create_document("XX", warehouse, [(stocked[0], 1)])

    assert ledger_state() == before
