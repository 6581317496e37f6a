"""The discrepancy report: a read-only pass over the simulator, its admin page and its fix."""

import pytest
from django.urls import reverse

from integrations import tasks
from integrations.engine import drain, reports
from integrations.engine.discrepancies import find_discrepancies
from integrations.models import ProductLink, StockReport, SyncLogEntry
from integrations.tasks import enqueue_drains
from tests.fixtures.integrations import shop_reads, shop_writes

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]


@pytest.fixture
def drifted(shop, make_integration, make_product, warehouse, receive_stock, link_shop):
    """Ledger 5/7/4 for EQ/DIFF/GONE; the shop holds 5 for EQ, 2 for DIFF, and lost GONE."""
    integration = make_integration(shop, chunk_size=2)
    equal, differ, gone = (make_product(sku) for sku in ("EQ-1", "DIFF-1", "GONE-1"))
    receive_stock(warehouse, {equal: 5, differ: 7, gone: 4})
    rows = link_shop(shop, integration, [equal, differ, gone], quantity=5)
    shop.set_quantity(rows[differ.pk], 2)
    shop.delete_product(ProductLink.objects.get(product=gone).ps_product_id)
    shop.reset_counters()
    return integration, rows, (equal, differ, gone)


def test_report_lists_the_differing_product_and_the_one_missing_and_writes_nothing(shop, drifted):
    integration, rows, (_equal, differ, _gone) = drifted
    before = list(ProductLink.objects.order_by("pk").values())

    report = find_discrepancies(integration)

    assert report.checked == 3
    assert [(r.sku, r.name, r.ledger, r.shop, r.difference) for r in report.rows] == [
        ("DIFF-1", differ.name, 7, 2, -5)
    ]
    assert [(m.sku, m.reason) for m in report.missing] == [
        ("GONE-1", "nie znaleziono produktu w sklepie")
    ]
    assert shop_writes(shop) == 0
    assert shop_reads(shop) == report.requests == 2  # one bulk read per chunk of 2 links
    assert list(ProductLink.objects.order_by("pk").values()) == before
    assert SyncLogEntry.objects.count() == 0
    assert shop.quantity(rows[differ.pk]) == 2


def start_from_the_admin(admin_client, integration, capture) -> StockReport:
    """Press the report button; run what the enqueued task runs. Returns the report."""
    url = reverse("admin:integrations_integration_discrepancies", args=[integration.pk])
    with capture() as callbacks:
        response = admin_client.post(url)
    report = StockReport.objects.get(integration=integration)
    assert response.status_code == 302
    assert response.url == reverse("admin:integrations_stockreport_change", args=[report.pk])
    assert [(c.func, c.args) for c in callbacks] == [(tasks.send_report, (report.pk,))]
    assert report.status == StockReport.Status.QUEUED
    reports.run_report(report.pk)  # what discrepancy_report_task runs in the worker
    report.refresh_from_db()
    return report


def test_the_button_starts_a_background_report_whose_page_shows_the_findings(
    admin_client, shop, drifted, django_capture_on_commit_callbacks
):
    integration, _rows, (_equal, differ, _gone) = drifted

    report = start_from_the_admin(admin_client, integration, django_capture_on_commit_callbacks)
    content = admin_client.get(report_page(report)).content.decode()

    assert (report.status, report.total, report.checked) == ("done", 3, 3)
    assert (report.differing, report.missing, report.requests) == (1, 1, 2)
    assert "Sprawdzono produktów: 3" in content
    assert "Różnych: 1, brak w sklepie: 1. Niczego nie zapisano." in content
    assert f"<td>DIFF-1</td><td>{differ.name}</td><td>7</td><td>2</td><td>-5</td>" in content
    assert "<td>GONE-1</td>" in content
    assert 'id="fix-button"' in content
    assert shop_writes(shop) == 0


def report_page(report: StockReport) -> str:
    return reverse("admin:integrations_stockreport_change", args=[report.pk])


def test_a_queued_report_page_shows_its_progress_and_a_second_press_joins_it(
    admin_client, shop, drifted, django_capture_on_commit_callbacks
):
    integration, _rows, _products = drifted
    url = reverse("admin:integrations_integration_discrepancies", args=[integration.pk])
    with django_capture_on_commit_callbacks() as callbacks:
        first = admin_client.post(url)
        second = admin_client.post(url)
    report = StockReport.objects.get()
    progress = reverse("admin:integrations_stockreport_progress", args=[report.pk])

    content = admin_client.get(report_page(report)).content.decode()
    values = admin_client.get(progress).json()

    assert first.url == second.url == report_page(report)
    assert len(callbacks) == 1  # one task for the two presses
    assert 'id="report-progress-bar"' in content
    assert (values["status"], values["final"], values["total"], values["checked"]) == (
        "queued",
        False,
        "3",
        "0",
    )
    assert admin_client.get(url).url == report_page(report)  # GET: the latest report
    page = admin_client.get(
        reverse("admin:integrations_integration_change", args=[integration.pk])
    ).content.decode()
    assert f'<a href="{report_page(report)}">Raport nr {report.pk}</a>' in page
    assert 'id="report-button"' in page


def test_fix_button_syncs_just_the_differing_products(
    admin_client, shop, drifted, django_capture_on_commit_callbacks
):
    integration, rows, (equal, differ, _gone) = drifted
    link = ProductLink.objects.get(product=differ)
    url = reverse("admin:integrations_integration_fix_discrepancies", args=[integration.pk])

    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(url, {"link": [str(link.pk)]})

    link.refresh_from_db()
    assert response.status_code == 302
    assert link.dirty
    assert [(c.func, c.args) for c in callbacks] == [(enqueue_drains, ({integration.pk},))]
    assert not ProductLink.objects.get(product=equal).dirty
    drain.drain(integration.pk)  # what the enqueued drain task runs
    assert shop.quantity(rows[differ.pk]) == 7
    assert shop_writes(shop) == 1


def test_report_of_an_unreachable_shop_says_so_on_its_page(
    admin_client, make_integration, make_product, make_links, django_capture_on_commit_callbacks
):
    integration = make_integration()  # a closed local port
    make_links(integration, [(make_product(), 1)])

    report = start_from_the_admin(admin_client, integration, django_capture_on_commit_callbacks)
    content = admin_client.get(report_page(report)).content.decode()

    assert report.status == StockReport.Status.FAILED
    assert report.error.startswith("Sklep jest nieosiągalny")
    assert "Nie udało się odczytać sklepu:" in content
