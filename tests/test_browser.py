"""The operator's path in a real browser: log in, press "Synchronizuj stany", watch the run end.

Headless Chromium from Debian (/usr/bin/chromium) driven by Playwright, against the live
server, a real Celery worker process and the simulator; the live server and the worker share
the PostgreSQL test database.
"""

import contextlib
import os

import pytest

from integrations.models import SyncRun
from tests.services import require_service

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 90_000

pytestmark = [
    pytest.mark.integration,
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def chromium():
    """Open a page of headless Debian Chromium (skips, or fails in CI, when it is missing)."""
    require_service(
        os.access(CHROMIUM, os.X_OK),
        f"needs Debian's Chromium at {CHROMIUM} (apt-get install -y chromium)",
    )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require_service(False, "needs the playwright Python package (pip install playwright)")

    @contextlib.contextmanager
    def open_page(**options):
        """A page; options go to Playwright's new_page (e.g. viewport)."""
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(locale="pl-PL", **options)
                page.set_default_timeout(TIMEOUT_MS)
                yield page
            finally:
                browser.close()

    return open_page


@pytest.fixture
def stocked_shop(shop, make_integration, make_product, warehouse, receive_stock, link_shop):
    """An integration with 5 products in 3 chunks; the ledger holds 7 of each, the shop 0."""
    integration = make_integration(shop, name="Sklep testowy", chunk_size=2)
    products = [make_product() for _ in range(5)]
    receive_stock(warehouse, dict.fromkeys(products, 7))
    rows = link_shop(shop, integration, products, quantity=0)
    # Slow enough that the run page opens before the run ends: the page must follow it.
    shop.load.configure(read_latency=0.4, write_latency=0.4)
    return integration, [rows[p.pk] for p in products]


def press_sync_and_follow_the_run(page, base_url: str, integration_id: int) -> dict:
    """Log in, press the button, wait for the run page to show "done"; what the page said."""
    page.goto(f"{base_url}/admin/integrations/integration/{integration_id}/change/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "password")
    page.click("input[type=submit]")
    page.click("#sync-button")
    page.wait_for_selector("#run-progress-panel")
    seen = {
        "message": page.inner_text("ul.messagelist"),
        "opened_while_running": page.get_attribute("#run-progress-panel", "data-final") == "0",
    }
    page.wait_for_selector('#run-status[data-status="done"]')
    for name in ("status", "processed", "total", "changed"):
        seen[name] = page.inner_text(f"#run-{name}")
    seen["url"] = page.url
    screenshot = os.environ.get("INVSYNC_BROWSER_SCREENSHOT")
    if screenshot:
        page.screenshot(path=screenshot, full_page=True)
    return seen


def test_sync_button_starts_a_run_whose_page_follows_it_to_done(
    celery_worker_process, live_server, admin_user, settings, stocked_shop, shop, chromium
):
    # The test server speaks plain HTTP: cookies marked Secure would not come back.
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    integration, rows = stocked_shop

    # No ORM call inside: Playwright's sync API runs its own event loop in this thread.
    with chromium() as page:
        seen = press_sync_and_follow_the_run(page, live_server.url, integration.pk)

    run = SyncRun.objects.get()
    assert "Synchronizacja została uruchomiona w tle." in seen["message"]
    assert seen["opened_while_running"]  # so "done" came from the page's own polling
    assert (seen["status"], seen["processed"], seen["total"], seen["changed"]) == (
        "zakończony",
        "5",
        "5",
        "5",
    )
    assert seen["url"].endswith(f"/admin/integrations/syncrun/{run.pk}/change/")
    assert (run.status, run.trigger, run.triggered_by_id) == ("done", "admin", admin_user.pk)
    assert [shop.quantity(row) for row in rows] == [7] * 5
