"""Roles made by a migration, and the sections each one meets: warehouse staff keep to
documents, stock and syncs; the shop's admin also to settings, keys and schedules; the Celery
internals are for superusers, and the schedule kinds invsync never uses are shown to nobody."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]

STAFF, SHOP_ADMIN = "Magazyn", "Administrator sklepu"
TECHNICAL = ("Wyniki zadań Celery", "Wyniki zadań", "Interwały", "Harmonogramy cron")
UNUSED = ("Zdarzenia słoneczne", "Jednorazowe terminy")


@pytest.fixture
def member(client, django_user_model):
    """member(group name) -> a client logged in as a staff user of that group only."""

    def login(group: str):
        user = django_user_model.objects.create_user(f"u-{group}", password="x", is_staff=True)
        user.groups.add(Group.objects.get(name=group))
        client.force_login(user)
        return client

    return login


def permissions(group: str) -> set[str]:
    return {
        f"{app}.{codename}"
        for app, codename in Group.objects.get(name=group).permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


def test_the_migration_creates_both_groups_with_their_permissions():
    staff, shop_admin = permissions(STAFF), permissions(SHOP_ADMIN)

    assert {
        "warehouse.add_document",
        "warehouse.approve_document",
        "warehouse.view_stocklevel",
        "integrations.run_sync",
        "integrations.view_integration",
    } <= staff
    assert not {p for p in staff if p.startswith("django_celery")}
    assert "integrations.change_integration" not in staff  # the key is the shop admin's
    assert {
        "integrations.change_integration",
        "integrations.run_sync",
        "django_celery_beat.change_periodictask",
    } <= shop_admin
    assert "django_celery_results.view_taskresult" not in shop_admin


def test_warehouse_staff_see_documents_and_shops_but_no_keys_or_schedules(member, make_integration):
    integration = make_integration()
    client = member(STAFF)

    index = client.get("/admin/").content.decode()
    document_form = client.get(reverse("admin:warehouse_document_add"))
    integration_page = client.get(
        reverse("admin:integrations_integration_change", args=[integration.pk])
    )

    assert 'id="pulpit"' in index
    assert "Dokumenty" in index
    for hidden in ("Zadania okresowe", *TECHNICAL, *UNUSED):
        assert hidden not in index, hidden
    assert document_form.status_code == 200
    assert integration_page.status_code == 200
    assert 'name="api_key"' not in integration_page.content.decode()  # read-only view
    assert client.get(reverse("admin:integrations_integration_add")).status_code == 403
    assert (
        client.get(reverse("admin:django_celery_beat_periodictask_changelist")).status_code == 403
    )


def test_the_shop_admin_edits_shops_and_schedules_but_not_celery_internals(member):
    client = member(SHOP_ADMIN)

    index = client.get("/admin/").content.decode()

    assert "Zadania okresowe" in index
    for hidden in (*TECHNICAL, *UNUSED):
        assert hidden not in index, hidden
    assert client.get(reverse("admin:integrations_integration_add")).status_code == 200
    assert (
        client.get(reverse("admin:django_celery_beat_periodictask_changelist")).status_code == 200
    )
    for name in (
        "django_celery_results_taskresult_changelist",
        "django_celery_beat_intervalschedule_changelist",
        "django_celery_beat_crontabschedule_changelist",
    ):
        assert client.get(reverse(f"admin:{name}")).status_code == 403, name


def test_superusers_see_the_internals_but_no_unused_schedule_kinds(admin_client):
    index = admin_client.get("/admin/").content.decode()
    task_form = admin_client.get(reverse("admin:django_celery_beat_periodictask_add"))

    for shown in TECHNICAL:
        assert shown in index, shown
    for hidden in UNUSED:
        assert hidden not in index, hidden
    assert task_form.status_code == 200
    assert 'name="solar"' not in task_form.content.decode()
    assert 'name="clocked"' not in task_form.content.decode()
    assert 'name="interval"' in task_form.content.decode()
