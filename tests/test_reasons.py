"""Shop failures in the operator's words: a Polish sentence by category, then the details."""

import pytest
from django.urls import reverse
from django.utils import translation

from integrations.engine import drain, reports, runs
from integrations.engine.discrepancies import find_discrepancies
from integrations.engine.failures import record_abort
from integrations.models import ProductLink, StockReport, SyncLogEntry
from integrations.prestashop import (
    BatchNotSupported,
    BatchRowRefused,
    PrestaShopError,
    RateLimited,
    ShopConfigError,
    ShopPermanentError,
    ShopTemporaryError,
    StockRowNotFound,
    UnexpectedResponse,
    WriteNotApplied,
)
from integrations.prestashop import (
    Failure as F,
)
from integrations.ratelimit import LimiterTimeout
from integrations.reasons import (
    DescribedFailure,
    describe_failure,
    described,
    details,
    failure_lines,
)
from tests.test_client_helpers import XML, error_xml, stock_read_error

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]

KEY = "ABCDEFGHIJKLMNOPQRSTUVWXYZ123456"
WHAT = "GET /api/stock_availables"

CATEGORIES = [
    (
        ShopConfigError(
            f"{WHAT}: the API key is unknown (HTTP 401, code 20)", status=401, kind=F.KEY_REFUSED
        ),
        "Sklep odrzucił klucz API: jest błędny albo wyłączony. Sprawdź w panelu sklepu "
        "(Parametry zaawansowane → Webservice), czy klucz istnieje i jest włączony oraz czy "
        "integracja ma ten sam klucz.",
    ),
    (
        ShopConfigError(f"{WHAT}: the API key is empty (HTTP 401, code 17)", kind=F.KEY_INVALID),
        "Sklep odrzucił klucz API: jest pusty albo nie ma 32 znaków. Sprawdź, czy w integracji "
        "wpisano cały klucz z panelu sklepu (Parametry zaawansowane → Webservice).",
    ),
    (
        ShopConfigError(f"{WHAT}: the shop saw no API key at all", kind=F.NO_CREDENTIALS),
        "Sklep nie otrzymał klucza API (odpowiedź 401 nie pochodzi z PrestaShop): serwer usuwa "
        "nagłówek Authorization, a parametr ws_key też nie dotarł, albo ochrona hasłem przed "
        "sklepem wymaga własnego logowania. Sprawdź konfigurację serwera (CGIPassAuth On albo "
        "reguła SetEnvIf Authorization w .htaccess) i ochronę hasłem katalogu /api/.",
    ),
    (
        ShopConfigError(
            f"{WHAT}: method not allowed (HTTP 405, code 25)", kind=F.PERMISSION_MISSING
        ),
        "Kluczowi API brakuje uprawnienia potrzebnego do synchronizacji. Sprawdź w panelu "
        "sklepu (Parametry zaawansowane → Webservice), czy klucz ma GET i PUT (w PrestaShop 8 "
        "także PATCH) na stock_availables oraz GET na products i combinations.",
    ),
    (
        ShopConfigError(f"{WHAT}: not allowed on this shop (HTTP 403)", kind=F.SHOP_NOT_ALLOWED),
        "Klucz API nie jest przypisany do sklepu, który synchronizuje integracja (multistore). "
        "Sprawdź przypisanie klucza do sklepów w panelu sklepu (Parametry zaawansowane → "
        "Webservice) albo id sklepu ustawione w integracji.",
    ),
    (
        ShopConfigError(f"{WHAT}: a firewall refused (HTTP 403, 'Access denied')", kind=F.FIREWALL),
        "Zapora przed sklepem zablokowała zapytanie (strona HTTP 403, która nie jest błędem "
        "PrestaShop), np. mod_security, Cloudflare albo panel hostingu. Sprawdź jej dziennik i "
        "reguły i dopuść zapytania tego serwera do /api/ (także PUT i PATCH).",
    ),
    (
        ShopConfigError(f"{WHAT}: the web server refused the method", kind=F.METHOD_BLOCKED),
        "Serwer WWW przed PrestaShop nie przyjmuje tej metody (HTTP 405, który nie jest błędem "
        "PrestaShop). Sprawdź konfigurację serwera i reguły zapory (np. Limit albo LimitExcept "
        "w Apache, mod_security) i dopuść PUT i PATCH do /api/.",
    ),
    (
        ShopConfigError(
            f"{WHAT}: the webservice is disabled (HTTP 503, code 22)", kind=F.WEBSERVICE_DISABLED
        ),
        "Webservice jest wyłączony w panelu sklepu. Włącz go: Parametry zaawansowane → "
        "Webservice → „Włącz webservice PrestaShop”.",
    ),
    (
        ShopConfigError(f"{WHAT}: no webservice at this address (HTTP 404)", kind=F.NOT_FOUND),
        "Pod tym adresem nie ma webservice'u (HTTP 404): sprawdź adres sklepu w integracji oraz "
        "czy przyjazne adresy URL albo plik .htaccess sklepu przekazują /api/ do PrestaShop "
        "(adres …/api/ powinien pytać o klucz). Bez przyjaznych adresów URL wpisz adres sklepu "
        "zakończony na /webservice/dispatcher.php.",
    ),
    (
        ShopConfigError(
            f"{WHAT}: the shop redirects its webservice (HTTP 301)",
            status=301,
            kind=F.REDIRECT,
            location="https://www.shop.pl/api/stock_availables",
        ),
        "Sklep przekierowuje webservice pod adres https://www.shop.pl/api/stock_availables. "
        "Wpisz ten adres (np. z https albo www) jako adres sklepu w integracji.",
    ),
    (
        ShopConfigError(
            f"{WHAT}: the request was too long (HTTP 414)", status=414, kind=F.REQUEST_TOO_LONG
        ),
        "Serwer sklepu odrzucił zbyt długie zapytanie (HTTP 414: adres URL albo nagłówki "
        "przekraczają jego limit). Sprawdź limity serwera i serwera pośredniczącego albo CDN "
        "przed nim (LimitRequestLine w Apache, large_client_header_buffers w nginx, "
        "maxQueryString w IIS): synchronizacja potrzebuje co najmniej 4 KB.",
    ),
    (
        ShopConfigError(
            f"{WHAT}: the TLS certificate of shop.pl could not be verified", kind=F.TLS_CERTIFICATE
        ),
        "Nie udało się zweryfikować certyfikatu TLS sklepu. Sprawdź, czy jest ważny, wystawiony "
        "dla tej domeny i wysyłany razem z certyfikatami pośrednimi; weryfikację wyłączaj tylko "
        "dla sklepu testowego.",
    ),
    (
        ShopConfigError(f"{WHAT}: the shop URL is not valid", kind=F.INVALID_URL),
        "Adres sklepu jest nieprawidłowy: sprawdź go w integracji.",
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
        ShopPermanentError("stock row 7 depends on advanced stock", kind=F.DEPENDS_ON_STOCK),
        "Produkt korzysta z zaawansowanego zarządzania magazynem (depends_on_stock), a "
        "PrestaShop nie pozwala zmieniać jego stanu przez webservice. Wyłącz je dla produktu w "
        "sklepie albo pomiń produkt w synchronizacji.",
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
        ShopTemporaryError(
            f"{WHAT}: the shop failed (HTTP 500, 'Fatal error')", status=500, kind=F.SERVER_ERROR
        ),
        "Sklep zgłosił błąd (HTTP 500); synchronizacja spróbuje ponownie później.",
    ),
    (
        ShopTemporaryError(f"{WHAT}: the shop at shop.pl did not answer in time", kind=F.TIMEOUT),
        "Sklep nie odpowiedział na czas; synchronizacja spróbuje ponownie później.",
    ),
    (
        ShopTemporaryError(f"{WHAT}: not within the 65 s deadline", kind=F.DEADLINE),
        "Sklep nie przesłał całej odpowiedzi na czas (przychodziła zbyt wolno); synchronizacja "
        "spróbuje ponownie później.",
    ),
    (
        ShopTemporaryError(f"{WHAT}: cannot connect to the shop at shop.pl", kind=F.CONNECTION),
        "Sklep jest nieosiągalny: nie działa albo adres lub sieć są nieprawidłowe.",
    ),
    (
        ShopTemporaryError(f"{WHAT}: the connection to shop.pl broke", kind=F.CONNECTION_LOST),
        "Połączenie ze sklepem zostało przerwane przed nadejściem odpowiedzi; synchronizacja "
        "spróbuje ponownie później.",
    ),
    (
        UnexpectedResponse(
            "the shop's XML has root <html>, not <prestashop>", kind=F.NOT_WEBSERVICE
        ),
        "Odpowiedź nie pochodzi z webservice'u sklepu (strona przerwy technicznej, błąd "
        "serwera pośredniczącego albo urwana odpowiedź); synchronizacja spróbuje ponownie. "
        "Jeśli to trwa, otwórz w przeglądarce adres sklepu z dopisanym /api/: powinien zapytać "
        "o klucz, a nie pokazać stronę (sprawdź tryb przerwy technicznej i to, co stoi przed "
        "sklepem).",
    ),
    (
        UnexpectedResponse("the shop's XML declares a DTD or entities; refused", kind=F.DOCTYPE),
        "Odpowiedź sklepu ma budowę, jakiej nie ma żadna odpowiedź webservice'u (DTD albo zbyt "
        "głębokie zagnieżdżenie), i została odrzucona jako potencjalnie niebezpieczna; sprawdź, "
        "co stoi przed sklepem.",
    ),
    (
        UnexpectedResponse("the shop returned stock rows for products that were not asked for"),
        "Sklep przysłał inne dane niż te, o które pytano (może ignorować filtry albo id "
        "sklepu); synchronizacja spróbuje ponownie.",
    ),
    (
        BatchNotSupported(
            "PATCH /api/stock_availables: the shop does not take 3 rows in one request (HTTP "
            "400, code 90: id is required when modifying a resource)",
            stock_ids=[7, 8, 12],
            method="PATCH",
            status=400,
            codes=[90],
        ),
        "Sklep nie przyjmuje kilku wierszy stanów w jednym zapytaniu (odrzuca je jego "
        "webservice albo serwer lub zapora przed nim); wiersze trzeba zapisywać pojedynczo, co "
        "trwa dłużej.",
    ),
    (
        BatchRowRefused(
            "PATCH /api/stock_availables: one of the 3 rows sent does not exist in this shop "
            "(HTTP 404, code 92: Invalid ID); the rows before it were written, the rows after "
            "it were not",
            stock_ids=[13, 999999, 14],
            missing=True,
            cause=StockRowNotFound("one of the 3 rows sent does not exist", codes=[92]),
        ),
        "Sklep odrzucił jeden z wierszy stanów wysłanych razem w jednym zapytaniu: wiersze "
        "przed nim zostały zapisane, wiersze po nim nie; który to był, pokaże ponowny odczyt "
        "tych wierszy. Produkt albo jego wiersz stanu nie istnieje w sklepie.",
    ),
]


@pytest.mark.parametrize(("error", "sentence"), CATEGORIES)
def test_each_category_gets_its_polish_sentence_followed_by_the_details(error, sentence):
    assert failure_lines(error) == [sentence, f"Szczegóły: {error}"]
    assert describe_failure(error) == f"{sentence} Szczegóły: {error}"


def test_every_kind_has_a_polish_sentence():
    for kind in F:
        sentence = failure_lines(PrestaShopError("x", kind=kind, status=414))[0]
        with translation.override("en"):
            english = failure_lines(PrestaShopError("x", kind=kind, status=414))[0]

        assert sentence != english, kind
        assert (
            sentence != "Sklep udzielił nieoczekiwanej odpowiedzi." or kind == F.UNEXPECTED_STATUS
        )


def test_the_sentence_follows_the_kind_never_the_message_text():
    error = ShopConfigError(f"{WHAT}: the TLS certificate (HTTP 404)", status=404, kind=F.FIREWALL)

    assert failure_lines(error)[0].startswith("Zapora przed sklepem zablokowała zapytanie")


def test_the_english_msgids_read_as_plain_sentences(english):
    error = ShopConfigError(
        f"{WHAT}: the API key is unknown (HTTP 401, code 20)", status=401, kind=F.KEY_REFUSED
    )

    assert describe_failure(error) == (
        "The shop refused the API key: it is wrong or disabled. Check in the shop's back "
        "office (Advanced Parameters → Webservice) that the key exists and is enabled, and "
        "that the integration has the same key. "
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


def test_a_described_failure_keeps_the_kind_and_the_attributes():
    error = ShopConfigError(
        f"{WHAT}: redirects", status=301, kind=F.REDIRECT, location="https://www.shop.pl/api/"
    )

    copy = described(error, key=KEY)

    assert (copy.kind, copy.status, copy.location) == (F.REDIRECT, 301, "https://www.shop.pl/api/")
    assert str(copy).startswith("Sklep przekierowuje webservice pod adres https://www.shop.pl/api/")


WIRE = [
    pytest.param(
        {"status": 403, "content_type": "text/html", "body": "<title>Access denied</title>"},
        "Zapora przed sklepem zablokowała zapytanie",
        id="html-403-is-a-firewall",
    ),
    pytest.param(
        {"status": 403, "content_type": XML, "body": error_xml((132, "No permission"))},
        "Klucz API nie jest przypisany do sklepu",
        id="prestashop-403-is-the-shop-link",
    ),
    pytest.param(
        {"status": 405, "content_type": "text/html", "body": "<title>405 Not Allowed</title>"},
        "Serwer WWW przed PrestaShop nie przyjmuje tej metody",
        id="html-405-is-the-web-server",
    ),
    pytest.param(
        {"status": 405, "content_type": XML, "body": error_xml((25, "Method PUT is not allowed"))},
        "Kluczowi API brakuje uprawnienia",
        id="prestashop-405-is-a-permission",
    ),
    pytest.param(
        {"status": 302, "headers": {"Location": f"https://www.shop.example/api/x?ws_key={KEY}"}},
        "Sklep przekierowuje webservice pod adres https://www.shop.example/api/x. Wpisz",
        id="redirect-names-where",
    ),
    pytest.param(
        {"status": 404, "content_type": "text/html", "body": "<title>Not Found</title>"},
        "Pod tym adresem nie ma webservice'u (HTTP 404)",
        id="404-is-the-address",
    ),
    pytest.param(
        {"status": 431}, "Serwer sklepu odrzucił zbyt długie zapytanie (HTTP 431", id="431"
    ),
    pytest.param(
        {"status": 414}, "Serwer sklepu odrzucił zbyt długie zapytanie (HTTP 414", id="414"
    ),
    pytest.param(
        {"status": 401, "content_type": XML, "body": error_xml((20, "not active"), (21, "No"))},
        "Sklep odrzucił klucz API: jest błędny albo wyłączony",
        id="wrong-key",
    ),
    pytest.param(
        {"status": 401, "content_type": XML, "body": error_xml((21, "No permission"))},
        "Kluczowi API brakuje uprawnienia",
        id="key-without-permissions",
    ),
    pytest.param(
        {"status": 503, "content_type": XML, "body": error_xml((22, "webservice is disabled"))},
        "Webservice jest wyłączony w panelu sklepu. Włącz go",
        id="webservice-off",
    ),
]


@pytest.mark.parametrize(("reply", "sentence"), WIRE)
def test_a_stop_from_the_wire_gets_the_sentence_saying_what_to_check(rsps, reply, sentence):
    error = stock_read_error(rsps, ShopConfigError, **reply)

    text = describe_failure(error, key=KEY)
    assert text.startswith(sentence)
    assert KEY not in text


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
        "Sklep odrzucił klucz API: jest błędny albo wyłączony. Sprawdź w panelu sklepu "
    )
    assert "Szczegóły: GET /api/stock_availables: the API key is unknown" in integration.last_error
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
    error = ShopTemporaryError(
        f"{WHAT}: the shop failed (HTTP 502, 'Bad Gateway')", status=502, kind=F.SERVER_ERROR
    )

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


def test_the_report_of_a_stopped_shop_stores_and_shows_the_polish_reason(
    admin_client, make_integration, make_product, make_links
):
    integration = make_integration()  # a closed local port
    make_links(integration, [(make_product(), 11)])
    url = reverse("admin:integrations_integration_discrepancies", args=[integration.pk])

    admin_client.post(url)
    report = reports.run_report(StockReport.objects.get().pk)
    page = reverse("admin:integrations_stockreport_change", args=[report.pk])
    content = admin_client.get(page).content.decode()

    assert "Sklep jest nieosiągalny: nie działa albo adres lub sieć są nieprawidłowe." in content
    assert "Szczegóły: GET /api/stock_availables: cannot connect to the shop at" in content
