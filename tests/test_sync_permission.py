"""Every path in the admin that makes the shop write needs the sync permission (run_sync).

Without it nothing is enqueued on the request: a re-pointed link is saved and waits, marked,
for the next sync. The sync button (test_admin_integration) and the retry of failed tasks
(test_operator_failed_tasks) are refused the same way; commands are run by operators with
shell access.
"""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from integrations.models import ProductLink
from integrations.tasks import enqueue_drains

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]

LINK_EDITOR = ("view_productlink", "change_productlink", "add_productlink")


@pytest.fixture
def link(make_integration, make_product, make_links):
    """A link in sync with shop row 10 (stock row 501), and a second product to link."""
    integration = make_integration()
    made = make_links(integration, [(make_product("REPOINT-1"), 10)])[0]
    ProductLink.objects.filter(pk=made.pk).update(ps_stock_id=501)
    return ProductLink.objects.get(pk=made.pk)


def repoint(client, link, *, ps_product_id):
    url = reverse("admin:integrations_productlink_change", args=[link.pk])
    data = {
        "integration": link.integration_id,
        "product": link.product_id,
        "ps_product_id": ps_product_id,
        "ps_combination_id": 0,
    }
    return client.post(url, data)


def fresh(link) -> ProductLink:
    return ProductLink.objects.get(pk=link.pk)


def test_a_repointed_link_without_the_permission_is_saved_and_waits_for_the_next_sync(
    staff_client, link, django_capture_on_commit_callbacks
):
    client = staff_client(*LINK_EDITOR)
    backing_off = timezone.now() + timezone.timedelta(minutes=30)
    ProductLink.objects.filter(pk=link.pk).update(next_attempt_at=backing_off)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = repoint(client, link, ps_product_id=11)

    saved = fresh(link)
    assert response.status_code == 302
    assert callbacks == []  # no drain enqueued: the shop is not written now
    assert (saved.ps_product_id, saved.ps_stock_id) == (11, None)
    assert (saved.state, saved.dirty, saved.version) == ("dirty", True, link.version + 1)
    assert saved.next_attempt_at == backing_off  # an operator's "now" it is not
    assert any(
        "nie masz uprawnienia do uruchamiania synchronizacji" in str(message)
        for message in get_messages(response.wsgi_request)
    )


def test_a_repointed_link_with_the_permission_is_synced_at_once(
    staff_client, link, django_capture_on_commit_callbacks
):
    client = staff_client(*LINK_EDITOR, "run_sync")

    with django_capture_on_commit_callbacks() as callbacks:
        repoint(client, link, ps_product_id=11)

    saved = fresh(link)
    assert (saved.ps_product_id, saved.ps_stock_id, saved.dirty) == (11, None, True)
    assert [(c.func, c.args) for c in callbacks] == [(enqueue_drains, ({link.integration_id},))]


def test_a_link_saved_unchanged_without_the_permission_is_not_marked(
    staff_client, link, django_capture_on_commit_callbacks
):
    client = staff_client(*LINK_EDITOR)

    with django_capture_on_commit_callbacks() as callbacks:
        repoint(client, link, ps_product_id=10)

    assert callbacks == []
    assert (fresh(link).dirty, fresh(link).ps_stock_id) == (False, 501)


def test_a_new_link_without_the_permission_waits_for_the_next_sync(
    staff_client, link, make_product, django_capture_on_commit_callbacks
):
    client = staff_client(*LINK_EDITOR)
    product = make_product("NEW-1")
    data = {
        "integration": link.integration_id,
        "product": product.pk,
        "ps_product_id": 12,
        "ps_combination_id": 0,
    }

    with django_capture_on_commit_callbacks() as callbacks:
        client.post(reverse("admin:integrations_productlink_add"), data)

    assert callbacks == []
    assert ProductLink.objects.get(product=product).dirty is True


def test_sync_selected_posted_without_the_permission_does_nothing(
    staff_client, link, django_capture_on_commit_callbacks
):
    client = staff_client(*LINK_EDITOR)

    with django_capture_on_commit_callbacks() as callbacks:
        client.post(
            reverse("admin:integrations_productlink_changelist"),
            {"action": "sync_selected", "_selected_action": [link.pk]},
        )

    assert callbacks == []
    assert fresh(link).dirty is False


def test_fixing_discrepancies_without_the_permission_is_refused(
    staff_client, link, django_capture_on_commit_callbacks
):
    client = staff_client("view_integration", "change_integration", *LINK_EDITOR)
    url = reverse("admin:integrations_integration_fix_discrepancies", args=[link.integration_id])

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(url, {"link": [str(link.pk)]})

    assert response.status_code == 403
    assert callbacks == []
    assert fresh(link).dirty is False
