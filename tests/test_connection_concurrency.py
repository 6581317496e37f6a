"""The connection test measures how many requests the shop serves at once and stores it: the
concurrency in force for an integration left on automatic, shown on its admin page."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from integrations.engine.connection import check_connection
from integrations.models import Integration
from integrations.ratelimit import limits_of

pytestmark = pytest.mark.django_db

MEASURE_READS = 2 + 2 + 4 + 8  # measure_concurrency's reads for at most 8 at once
# The measurement times parallel reads against the simulator's capacity: on a loaded machine
# a round may look one slower than it was, so a capacity of 3 reads as 2 or 3, never more.
SERVED = (2, 3)


def stock_reads(handle) -> int:
    counts = handle.counters()["by_request"]
    return sum(n for key, n in counts.items() if key.startswith("GET stock_availables"))


@pytest.mark.both_databases
def test_the_connection_test_measures_what_the_shop_serves_and_uses_it(
    simulator_factory, make_integration
):
    shop = simulator_factory(capacity=3, read_latency=0.2)
    integration = make_integration(shop, max_concurrent_requests=None)

    check = check_connection(integration)

    stored = Integration.objects.get(pk=integration.pk)
    measured = stored.measured_concurrency
    assert check.ok
    assert measured in SERVED
    assert stored.concurrency_in_force == limits_of(stored)().concurrent == measured
    assert stock_reads(shop) >= MEASURE_READS
    assert (
        f"Sklep obsłużył naraz {measured} odczytów: synchronizacja wysyła do {measured} "
        "zapytań naraz (automatycznie)." in check.lines
    )


def test_a_value_set_by_hand_stays_in_force_and_the_measurement_is_kept_beside_it(
    simulator_factory, make_integration
):
    shop = simulator_factory(capacity=3, read_latency=0.2)
    integration = make_integration(shop, max_concurrent_requests=6)

    check = check_connection(integration)

    stored = Integration.objects.get(pk=integration.pk)
    measured = stored.measured_concurrency
    assert measured in SERVED
    assert stored.concurrency_in_force == 6
    assert (
        f"Sklep obsłużył naraz {measured} odczytów; obowiązuje nadal 6 ustawione dla tej "
        "integracji." in check.lines
    )


def test_a_failing_key_measures_nothing(simulator_factory, make_integration):
    shop = simulator_factory()
    integration = make_integration(shop, api_key=shop.read_only_key, max_concurrent_requests=None)

    check = check_connection(integration)

    assert not check.ok
    assert Integration.objects.get(pk=integration.pk).measured_concurrency is None


def test_the_admin_button_measures_and_the_page_shows_the_measured_value(
    admin_client, simulator_factory, make_integration
):
    shop = simulator_factory(capacity=3, read_latency=0.2)
    integration = make_integration(shop, max_concurrent_requests=None)
    change = reverse("admin:integrations_integration_change", args=[integration.pk])
    before = admin_client.get(change).content.decode()

    admin_client.post(
        reverse("admin:integrations_integration_test_connection", args=[integration.pk])
    )
    after = admin_client.get(change).content.decode()

    measured = Integration.objects.get(pk=integration.pk).measured_concurrency
    assert measured in SERVED
    assert "(automatycznie: jeszcze nie zmierzone" in before
    assert f"{measured} (automatycznie: zmierzone" in after


def test_the_command_measures_too(simulator_factory, make_integration):
    shop = simulator_factory(capacity=3, read_latency=0.2)
    integration = make_integration(shop, max_concurrent_requests=None)
    out = io.StringIO()

    call_command("test_connection", "--integration", str(integration.pk), stdout=out)

    measured = Integration.objects.get(pk=integration.pk).measured_concurrency
    assert measured in SERVED
    assert f"Sklep obsłużył naraz {measured} odczytów" in out.getvalue()
