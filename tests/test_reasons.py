"""Shop failures in the operator's words: a Polish sentence by category, then the details."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from integrations.engine import drain, runs
from integrations.engine.discrepancies import find_discrepancies
from integrations.engine.recording import record_abort
from integrations.models import ProductLink, SyncLogEntry
from integrations.prestashop import (
    PrestaShopError,
    RateLimited,
    ShopConfigError,
    ShopPermanentError,
    ShopTemporaryError,
    StockRowNotFound,
    UnexpectedResponse,
    WriteNotApplied,
)
from integrations.ratelimit import LimiterTimeout
from integrations.reasons import DescribedFailure, describe_failure, details, failure_lines

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]

KEY = "ABCDEFGHIJKLMNOPQRSTUVWXYZ123456"
WHAT = "GET /api/stock_availables"

CATEGORIES = [
    (
        ShopConfigError(f"{WHAT}: the API key is unknown (HTTP 401, code 20)", status=401),
        "Sklep odrzucił klucz API: jest błędny, wyłączony albo nie ma uprawnień.",
    ),
    (
        ShopConfigError(f"{WHAT}: method not allowed (HTTP 405, code 25)", status=405),
        "Sklep odmówił dostępu: kluczowi brakuje uprawnienia albo blokuje go zapora.",
    ),
    (
        ShopConfigError(f"{WHAT}: the webservice is disabled (HTTP 503, code 22)", status=503),
        "Webservice jest wyłączony w panelu sklepu (Parametry zaawansowane → Webservice).",
    ),
    (
        ShopConfigError(f"{WHAT}: no webservice at this address (HTTP 404)", status=404),
        "Pod tym adresem nie ma webservice'u: sprawdź adres sklepu.",
    ),
    (
        ShopConfigError(f"{WHAT}: the shop redirects its webservice (HTTP 301)", status=301),
        "Pod tym adresem nie ma webservice'u: sprawdź adres sklepu.",
    ),
    (
        ShopConfigError(f"{WHAT}: the TLS certificate of shop.pl could not be verified"),
        "Nie udało się zweryfikować certyfikatu TLS sklepu.",
    ),
    (
        StockRowNotFound("PUT /api/stock_availables/7: stock row 7 does not exist", stock_id=7),
        "Produkt albo jego wiersz stanu nie istnieje w sklepie.",
    ),
    (
        ShopPermanentError("PUT /api/stock_availables/7: the shop refused the data", status=400),
        "Sklep odrzucił dane: nie przeszły walidacji sklepu.",
    ),
    (
        WriteNotApplied("PUT /api/stock_availables/7: echoed 3", expected=5, actual=3),
        "Sklep przyjął zmianę, ale jej nie zastosował (może ją cofać moduł albo nadpisanie "
        "w sklepie).",
    ),
    (
        RateLimited(f"{WHAT}: the shop is rate limiting (HTTP 429)", retry_after=30.0),
        "Sklep ogranicza liczbę zapytań (HTTP 429); synchronizacja spróbuje ponownie za 30 s.",
    ),
    (
        RateLimited(f"{WHAT}: the shop is rate limiting (HTTP 429)", retry_after=None),
        "Sklep ogranicza liczbę zapytań (HTTP 429); synchronizacja spróbuje ponownie później.",
    ),
    (
        LimiterTimeout("no request slot for the shop within 30 s"),
        "Limit zapytań do sklepu nie zwolnił miejsca na czas; synchronizacja spróbuje ponownie.",
    ),
    (
        ShopTemporaryError(f"{WHAT}: the shop failed (HTTP 500, 'Fatal error')", status=500),
        "Sklep zgłosił błąd (HTTP 500); synchronizacja spróbuje ponownie później.",
    ),
    (
        ShopTemporaryError(f"{WHAT}: the shop at shop.pl did not answer in time"),
        "Sklep nie odpowiedział na czas; synchronizacja spróbuje ponownie później.",
    ),
    (
        ShopTemporaryError(f"{WHAT}: cannot connect to the shop at shop.pl"),
        "Sklep jest nieosiągalny: nie działa albo adres lub sieć są nieprawidłowe.",
    ),
    (
        UnexpectedResponse("the shop's XML has root <html>, not <prestashop>"),
        "Odpowiedź nie pochodzi z webservice'u sklepu (strona przerwy technicznej, błąd "
        "serwera pośredniczącego albo urwana odpowiedź); synchronizacja spróbuje ponownie.",
    ),
]


@pytest.mark.parametrize(("error", "sentence"), CATEGORIES)
def test_each_category_gets_its_polish_sentence_followed_by_the_details(error, sentence):
    assert failure_lines(error) == [sentence, f"Szczegóły: {error}"]
    assert describe_failure(error) == f"{sentence} Szczegóły: {error}"


def test_the_english_msgids_read_as_plain_sentences(english):
    error = ShopConfigError(f"{WHAT}: the API key is unknown (HTTP 401, code 20)", status=401)

    assert describe_failure(error) == (
        "The shop refused the API key: it is wrong, disabled or has no rights. "
        f"Details: {WHAT}: the API key is unknown (HTTP 401, code 20)"
    )


def test_details_keep_method_and_path_but_no_url_query_or_key():
    raw = (
        f"{WHAT}: cannot connect to the shop at 127.0.0.1 (ConnectionError: "
        "HTTPConnectionPool(host='127.0.0.1', port=9): Max retries exceeded with url: "
        f"/api/stock_availables?display=full&ws_key={KEY} (Caused by NewConnectionError("
        "\"HTTPConnection(host='127.0.0.1', port=9): Failed to establish a new connection: "
        '[Errno 111] Connection refused"))'
    )

    text = details(ShopTemporaryError(raw), key=KEY)

    assert text == (
        f"{WHAT}: cannot connect to the shop at 127.0.0.1 (ConnectionError: Connection refused)"
    )


def test_a_full_url_is_cut_to_its_path_and_the_key_never_appears():
    error = ShopConfigError(
        f"GET https://shop.pl/api/stock_availables?ws_key={KEY}&display=full: refused {KEY}",
        status=403,
    )

    text = describe_failure(error, key=KEY)

    assert KEY not in text
    assert text.endswith("Szczegóły: GET /api/stock_availables: refused ***")


def test_a_text_or_an_already_described_failure_is_kept_as_it_is():
    described = DescribedFailure("Sklep odrzucił klucz API. Szczegóły: x", status=401)

    assert describe_failure(described) == "Sklep odrzucił klucz API. Szczegóły: x"
    assert describe_failure("Zadanie zaginęło.") == "Zadanie zaginęło."
    assert isinstance(described, PrestaShopError)


def test_a_wrong_key_halts_the_integration_with_the_polish_reason(
    shop, make_integration, make_product, link_shop, warehouse, receive_stock
):
    wrong_key = "0" * 32
    integration = make_integration(shop, api_key=wrong_key)
    product = make_product()
    link_shop(shop, integration, [product])
    receive_stock(warehouse, {product: 5})

    with pytest.raises(ShopConfigError):
        drain.drain(integration.pk)

    integration.refresh_from_db()
    assert integration.halted_at is not None
    assert integration.last_error.startswith(
        "Sklep odrzucił klucz API: jest błędny, wyłączony albo nie ma uprawnień. "
        "Szczegóły: GET /api/stock_availables: "
    )
    assert wrong_key not in integration.last_error
    assert "?" not in integration.last_error
    assert runs.refusal(integration).startswith(
        "Synchronizacja zatrzymana przez sklep: Sklep odrzucił klucz API"
    )


def test_an_outage_stores_the_polish_reason_on_each_link(
    make_integration, make_product, make_links
):
    integration = make_integration()
    links = make_links(integration, [(make_product(), 11), (make_product(), 12)], dirty=True)
    error = ShopTemporaryError(f"{WHAT}: the shop failed (HTTP 502, 'Bad Gateway')", status=502)

    record_abort(integration, links, error)

    stored = list(ProductLink.objects.filter(integration=integration).values_list("last_error"))
    expected = (
        "Sklep zgłosił błąd (HTTP 502); synchronizacja spróbuje ponownie później. "
        f"Szczegóły: {WHAT}: the shop failed (HTTP 502, 'Bad Gateway')"
    )
    assert stored == [(expected,), (expected,)]
    assert SyncLogEntry.objects.count() == 0  # an outage is not a per-link audit entry


def test_a_discrepancy_pass_against_a_stopped_shop_raises_the_described_failure(
    make_integration, make_product, make_links
):
    integration = make_integration()  # a closed local port
    make_links(integration, [(make_product(), 11)])

    with pytest.raises(DescribedFailure) as raised:
        find_discrepancies(integration)

    assert str(raised.value).startswith(
        "Sklep jest nieosiągalny: nie działa albo adres lub sieć są nieprawidłowe. "
        f"Szczegóły: {WHAT}: cannot connect to the shop at 127.0.0.1 (ConnectionError: "
    )


def test_a_dry_run_against_a_stopped_shop_fails_with_a_clear_command_error(
    make_integration, make_product, make_links
):
    integration = make_integration(name="Sklep")  # a closed local port
    make_links(integration, [(make_product(), 11)])

    with pytest.raises(CommandError) as raised:
        call_command(
            "sync_inventory",
            "--dry-run",
            "--integration",
            str(integration.pk),
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )

    assert str(raised.value) == (
        "Sklep: nie udało się odczytać sklepu. Sklep jest nieosiągalny: nie działa albo adres "
        f"lub sieć są nieprawidłowe. Szczegóły: {WHAT}: cannot connect to the shop at "
        "127.0.0.1 (ConnectionError: Connection refused)"
    )


def test_the_discrepancy_page_of_a_stopped_shop_shows_the_polish_reason(
    admin_client, make_integration, make_product, make_links
):
    integration = make_integration()  # a closed local port
    make_links(integration, [(make_product(), 11)])
    url = reverse("admin:integrations_integration_discrepancies", args=[integration.pk])

    content = admin_client.get(url).content.decode()

    assert "Sklep jest nieosiągalny: nie działa albo adres lub sieć są nieprawidłowe." in content
    assert "Szczegóły: GET /api/stock_availables: cannot connect to the shop at" in content
