"""Product links (filters, last error, "sync selected") and the read-only sync log."""

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse
from django.utils import timezone

from integrations.engine import drain
from integrations.models import Integration, ProductLink, SyncLogEntry
from integrations.tasks import enqueue_drains

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]

LINKS = "admin:integrations_productlink_changelist"


@pytest.fixture
def links(make_integration, make_product, make_links):
    """Four links of one integration: in sync, waiting, failing (backing off) and broken."""
    integration = make_integration()
    products = [make_product(sku) for sku in ("OK-1", "DIRTY-1", "FAIL-1", "BROKEN-1")]
    made = make_links(integration, [(p, 50 + n) for n, p in enumerate(products)])
    ProductLink.objects.filter(pk=made[1].pk).update(state="dirty", dirty=True)
    ProductLink.objects.filter(pk=made[2].pk).update(
        state="failing",
        dirty=True,
        failed_attempts=3,
        last_error="HTTP 503 (FAIL-1)",
        next_attempt_at=timezone.now() + timezone.timedelta(hours=1),
    )
    ProductLink.objects.filter(pk=made[3].pk).update(
        state="broken", dirty=True, last_error="nie znaleziono produktu w sklepie"
    )
    return integration, made


def listed_skus(content: str) -> set[str]:
    return {sku for sku in ("OK-1", "DIRTY-1", "FAIL-1", "BROKEN-1") if f">{sku}<" in content}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"state__exact": "broken"}, {"BROKEN-1"}),
        ({"state__exact": "failing"}, {"FAIL-1"}),
        ({"dirty__exact": "1"}, {"DIRTY-1", "FAIL-1", "BROKEN-1"}),
        ({"attention": "yes"}, {"FAIL-1", "BROKEN-1"}),
    ],
)
def test_link_filters_show_the_links_in_that_state(admin_client, links, query, expected):
    content = admin_client.get(reverse(LINKS), query).content.decode()

    assert listed_skus(content) == expected


def test_link_list_shows_the_last_error_per_link(admin_client, links):
    content = admin_client.get(reverse(LINKS)).content.decode()

    assert "HTTP 503 (FAIL-1)" in content
    assert "nie znaleziono produktu w sklepie" in content


def test_sync_selected_marks_links_due_now_and_drains_after_commit(
    admin_client, links, django_capture_on_commit_callbacks
):
    integration, made = links
    chosen = [made[0].pk, made[2].pk, made[3].pk]

    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(
            reverse(LINKS), {"action": "sync_selected", "_selected_action": chosen}, follow=True
        )

    rows = {
        link.product.sku: (link.state, link.dirty, link.next_attempt_at)
        for link in ProductLink.objects.select_related("product")
    }
    assert "Powiązania skierowane do synchronizacji: 3" in response.content.decode()
    assert rows["OK-1"] == ("dirty", True, None)
    assert rows["FAIL-1"] == ("failing", True, None)  # due now, its error kept until it syncs
    assert rows["BROKEN-1"] == ("dirty", True, None)  # a drain takes it again
    assert [(c.func, c.args) for c in callbacks] == [(enqueue_drains, ({integration.pk},))]


def test_sync_selected_is_offered_only_with_the_run_sync_permission(client, links):
    user = User.objects.create_user("viewer", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_productlink"))
    client.force_login(user)

    content = client.get(reverse(LINKS)).content.decode()

    assert "Synchronizuj zaznaczone" not in content


def test_sync_selected_skips_links_of_an_integration_that_does_not_push(admin_client, links):
    integration, made = links
    Integration.objects.filter(pk=integration.pk).update(mode="prestashop_to_local")

    response = admin_client.post(
        reverse(LINKS), {"action": "sync_selected", "_selected_action": [made[0].pk]}, follow=True
    )

    assert "Pominięte powiązania: 1" in response.content.decode()
    assert not ProductLink.objects.get(pk=made[0].pk).dirty


def test_sync_selected_brings_a_drifted_shop_row_back_to_the_ledger(
    admin_client,
    shop,
    make_integration,
    make_product,
    warehouse,
    receive_stock,
    link_shop,
    django_capture_on_commit_callbacks,
):
    integration = make_integration(shop)
    product = make_product("DRIFT-1")
    receive_stock(warehouse, {product: 9})
    rows = link_shop(shop, integration, [product], quantity=1)
    link = ProductLink.objects.get(product=product)

    with django_capture_on_commit_callbacks():
        admin_client.post(
            reverse(LINKS), {"action": "sync_selected", "_selected_action": [link.pk]}
        )
    drain.drain(integration.pk)  # the drain task's body

    assert shop.quantity(rows[product.pk]) == 9
    assert SyncLogEntry.objects.get(link=link).outcome == "written"


def test_sync_log_is_read_only_and_searchable_by_sku(admin_client, links):
    integration, made = links
    SyncLogEntry.objects.create(
        integration=integration,
        link=made[0],
        sku="OK-1",
        quantity_before=1,
        quantity_written=4,
        outcome="written",
        cause="PZ/2026/01/0001",
    )
    SyncLogEntry.objects.create(
        integration=integration,
        link=made[3],
        sku="BROKEN-1",
        outcome="failed",
        message="nie znaleziono produktu w sklepie",
    )
    url = reverse("admin:integrations_synclogentry_changelist")

    found = admin_client.get(url, {"q": "OK-1"}).content.decode()
    failed = admin_client.get(url, {"outcome__exact": "failed"}).content.decode()
    add = admin_client.get(reverse("admin:integrations_synclogentry_add"))

    assert "PZ/2026/01/0001" in found
    assert "BROKEN-1" not in found
    assert "BROKEN-1" in failed
    assert "PZ/2026/01/0001" not in failed
    assert add.status_code == 403
