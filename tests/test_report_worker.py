"""The discrepancy report as a background task (issue 15): started by the command or the
admin's button, run by a real Celery worker against the simulator over HTTP, stored with its
progress and findings; the command waits and prints it, or returns at once with --no-wait."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from integrations.models import ProductLink, StockReport, SyncLogEntry, SyncRun
from tests.fixtures.integrations import shop_reads, shop_writes

pytestmark = [
    pytest.mark.integration,
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
]


def dry_run(integration, *options) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "sync_inventory",
        "--dry-run",
        "--integration",
        str(integration.pk),
        "--poll-interval",
        "0.1",
        "--timeout",
        "60",
        *options,
        stdout=out,
        stderr=err,
    )
    return out.getvalue(), err.getvalue()


@pytest.fixture
def drifted(shop, make_integration, make_product, warehouse, receive_stock, link_shop):
    """Five linked products in chunks of 2: DIFF-1 differs (ledger 8, shop 3), GONE-1 is gone."""
    integration = make_integration(shop, name="Sklep", chunk_size=2)
    products = [make_product(f"EQ-{n}") for n in range(3)]
    differ, gone = make_product("DIFF-1", name="Kubek"), make_product("GONE-1")
    receive_stock(warehouse, {**dict.fromkeys(products, 3), differ: 8, gone: 3})
    rows = link_shop(shop, integration, [*products, differ, gone], quantity=3)
    shop.delete_product(ProductLink.objects.get(product=gone).ps_product_id)
    shop.reset_counters()
    return integration, rows


def test_the_command_starts_the_report_on_a_worker_waits_and_prints_it(
    celery_worker_process, shop, drifted
):
    integration, _rows = drifted
    links_before = list(ProductLink.objects.order_by("pk").values())

    out, err = dry_run(integration)

    report = StockReport.objects.get()
    assert (report.status, report.trigger, report.total, report.checked) == (
        "done",
        "command",
        5,
        5,
    )
    assert (report.differing, report.missing, report.requests) == (1, 1, 3)  # 3 chunks, 3 reads
    assert [(r["sku"], r["ledger"], r["shop"], r["difference"]) for r in report.rows] == [
        ("DIFF-1", 8, 3, -5)
    ]
    assert [m["sku"] for m in report.missing_rows] == ["GONE-1"]
    assert f"raport rozbieżności nr {report.pk}" in out
    assert "Sklep: sprawdzono produktów: 5 (zapytań: 3), różnych: 1, brak w sklepie: 1." in out
    assert any(line.split()[-3:] == ["8", "3", "-5"] for line in out.splitlines())
    assert f"Raport nr {report.pk}: zakończony, sprawdzono 5 z 5." in err
    assert (shop_writes(shop), shop_reads(shop)) == (0, 3)
    assert list(ProductLink.objects.order_by("pk").values()) == links_before
    assert SyncLogEntry.objects.count() == SyncRun.objects.count() == 0


def test_no_wait_returns_at_once_and_the_worker_finishes_the_report_its_page_shows(
    celery_worker_process, shop, drifted, admin_client
):
    integration, _rows = drifted

    out, _err = dry_run(integration, "--no-wait")
    report = StockReport.objects.get()
    celery_worker_process.wait_for(
        lambda: StockReport.objects.get(pk=report.pk).status == StockReport.Status.DONE
    )
    page = reverse("admin:integrations_stockreport_change", args=[report.pk])
    content = admin_client.get(page).content.decode()

    assert f"nr {report.pk}" in out
    assert "Różnych: 1, brak w sklepie: 1. Niczego nie zapisano." in content
    assert "<td>DIFF-1</td><td>Kubek</td><td>8</td><td>3</td><td>-5</td>" in content
    assert shop_writes(shop) == 0


def test_the_admin_button_runs_the_report_on_the_worker(
    celery_worker_process, shop, drifted, admin_client
):
    integration, _rows = drifted
    url = reverse("admin:integrations_integration_discrepancies", args=[integration.pk])

    response = admin_client.post(url)
    report = StockReport.objects.get()
    celery_worker_process.wait_for(lambda: not StockReport.objects.get(pk=report.pk).is_active)
    progress = reverse("admin:integrations_stockreport_progress", args=[report.pk])

    assert response.url == reverse("admin:integrations_stockreport_change", args=[report.pk])
    assert admin_client.get(progress).json() | {"status_label": ""} == {
        "status": "done",
        "status_label": "",
        "final": True,
        "percent": 100,
        "checked": "5",
        "total": "5",
        "differing": "1",
        "missing": "1",
        "requests": "3",
    }


def test_a_report_the_shop_cannot_answer_fails_the_command_with_the_polish_reason(
    celery_worker_process, make_integration, make_product, make_links
):
    integration = make_integration(name="Sklep")  # a closed local port
    make_links(integration, [(make_product(), 11)])

    with pytest.raises(CommandError) as raised:
        dry_run(integration)

    report = StockReport.objects.get()
    assert report.status == StockReport.Status.FAILED
    assert str(raised.value).startswith(
        "Sklep: nie udało się odczytać sklepu. Sklep jest nieosiągalny: nie działa albo adres "
        "lub sieć są nieprawidłowe. Szczegóły: GET /api/stock_availables: cannot connect"
    )
