"""The outbox: dirty marks written with the stock change, claims, conditional clears."""

import logging
import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from integrations import tasks
from integrations.engine import outbox
from integrations.models import Integration, ProductLink
from tests.fixtures.integrations import CLOSED_BROKER_URL, broker_pointed_at
from warehouse import services
from warehouse.exceptions import InsufficientStock
from warehouse.models import Document

pytestmark = pytest.mark.both_databases


@pytest.fixture
def shop_links(db, make_integration, make_links, make_product):
    """One integration with three clean links (products P1..P3 -> shop products 1..3)."""
    integration = make_integration()
    products = [make_product(f"P{n}") for n in range(1, 4)]
    links = make_links(integration, [(p, n) for n, p in enumerate(products, start=1)])
    return integration, products, links


def fresh(link) -> ProductLink:
    return ProductLink.objects.get(pk=link.pk)


def test_approval_marks_the_products_links_dirty_and_bumps_their_version(
    shop_links, warehouse, make_document, django_capture_on_commit_callbacks
):
    integration, products, links = shop_links
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        document = make_document(Document.Kind.PZ, warehouse, [(products[0], 5)], approve=True)

    marked, untouched = fresh(links[0]), fresh(links[1])
    assert (marked.dirty, marked.version, marked.state) == (True, 2, ProductLink.State.DIRTY)
    assert marked.dirty_since == Document.objects.get(pk=document.pk).approved_at
    assert (untouched.dirty, untouched.version) == (False, 1)
    assert len(callbacks) == 1
    assert callbacks[0].func is tasks.enqueue_drains
    assert callbacks[0].args == ({integration.pk},)


def test_refused_approval_writes_no_mark(shop_links, warehouse, make_document):
    _integration, products, links = shop_links
    document = make_document(Document.Kind.WZ, warehouse, [(products[0], 1)])
    with pytest.raises(InsufficientStock):
        services.approve(document, user=None)
    assert (fresh(links[0]).dirty, fresh(links[0]).version) == (False, 1)


def test_two_approvals_in_one_transaction_drain_every_integration_after_commit(
    shop_links, warehouse, make_document, make_integration, make_links,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    integration, products, _links = shop_links
    other = make_integration()
    make_links(other, [(products[1], 7)])
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        make_document(Document.Kind.PZ, warehouse, [(products[0], 1)], approve=True)
        make_document(Document.Kind.PZ, warehouse, [(products[1], 1)], approve=True)
    assert {callback.func for callback in callbacks} == {tasks.enqueue_drains}
    assert set().union(*(callback.args[0] for callback in callbacks)) == {integration.pk, other.pk}
    # However many callbacks the transaction registered, one drain per integration goes out.
    assert tasks._claim_drain_slot(integration.pk, 5.0) == 0.5
    assert tasks._claim_drain_slot(integration.pk, 5.0) is None


def test_the_first_change_after_a_quiet_spell_drains_at_once_and_a_burst_waits_the_delay(
    db, make_integration
):
    integration = make_integration()
    slot = Integration.objects.filter(pk=integration.pk)
    now = timezone.now()

    assert tasks._claim_drain_slot(integration.pk, 1.0) == 0.1  # quiet: almost at once
    assert tasks._claim_drain_slot(integration.pk, 1.0) is None  # that drain takes this too
    slot.update(drain_due_at=now - timedelta(seconds=0.4))  # a drain went 0.4 s ago
    countdown = tasks._claim_drain_slot(integration.pk, 1.0)
    assert 0.5 <= countdown <= 0.6  # the next one second after it
    assert slot.get().drain_due_at == now + timedelta(seconds=0.6)
    assert tasks._claim_drain_slot(integration.pk, 1.0) is None
    slot.update(drain_due_at=now - timedelta(seconds=3))  # quiet again
    assert tasks._claim_drain_slot(integration.pk, 1.0) == 0.1


def test_cancelling_marks_links_again(shop_links, warehouse, make_document):
    _integration, products, links = shop_links
    document = make_document(Document.Kind.PZ, warehouse, [(products[2], 4)], approve=True)
    services.cancel(document, user=None)
    assert fresh(links[2]).version == 3


def test_integrations_fed_by_other_warehouses_are_not_marked(
    db, make_integration, make_links, make_product, make_warehouse, make_document
):
    main, other = make_warehouse("A"), make_warehouse("B")
    product = make_product()
    fed_by_main = make_integration(warehouses=[main])
    fed_by_other = make_integration(warehouses=[other])
    fed_by_all = make_integration()
    links = [make_links(i, [(product, 1)])[0] for i in (fed_by_main, fed_by_other, fed_by_all)]
    make_document(Document.Kind.PZ, main, [(product, 2)], approve=True)
    assert [fresh(link).dirty for link in links] == [True, False, True]


def test_shop_to_ledger_integrations_are_not_marked_but_disabled_ones_are(
    db, make_integration, make_links, make_product, warehouse, make_document
):
    product = make_product()
    pulling = make_integration(mode=Integration.Mode.PRESTASHOP_TO_LOCAL)
    disabled = make_integration(mode=Integration.Mode.DISABLED)
    pulled_link = make_links(pulling, [(product, 1)])[0]
    disabled_link = make_links(disabled, [(product, 1)])[0]
    make_document(Document.Kind.PZ, warehouse, [(product, 2)], approve=True)
    assert fresh(pulled_link).dirty is False
    assert fresh(disabled_link).dirty is True


def test_marking_keeps_broken_and_failing_states(shop_links):
    _integration, products, links = shop_links
    ProductLink.objects.filter(pk=links[0].pk).update(state=ProductLink.State.BROKEN)
    ProductLink.objects.filter(pk=links[1].pk).update(state=ProductLink.State.FAILING)
    outbox.mark([p.pk for p in products])
    states = [fresh(link).state for link in links]
    assert states == [ProductLink.State.BROKEN, ProductLink.State.FAILING, ProductLink.State.DIRTY]


def test_two_tokens_never_claim_the_same_link(shop_links):
    integration, products, links = shop_links
    outbox.mark([p.pk for p in products])
    first = outbox.claim(integration, limit=2, token="a")
    second = outbox.claim(integration, limit=10, token="b")
    assert len(first) == 2
    assert set(second) == {links[2].pk}
    assert outbox.claim(integration, limit=10, token="c") == {}


def test_a_redelivered_task_takes_its_own_claims_back(shop_links):
    integration, products, _links = shop_links
    outbox.mark([p.pk for p in products])
    first = outbox.claim(integration, limit=10, token="task-1")
    assert outbox.claim(integration, limit=10, token="task-1") == first


def test_claim_skips_broken_and_backing_off_links(shop_links):
    integration, products, links = shop_links
    outbox.mark([p.pk for p in products])
    ProductLink.objects.filter(pk=links[0].pk).update(state=ProductLink.State.BROKEN)
    ProductLink.objects.filter(pk=links[1].pk).update(
        next_attempt_at=timezone.now() + timedelta(minutes=5)
    )
    assert set(outbox.claim(integration, limit=10, token="t")) == {links[2].pk}


def test_explicit_claim_takes_clean_and_broken_links(shop_links):
    integration, _products, links = shop_links
    ProductLink.objects.filter(pk=links[0].pk).update(state=ProductLink.State.BROKEN)
    ids = [link.pk for link in links]
    assert outbox.claim(integration, limit=10, token="t", link_ids=ids) == dict.fromkeys(ids, 1)


def test_clear_only_clears_links_whose_version_did_not_move(shop_links):
    integration, products, links = shop_links
    outbox.mark([p.pk for p in products])
    claimed = outbox.claim(integration, limit=10, token="t")
    outbox.mark([products[0].pk])  # a newer change while the task was working
    assert outbox.clear_if_unchanged(claimed, token="t") == 2
    assert [fresh(link).dirty for link in links] == [True, False, False]
    assert fresh(links[0]).version == 3
    assert fresh(links[1]).state == ProductLink.State.OK


def test_release_frees_only_the_tokens_claims(shop_links):
    integration, products, links = shop_links
    outbox.mark([p.pk for p in products])
    outbox.claim(integration, limit=1, token="a")
    outbox.claim(integration, limit=1, token="b")
    assert outbox.release([link.pk for link in links], token="a") == 1
    assert ProductLink.objects.filter(claimed_by="b").count() == 1


def test_reaper_frees_claims_whose_lease_was_not_renewed(shop_links, settings):
    integration, products, links = shop_links
    settings.INVSYNC_LEASE_TIMEOUT = 60
    outbox.mark([p.pk for p in products])
    outbox.claim(integration, limit=10, token="gone")
    ProductLink.objects.filter(pk=links[0].pk).update(
        claimed_at=timezone.now() - timedelta(minutes=5)
    )
    assert outbox.reap_stale_claims() == 1
    assert fresh(links[0]).claimed_by == ""
    assert fresh(links[1]).claimed_by == "gone"


def test_pending_integrations_skip_halted_disabled_and_pulling_ones(
    db, make_integration, make_links, make_product
):
    product = make_product()
    wanted = make_integration()
    halted = make_integration(halted_at=timezone.now())
    disabled = make_integration(mode=Integration.Mode.DISABLED)
    for integration in (wanted, halted, disabled):
        make_links(integration, [(product, 1)], dirty=True)
    assert outbox.pending_integration_ids() == [wanted.pk]


@pytest.mark.django_db(transaction=True)
def test_a_broker_outage_at_approval_logs_one_line_and_keeps_the_marks(
    make_integration, make_links, make_product, warehouse, receive_stock, caplog
):
    from invsync.celery import app

    product = make_product()
    integration = make_integration(name="Sklep Główny", api_key="SECRETKEY" * 3)
    link = make_links(integration, [(product, 1)])[0]
    with broker_pointed_at(app, CLOSED_BROKER_URL), caplog.at_level(logging.WARNING):
        receive_stock(warehouse, {product: 3})

    [record] = caplog.records  # nothing else logged either (Celery, kombu, Django)
    line = record.getMessage()
    assert (record.levelname, record.exc_info, record.exc_text) == ("WARNING", None, None)
    assert "\n" not in line
    assert f"integration={integration.pk} (Sklep Główny)" in line
    assert "the broker failed: OperationalError: " in line
    assert line.endswith("Connection refused. Its marks are kept; the periodic drain syncs them.")
    assert "SECRETKEY" not in caplog.text
    assert "Traceback" not in caplog.text
    assert (fresh(link).dirty, Document.objects.get().status) == (True, Document.Status.APPROVED)
    assert outbox.pending_integration_ids() == [integration.pk]  # the periodic drain sends it


def test_broker_failure_is_one_line_with_the_class_and_no_credentials():
    error = ConnectionError("Cannot connect to\namqp://invsync:s3cret@rabbit:5672//: refused")

    assert tasks.broker_failure(error) == (
        "ConnectionError: Cannot connect to amqp://***@rabbit:5672//: refused"
    )


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_split_the_links_between_workers(
    make_integration, make_links, make_product
):
    integration = make_integration()
    products = [make_product() for _ in range(40)]
    make_links(integration, [(p, n) for n, p in enumerate(products, start=1)], dirty=True)
    barrier = threading.Barrier(4)
    claims = {}

    def claim(name):
        try:
            barrier.wait()
            claims[name] = outbox.claim(integration, limit=40, token=name)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    claimed = [pk for result in claims.values() for pk in result]
    assert len(claimed) == len(set(claimed)) == 40


def test_the_periodic_drain_sends_one_drain_per_integration_with_due_marks(
    shop_links, make_integration, make_links, settings
):
    from integrations.engine import periodic

    integration, products, links = shop_links
    idle = make_integration()
    make_links(idle, [(products[0], 9)])
    outbox.mark([products[0].pk], integration_ids=[integration.pk])
    outbox.claim(integration, limit=10, token="gone")
    settings.INVSYNC_LEASE_TIMEOUT = 60
    ProductLink.objects.filter(claimed_by="gone").update(
        claimed_at=timezone.now() - timedelta(minutes=2)
    )
    done = periodic.housekeeping()

    assert done.drain_ids == [integration.pk]
    assert done.reaped == 1
    assert fresh(links[0]).claimed_by == ""
