"""What an API key may do, from the resource list at GET /api/, told in words."""

from dataclasses import replace

from lxml import etree

from .errors import PrestaShopError, ShopConfigError, UnexpectedResponse
from .records import AccessReport
from .transport import Transport

METHODS = ("get", "put", "post", "patch", "delete", "head")


def gettext_noop(message: str) -> str:
    """Marks a msgid for translation where it is shown (the client itself has no Django)."""
    return message


NO_STOCK_READ = gettext_noop("The API key may not read stock (GET on stock_availables).")
NO_STOCK_WRITE = gettext_noop("The API key may not change stock (PUT on stock_availables).")
NO_PRODUCTS = gettext_noop("The API key may not read products (GET on products).")
NO_COMBINATIONS = gettext_noop("The API key may not read combinations (GET on combinations).")
NO_PATCH = gettext_noop(
    "The API key may not use PATCH on stock_availables; the slower full PUT will be used."
)

NO_URL_REWRITING = gettext_noop(
    "The shop has no URL rewriting: /api/ is not found, but the webservice answers at "
    "webservice/dispatcher.php. Enter the shop address ending in /webservice/dispatcher.php."
)


def read_resources(document) -> dict[str, set[str]]:
    """resource -> allowed methods ("GET", "PUT", ...) from the XML of GET /api/."""
    api = document.find("api") if isinstance(document, etree._Element) else None
    if api is None:
        raise UnexpectedResponse("the shop's reply to GET /api/ holds no resource list")
    return {
        element.tag: {m.upper() for m in METHODS if element.get(m) == "true"}
        for element in api
        if isinstance(element.tag, str)
    }


def major_version(version: str | None) -> int | None:
    """8 for "8.1.7", 1 for "1.7.8.11", None when unknown."""
    head = (version or "").split(".", 1)[0]
    return int(head) if head.isdigit() else None


def build_report(version: str, resources: dict[str, set[str]]) -> AccessReport:
    """Problems that stop a stock sync, and warnings about slower paths."""
    stock = resources.get("stock_availables", set())
    checks = [
        ("GET" in stock, NO_STOCK_READ),
        ("PUT" in stock, NO_STOCK_WRITE),
        ("GET" in resources.get("products", set()), NO_PRODUCTS),
        ("GET" in resources.get("combinations", set()), NO_COMBINATIONS),
    ]
    problems = [message for ok, message in checks if not ok]
    warnings = []
    if (major_version(version) or 0) >= 8 and "PATCH" not in stock:
        warnings.append(NO_PATCH)
    return AccessReport(version=version, resources=resources, problems=problems, warnings=warnings)


def fetch_report(transport: Transport, params: list[tuple[str, str]]) -> AccessReport:
    """The report from the shop's XML resource list (the JSON one is an empty 500 on 8.1.2,
    with or without URL rewriting: transcripts 10, orders/121)."""
    reply = transport.send("GET", "", params=params)
    resources = read_resources(reply.document)
    report = build_report(transport.version or "", resources)
    address = transport.address
    return replace(report, address_form=address.form, endpoint=address.root)


def fetch_report_without_rewriting(
    transport: Transport, params: list[tuple[str, str]], not_found: ShopConfigError
) -> AccessReport:
    """The report from webservice/dispatcher.php, with NO_URL_REWRITING first among the
    problems, when /api/ was a 404 (`not_found`); that 404 again if the dispatcher is not
    there either. The transport keeps the address it was given."""
    address = transport.address
    transport.address = address.dispatcher_form()
    try:
        report = fetch_report(transport, params)
    except PrestaShopError as exc:
        # A key or permission refusal there is the webservice answering: say that.
        if isinstance(exc, ShopConfigError) and exc.status not in (None, 404):
            raise
        raise not_found from None
    finally:
        transport.address = address
    return replace(report, problems=[NO_URL_REWRITING, *report.problems])
