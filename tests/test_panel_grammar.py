"""Polish the admin cannot make by itself: the accusative in titles and buttons, a count's plural
form, Django's messages without "(-ną)(-ny)", numbers written as Poles write them."""

import html
import re

import pytest
from django.contrib import admin
from django.urls import reverse

from invsync import grammar
from warehouse.models import Warehouse

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]


def text_of(response) -> str:
    """The page's text: tags dropped (inline links join their words), entities decoded."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", response.content.decode())).split())


def test_every_model_in_the_admin_has_its_accusative_and_its_counted_forms():
    registered = {model._meta.label_lower for model in admin.site._registry}

    assert registered - set(grammar.ACCUSATIVE) == set()
    assert registered - set(grammar.COUNTED) == set()


def test_titles_buttons_and_breadcrumbs_name_the_integration_in_the_accusative(
    admin_client, make_integration
):
    integration = make_integration(name="Sklep A")

    listing = text_of(admin_client.get(reverse("admin:integrations_integration_changelist")))
    adding = text_of(admin_client.get(reverse("admin:integrations_integration_add")))
    changing = text_of(
        admin_client.get(reverse("admin:integrations_integration_change", args=[integration.pk]))
    )
    deleting = text_of(
        admin_client.get(reverse("admin:integrations_integration_delete", args=[integration.pk]))
    )

    assert "Wybierz integrację do zmiany" in listing
    assert "Dodaj integrację" in listing  # the button
    assert "Dodaj integrację | Panel invsync" in adding  # the window title
    assert "Integracje \u203a Dodaj integrację" in adding  # the breadcrumbs
    assert "Zmień integrację" in changing
    assert "Czy na pewno usunąć integrację „Sklep A”?" in deleting
    for page in (listing, adding, changing, deleting):
        assert "integracja do" not in page
        assert not re.search(r"(Dodaj|Zmień|Wybierz|usunąć) integracja\b", page)


def test_the_read_only_pages_name_their_model_in_the_accusative(admin_client):
    page = text_of(admin_client.get(reverse("admin:integrations_syncrun_changelist")))

    assert "Wybierz przebieg synchronizacji do obejrzenia" in page


def test_a_count_takes_the_plural_form_its_number_needs(admin_client, make_integration):
    for _ in range(5):
        make_integration()

    page = text_of(admin_client.get(reverse("admin:integrations_integration_changelist")))

    assert "5 integracji" in page
    assert "5 integracje" not in page


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (1, "1 magazyn"),
        (3, "3 magazyny"),
        (5, "5 magazynów"),
        (22, "22 magazyny"),
        (3378, "3 378 magazynów"),
    ],
)
def test_counted_forms_follow_polish_plural_rules(count, expected):
    assert grammar.counted(Warehouse._meta, count).replace("\xa0", " ") == expected


def test_django_messages_after_saving_are_phrased_for_any_gender(admin_client):
    response = admin_client.post(
        reverse("admin:warehouse_warehouse_add"), {"code": "MAG9", "name": "Zapas"}, follow=True
    )

    page = text_of(response)

    assert "Dodano: magazyn „MAG9 Zapas”." in page
    assert "Usuń zaznaczone: magazyny" in page  # the action
    assert not re.search(r"\((a|-\w+)\)", page)  # no "został(a)", "wybrane(-nych)"


def test_numbers_in_lists_are_grouped_as_in_polish(admin_client, make_integration):
    from integrations.models import SyncRun

    SyncRun.objects.create(
        integration=make_integration(), kind="full", trigger="admin", total=3378, processed=3378
    )

    page = admin_client.get(reverse("admin:integrations_syncrun_changelist")).content.decode()

    assert "3\xa0378 / 3\xa0378" in page


def test_the_run_page_and_its_json_write_numbers_the_polish_way(admin_client, make_integration):
    from datetime import timedelta

    from django.utils import timezone

    from integrations.models import SyncRun

    now = timezone.now()
    run = SyncRun.objects.create(
        integration=make_integration(),
        kind="full",
        trigger="admin",
        status="done",
        total=6756,
        processed=6756,
        requests=1250,
        started_at=now - timedelta(seconds=2),
        finished_at=now,
    )

    page = admin_client.get(reverse("admin:integrations_syncrun_change", args=[run.pk]))
    data = admin_client.get(reverse("admin:integrations_syncrun_progress", args=[run.pk])).json()

    text = page.content.decode()
    assert '<span id="run-processed">6\xa0756</span>' in text
    assert "3\xa0378,0 produktów/s" in text
    assert "<dt>Przetworzone</dt>" in text  # labels capitalised as the admin's own
    assert data["processed"] == 6756  # numbers stay numbers for programs
    assert (data["display"]["processed"], data["display"]["requests"]) == ("6\xa0756", "1\xa0250")
    assert data["rate_label"] == "3\xa0378,0 produktów/s"
