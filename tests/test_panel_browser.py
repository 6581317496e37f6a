"""Every page an operator meets, in a real browser at 1366x768: nothing wider than the screen,
no English left on a Polish page, and a screenshot of each under var/screenshots/panel/.

One Chromium session walks all pages (the start page, every list and change page of the
integrations and warehouse apps, the add pages, the run page): a few seconds in all.
"""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from integrations.models import Integration, ProductLink, SyncChunk, SyncLogEntry, SyncRun
from tests.test_browser import chromium  # noqa: F401 (the browser fixture)
from warehouse.models import StockLevel, StockMovement

pytestmark = [
    pytest.mark.integration,
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
]

SCREEN = {"width": 1366, "height": 768}
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots" / "panel"
LONG_ERROR = (
    "Sklep odrzucił zapis stanu: HTTP 500, odpowiedź nie jest "
    "poprawnym XML-em (znacznik <prestashop> nie został zamknięty), spróbujemy ponownie "
    "za kilka minut; jeśli błąd się powtarza, sprawdź dziennik błędów PHP sklepu."
)
# The admin's own English, and the project's msgids, that must not show on a Polish page.
ENGLISH = (
    "Add",
    "Change",
    "Delete",
    "Save",
    "Search",
    "Home",
    "Log out",
    "View site",
    "History",
    "Select",
    "Action",
    "Go",
    "Yes",
    "No",
    "Unknown",
    "Today",
    "Show all",
    "Filter",
    "By",
    "Dashboard",
    "Run",
    "Sync",
    "sync",
    "stock",
    "Stock",
    "Integration",
    "integration",
    "Warehouse",
    "warehouse",
    "Document",
    "document",
    "Product",
    "product",
    "products",
    "Error",
    "error",
    "Failed",
    "failed",
    "Changed",
    "changed",
    "processed",
    "requests",
    "Requests",
    "chunks",
    "done",
    "running",
    "queued",
    "written",
    "of",
    "now",
    "none",
    "last",
    "Last",
    "Rows",
    "Differences",
    "Failures",
    "discrepancy",
    "discrepancies",
    "waiting",
)
# The page's width, the window's, the title, and every box that scrolls sideways inside the
# page (Django puts a changelist's table in one: a list too wide is cut there, not the page).
MEASURE = """() => {
  const boxes = [...document.querySelectorAll("body *")].filter((el) => {
    const overflow = getComputedStyle(el).overflowX;
    return (overflow === "auto" || overflow === "scroll") && el.scrollWidth > el.clientWidth + 1;
  }).map((el) => el.id || el.className || el.tagName);
  return [document.documentElement.scrollWidth, window.innerWidth, document.title, boxes];
}"""
ENGLISH_WORD = re.compile(r"\b(" + "|".join(re.escape(word) for word in ENGLISH) + r")\b")


@pytest.fixture
def panel_data(make_integration, make_product, make_links, warehouse, receive_stock):
    """A shop with links in every state, a finished run with chunks and log entries."""
    integration = make_integration(
        name="Sklep internetowy z długą nazwą",
        shop_url="https://sklep-internetowy-z-bardzo-dluga-nazwa.example.pl/sklep/",
    )
    make_integration(name="Sklep wyłączony", active=False)
    products = [
        make_product(name=f"Koszulka bawełniana z długim opisem, rozmiar {size}, kolor granatowy")
        for size in ("S", "M", "L", "XL")
    ]
    receive_stock(warehouse, dict.fromkeys(products, 12))
    links = make_links(integration, [(p, 100 + n) for n, p in enumerate(products)])
    ProductLink.objects.filter(pk=links[1].pk).update(state="broken", last_error=LONG_ERROR)
    ProductLink.objects.filter(pk=links[2].pk).update(
        state="dirty", dirty=True, dirty_since=timezone.now()
    )
    Integration.objects.filter(pk=integration.pk).update(
        last_error=LONG_ERROR, last_error_at=timezone.now()
    )
    now = timezone.now()
    run = SyncRun.objects.create(
        integration=integration,
        kind="full",
        trigger="admin",
        status="done_with_errors",
        total=3378,
        processed=3378,
        changed=1204,
        failed=1,
        chunks_total=2,
        chunks_done=2,
        requests=1250,
        started_at=now - timedelta(seconds=61),
        finished_at=now - timedelta(seconds=60),
    )
    for index in range(2):
        SyncChunk.objects.create(
            run=run,
            index=index,
            status="done" if index else "failed",
            processed=1689,
            changed=602,
            error="" if index else LONG_ERROR,
            started_at=now - timedelta(seconds=61),
            finished_at=now - timedelta(seconds=60),
        )
    for link in links:
        SyncLogEntry.objects.create(
            integration=integration,
            link=link,
            run=run,
            sku=link.product.sku,
            quantity_before=0,
            quantity_written=12,
            cause=f"przebieg synchronizacji #{run.pk}",
            outcome="failed" if link.pk == links[1].pk else "written",
            message=LONG_ERROR if link.pk == links[1].pk else "",
        )
    document = receive_stock(warehouse, {products[0]: 3})
    return {
        "integrations/integration": integration.pk,
        "integrations/productlink": links[1].pk,
        "integrations/syncrun": run.pk,
        "integrations/synclogentry": SyncLogEntry.objects.filter(outcome="failed").get().pk,
        "warehouse/document": document.pk,
        "warehouse/product": products[0].pk,
        "warehouse/warehouse": warehouse.pk,
        "warehouse/stocklevel": StockLevel.objects.first().pk,
        "warehouse/stockmovement": StockMovement.objects.first().pk,
    }


def pages(objects: dict) -> list[tuple[str, str]]:
    """(screenshot name, path) of every page the test opens."""
    found = [("start", "/admin/")]
    for model, pk in objects.items():
        name = model.replace("/", "-")
        found.append((f"{name}-list", f"/admin/{model}/"))
        found.append((f"{name}-change", f"/admin/{model}/{pk}/change/"))
    found += [
        ("integrations-integration-add", "/admin/integrations/integration/add/"),
        ("warehouse-document-add", "/admin/warehouse/document/add/"),
        ("warehouse-product-add", "/admin/warehouse/product/add/"),
    ]
    return found


def visit_all(page, base_url: str, paths: list[tuple[str, str]]) -> dict[str, dict]:
    """Log in once, then open each page: its widths, its English words, a screenshot."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{base_url}/admin/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "password")
    page.click("input[type=submit]")
    page.wait_for_selector("#pulpit")
    seen = {}
    for name, path in paths:
        response = page.goto(f"{base_url}{path}")
        widths = page.evaluate(MEASURE)
        text = page.inner_text("body")
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        seen[name] = {
            "status": response.status,
            "scroll_width": widths[0],
            "inner_width": widths[1],
            "title": widths[2],
            "scrolling_boxes": widths[3],
            "english": sorted(set(ENGLISH_WORD.findall(text))),
        }
    return seen


def test_every_panel_page_fits_1366_px_and_speaks_polish(
    live_server,
    admin_user,
    settings,
    panel_data,
    chromium,  # noqa: F811 (the fixture imported from test_browser)
):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    paths = pages(panel_data)

    with chromium(viewport=SCREEN) as page:
        seen = visit_all(page, live_server.url, paths)

    assert {name: info["status"] for name, info in seen.items()} == dict.fromkeys(
        (name for name, _path in paths), 200
    )
    too_wide = {
        name: (info["scroll_width"], info["inner_width"])
        for name, info in seen.items()
        if info["scroll_width"] > info["inner_width"]
    }
    assert too_wide == {}
    scrolling = {
        name: info["scrolling_boxes"] for name, info in seen.items() if info["scrolling_boxes"]
    }
    assert scrolling == {}
    english = {name: info["english"] for name, info in seen.items() if info["english"]}
    assert english == {}
    assert seen["start"]["title"].startswith("Pulpit")
    assert "| Zmień integrację |" in seen["integrations-integration-change"]["title"]
    assert seen["integrations-integration-list"]["title"].startswith("Wybierz integrację do zmiany")
    assert seen["integrations-integration-add"]["title"].startswith("Dodaj integrację")
    assert len(list(SCREENSHOTS.glob("*.png"))) >= len(paths)
