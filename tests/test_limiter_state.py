"""The limiter's durable state on Integration: the learned ceiling stored through the hook,
seeded back when Redis forgot it, shown in the admin and reset there; the concurrency in
force, automatic unless set."""

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse
from django.utils import timezone

from integrations import limiter_state
from integrations.models import Integration
from integrations.ratelimit import limiter_for, limits_of
from tests.fixtures.ratelimit import burst

pytestmark = [pytest.mark.django_db]

CHANGELIST = "admin:integrations_integration_changelist"


@pytest.fixture(params=["redis", "in-process"])
def limiter_backend(request, settings):
    """Each test runs with the Redis limiter and with the in-process one."""
    redis = request.param == "redis"
    settings.INVSYNC_REDIS_URL = request.getfixturevalue("redis_url") if redis else ""
    return request.param


def with_ceiling(integration: Integration, value: int | None) -> Integration:
    Integration.objects.filter(pk=integration.pk).update(
        rate_ceiling=value, rate_ceiling_at=timezone.now()
    )
    integration.refresh_from_db()
    return integration


def test_a_429_stores_the_learned_ceiling_on_the_integration(limiter_backend, make_integration):
    integration = make_integration(requests_per_minute=300, max_concurrent_requests=4)
    limiter = limiter_for(integration)
    assert burst(limiter, 1)[0].granted

    limiter.backoff(None)

    integration.refresh_from_db()
    assert integration.rate_ceiling == 270  # just under the pace that met the 429
    assert integration.rate_ceiling_at is not None


def test_a_limiter_with_no_state_of_its_own_starts_from_the_stored_ceiling(
    limiter_backend, make_integration
):
    integration = with_ceiling(make_integration(requests_per_minute=300), 120)

    status = limiter_for(integration, lane="live").status()

    assert (status.rate, status.ceiling) == (120, 120)


def test_the_hook_reads_the_row_the_task_loaded_first_and_the_database_after(
    make_integration, django_assert_num_queries
):
    integration = with_ceiling(make_integration(requests_per_minute=300), 120)
    hook = limiter_state.ceiling_hook(integration)
    with_ceiling(integration, 100)  # another worker learned more meanwhile

    with django_assert_num_queries(0):
        first = hook.load()
    with django_assert_num_queries(1):
        again = hook.load()

    assert (first.value, again.value) == (120, 100)


@pytest.mark.both_databases
def test_the_admin_action_resets_the_ceiling_in_the_database_and_the_limiter(
    limiter_backend, make_integration, admin_client
):
    integration = with_ceiling(make_integration(requests_per_minute=300), 120)
    assert limiter_for(integration).status().rate == 120

    response = admin_client.post(
        reverse(CHANGELIST),
        {"action": "reset_rate_ceiling", "_selected_action": [integration.pk]},
        follow=True,
    )

    integration.refresh_from_db()
    assert integration.rate_ceiling is None
    assert limiter_for(integration).status().rate == 300
    assert "Wyzerowano wyuczony pułap tempa integracji: 1." in response.content.decode()


@pytest.mark.both_databases
def test_without_the_change_permission_there_is_no_reset(limiter_backend, make_integration, client):
    integration = with_ceiling(make_integration(requests_per_minute=300), 120)
    user = User.objects.create_user("viewer", password="x", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename="view_integration"))
    client.force_login(user)

    page = client.get(reverse(CHANGELIST))
    client.post(
        reverse(CHANGELIST), {"action": "reset_rate_ceiling", "_selected_action": [integration.pk]}
    )

    integration.refresh_from_db()
    assert page.status_code == 200
    assert "reset_rate_ceiling" not in page.content.decode()
    assert integration.rate_ceiling == 120


@pytest.mark.both_databases
def test_the_page_shows_the_rate_ceiling_and_concurrency_in_force_in_polish(
    limiter_backend, make_integration, admin_client
):
    integration = make_integration(requests_per_minute=300, max_concurrent_requests=None)
    integration = with_ceiling(integration, 120)
    limiter_state.record_concurrency(integration, 6)

    page = admin_client.get(reverse("admin:integrations_integration_change", args=[integration.pk]))

    text = page.content.decode()
    assert "Obowiązujące tempo" in text
    assert "120 na minutę" in text
    assert "Wyuczony pułap tempa" in text
    assert "6 (automatycznie: zmierzone" in text


def test_concurrency_in_force_is_the_set_value_else_the_measured_else_the_default(
    make_integration, settings
):
    settings.INVSYNC_RATELIMIT_CONCURRENCY = 3
    set_by_hand = make_integration(max_concurrent_requests=5)
    automatic = make_integration(max_concurrent_requests=None)
    before = automatic.concurrency_in_force

    limiter_state.record_concurrency(automatic, 7)
    limiter_state.record_concurrency(set_by_hand, 7)

    assert before == 3
    assert Integration.objects.get(pk=automatic.pk).concurrency_in_force == 7
    assert Integration.objects.get(pk=set_by_hand.pk).concurrency_in_force == 5
    assert limits_of(automatic)().concurrent == 7


def test_a_new_integration_is_automatic_and_uses_the_default_until_measured(settings):
    integration = Integration.objects.create(
        name="Nowy", shop_url="https://shop.example/", api_key="K" * 32
    )

    assert integration.max_concurrent_requests is None
    assert integration.concurrency_in_force == settings.INVSYNC_RATELIMIT_CONCURRENCY == 4
