"""The start page ("Pulpit"): a tile per shop with its state in words, and the activity charts,
checked against a history the test writes (links, runs, chunks, log entries at known times)."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.models import Integration, ProductLink, SyncChunk, SyncLogEntry, SyncRun

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]

HALT_REASON = "Sklep odrzucił klucz API: sprawdź klucz w integracji."


def at(entry_or_queryset, moment):
    """Move rows' auto_now_add time into the past (the history the test builds)."""
    model = entry_or_queryset.model if hasattr(entry_or_queryset, "model") else None
    rows = (
        entry_or_queryset
        if model
        else type(entry_or_queryset).objects.filter(pk=entry_or_queryset.pk)
    )
    rows.update(created_at=moment)


def log(integration, outcome, *, when, before=None, written=None, message="", sku="SKU"):
    entry = SyncLogEntry.objects.create(
        integration=integration,
        sku=sku,
        outcome=outcome,
        quantity_before=before,
        quantity_written=written,
        message=message,
    )
    at(entry, when)
    return entry


def full_run(integration, *, started, finished, requests, changed=0, total=3, status="done"):
    run = SyncRun.objects.create(
        integration=integration,
        kind="full",
        trigger="admin",
        status=status,
        total=total,
        processed=total if finished else 0,
        changed=changed,
        requests=requests,
        started_at=started,
        finished_at=finished,
    )
    SyncRun.objects.filter(pk=run.pk).update(created_at=started)
    return run


@pytest.fixture
def history(make_integration, make_product, make_links):
    """Five shops: in sync, waiting, stopped, disabled, with discrepancies; a known history."""
    now = timezone.now()
    ok = make_integration(name="A zgodny", requests_per_minute=100)
    waiting = make_integration(name="B czeka", requests_per_minute=100)
    halted = make_integration(name="C zatrzymany")
    disabled = make_integration(name="D wyłączony", active=False)
    broken = make_integration(name="E rozbieżny")
    Integration.objects.filter(pk=halted.pk).update(
        halted_at=now - timedelta(minutes=20),
        last_error=HALT_REASON,
        last_error_at=now - timedelta(minutes=20),
    )
    make_links(ok, [(make_product(), n) for n in range(1, 4)])
    make_links(waiting, [(make_product(), n) for n in range(1, 5)])
    # 4.5 minutes ago shows as "5 min" (durations round up) for the test's next 30 seconds.
    ProductLink.objects.filter(integration=waiting, ps_product_id__in=[1, 2]).update(
        dirty=True, state="dirty", dirty_since=now - timedelta(minutes=4, seconds=30)
    )
    ProductLink.objects.filter(integration=waiting, ps_product_id=2).update(
        dirty_since=now - timedelta(minutes=2)
    )
    make_links(broken, [(make_product(), n) for n in range(1, 3)])
    ProductLink.objects.filter(integration=broken, ps_product_id=1).update(state="broken")

    # A full sync 40 to 30 minutes ago: 600 requests, 10% of an hour at 100 a minute.
    last = full_run(
        ok,
        started=now - timedelta(minutes=40),
        finished=now - timedelta(minutes=30),
        requests=600,
        changed=2,
    )
    full_run(  # ten days ago: counts in the month only
        ok,
        started=now - timedelta(days=10, minutes=10),
        finished=now - timedelta(days=10),
        requests=100,
    )
    # The last 24 hours: 2 writes and a failed write (3 differences), a missing row.
    log(ok, "written", when=now - timedelta(minutes=35), before=1, written=5)
    log(ok, "written", when=now - timedelta(hours=2), before=0, written=3)
    log(broken, "failed", when=now - timedelta(hours=3), before=4, written=2, message="HTTP 500")
    log(
        broken, "failed", when=now - timedelta(hours=1), message="Brak wiersza w sklepie", sku="X-1"
    )
    # Earlier this month: 3 writes; and one older than 30 days, which no chart shows.
    for days in (3, 3, 12):
        log(ok, "written", when=now - timedelta(days=days), before=2, written=4)
    log(ok, "written", when=now - timedelta(days=40), before=2, written=4)
    # A chunk of the stopped shop gave up on 2 products 5 days ago.
    run = full_run(
        halted,
        started=now - timedelta(days=5, minutes=1),
        finished=now - timedelta(days=5),
        requests=0,
        status="failed",
    )
    SyncChunk.objects.create(
        run=run,
        index=0,
        status="failed",
        failed=2,
        error="Sklep nie odpowiedział na czas.",
        finished_at=now - timedelta(days=5),
    )
    return {
        "ok": ok,
        "waiting": waiting,
        "halted": halted,
        "disabled": disabled,
        "broken": broken,
        "last": last,
    }


def tile_text(page: str, integration) -> str:
    """The tile's text, tags stripped and spaces folded."""
    match = re.search(rf'<section[^>]*id="tile-{integration.pk}".*?</section>', page, re.S)
    assert match, f"no tile for {integration.name}"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(0)).split())


def test_each_shop_tile_says_its_state_in_words(admin_client, history):
    response = admin_client.get("/admin/")
    page = response.content.decode()

    states = {
        tile["tile"].integration.name: tile["tile"].state for tile in response.context["tiles"]
    }
    assert states == {
        "A zgodny": "ok",
        "B czeka": "pending",
        "C zatrzymany": "halted",
        "D wyłączony": "disabled",
        "E rozbieżny": "differences",
    }
    assert "<title>Pulpit" in page
    assert "zgodny" in tile_text(page, history["ok"])
    assert "oczekują 2 zmiany, najstarsza sprzed 5 min" in tile_text(page, history["waiting"])
    assert f"zatrzymany: {HALT_REASON}" in tile_text(page, history["halted"])
    assert "wyłączony" in tile_text(page, history["disabled"])
    assert "1 rozbieżność" in tile_text(page, history["broken"])


def test_a_tile_shows_the_last_full_sync_the_last_failure_and_the_limit_in_use(
    admin_client, history
):
    response = admin_client.get("/admin/")
    page = response.content.decode()
    tiles = {tile["tile"].integration.pk: tile for tile in response.context["tiles"]}

    ok = tiles[history["ok"].pk]
    assert ok["tile"].last_run == history["last"]
    assert ok["last_run_url"] == f"/admin/integrations/syncrun/{history['last'].pk}/change/"
    assert ok["tile"].limit_share == 10
    assert "10% z 100 na minutę (ostatnia godzina)" in tile_text(page, history["ok"])
    assert "zakończony (zmienione produkty: 2 z 3)" in tile_text(page, history["ok"])
    assert "Ostatni błąd: brak" in tile_text(page, history["ok"])
    # The newest of a failed write (1 h ago) and a missing row (3 h ago).
    assert tiles[history["broken"].pk]["tile"].last_failure.reason == (
        "X-1: Brak wiersza w sklepie"
    )
    # The stop (20 min ago) is newer than the failed chunk (5 days ago).
    assert tiles[history["halted"].pk]["tile"].last_failure.reason == HALT_REASON
    assert "Ostatnia pełna synchronizacja: jeszcze żadnej" in tile_text(page, history["waiting"])
    for label in ("Synchronizuj stany", "Testuj połączenie", "Raport rozbieżności"):
        assert label in tile_text(page, history["ok"])


def test_the_charts_count_the_last_day_and_the_last_month(admin_client, history):
    page = admin_client.get("/admin/").content.decode()

    totals = {
        (row, series): int(total)
        for row, block in re.findall(r'id="charts-(\w+)"(.*?)</div>', page, re.S)
        for series, total in re.findall(r'data-series="(\w+)" data-total="(\d+)"', block)
    }
    assert totals == {
        ("day", "written"): 2,
        ("day", "differences"): 3,
        ("day", "failures"): 2,
        ("day", "requests"): 600,
        ("month", "written"): 5,
        ("month", "differences"): 6,
        ("month", "failures"): 4,  # and the failed chunk's 2 products
        ("month", "requests"): 700,
    }
    assert page.count('<svg class="chart"') == 8
    assert "<script" not in page.split('id="pulpit"', 1)[1].split('id="pulpit-sections"')[0]


def test_the_page_reloads_itself_only_while_a_full_sync_runs(admin_client, history):
    assert 'http-equiv="refresh"' not in admin_client.get("/admin/").content.decode()

    full_run(
        history["waiting"],
        started=timezone.now() - timedelta(minutes=2),
        finished=None,
        requests=120,
        status="running",
    )
    response = admin_client.get("/admin/")
    tile = next(t for t in response.context["tiles"] if t["tile"].integration == history["waiting"])

    assert '<meta http-equiv="refresh" content="10">' in response.content.decode()
    assert tile["tile"].active_run is not None
    assert (tile["tile"].limit_share, tile["tile"].limit_basis) == (60, "teraz")


def test_a_user_who_sees_no_shop_gets_the_plain_index(client, django_user_model, history):
    clerk = django_user_model.objects.create_user("clerk", password="x", is_staff=True)
    client.force_login(clerk)

    response = client.get("/admin/")

    assert response.status_code == 200
    assert "tiles" not in response.context
    assert 'id="pulpit"' not in response.content.decode()


def test_the_start_page_costs_the_same_queries_for_more_shops_and_history(
    admin_client, history, make_integration, make_product, make_links
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    admin_client.get("/admin/")  # warm the session and permission caches alike
    with CaptureQueriesContext(connection) as before:
        admin_client.get("/admin/")
    for number in range(3):
        more = make_integration(name=f"F{number}")
        make_links(more, [(make_product(), n) for n in range(1, 4)], dirty=True)
        full_run(
            more,
            started=timezone.now() - timedelta(hours=2),
            finished=timezone.now() - timedelta(hours=1),
            requests=10,
        )
        log(more, "failed", when=timezone.now(), message="HTTP 500")
    with CaptureQueriesContext(connection) as after:
        response = admin_client.get("/admin/")

    assert len(response.context["tiles"]) == 8
    assert len(after.captured_queries) == len(before.captured_queries)


def hold(warehouse, lines: dict, *, order_id: int) -> None:
    from warehouse import reservations

    reservations.hold(
        channel="integration:1",
        order_id=order_id,
        warehouse=warehouse,
        lines={product.pk: quantity for product, quantity in lines.items()},
        reference=f"REF{order_id}",
        channel_name="Sklep",
    )


def test_reservations_above_the_balance_raise_a_warning_naming_the_product(
    admin_client, history, warehouse, make_product, receive_stock
):
    over, fine = make_product("MUG-OVER"), make_product("MUG-FINE")
    receive_stock(warehouse, {over: 1, fine: 5})
    hold(warehouse, {over: 2, fine: 5}, order_id=1)
    hold(warehouse, {over: 1}, order_id=2)

    page = admin_client.get("/admin/").content.decode()

    warning = page[page.index('id="overbooked"') :]
    warning = warning[: warning.index("</div>")]
    assert "Otwarte rezerwacje przekraczają stan" in warning
    assert "MUG-OVER</a> @ MAG: zarezerwowano 3, stan 1" in warning
    assert "reservation/?status__exact=open&amp;q=MUG-OVER" in warning
    assert "MUG-FINE" not in warning  # reserved = balance is no warning


def test_without_reservations_above_the_balance_there_is_no_warning(
    admin_client, history, warehouse, make_product, receive_stock
):
    mug = make_product("MUG")
    receive_stock(warehouse, {mug: 2})
    hold(warehouse, {mug: 2}, order_id=1)

    page = admin_client.get("/admin/").content.decode()

    assert 'id="overbooked"' not in page
