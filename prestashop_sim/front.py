"""How a request reaches the webservice, and what PHP answers around it.

Routing (/api/... rewritten, or /webservice/dispatcher.php?url=...), the shop-domain redirect,
the no-rewrite 404 and PHP fatals; none of these answers carries the webservice's headers.
"""

from urllib.parse import quote_plus, unquote

from prestashop_sim import pages
from prestashop_sim.params import parse_query

DISPATCHER = "/webservice/dispatcher.php"
PHP_CONTENT_TYPE = ("Content-type", pages.PHP_HTML)


class PhpFatal(Exception):
    """A PHP fatal error inside the webservice: 500, an empty body, no webservice headers."""


def is_api_path(path: str) -> bool:
    """True for /api and /api/... (the rewritten URL form)."""
    return path in ("/api", "/api/") or path.startswith("/api/")


def route(path: str, query: str) -> tuple[str, dict] | None:
    """(url, params) for /api/... and /webservice/dispatcher.php?url=..., else None."""
    params = parse_query(query)
    if is_api_path(path):
        url = unquote(path[5:])
    elif path == DISPATCHER:
        url = params.get("url", "")
        url = url if isinstance(url, str) else ""
    else:
        return None
    params.pop("url", None)
    return url, params


def resource_of(target: str) -> str:
    """The resource a request is about, for counters ("" for /api/, "-" outside the API)."""
    path, _, query = target.partition("?")
    routed = route(path, query)
    if routed is None:
        return "-"
    return routed[0].split("/")[0]


def php_get(path: str, query: str) -> dict:
    """$_GET as the dispatcher sees it: the rewrite puts url=<rest> before the query (QSA)."""
    if not is_api_path(path):
        return parse_query(query)
    params = {"url": unquote(path[5:])}
    params.update(parse_query(query))
    return params


def http_build_query(params: dict, prefix: str | None = None) -> str:
    """PHP's http_build_query: nested keys as a[b], values urlencode()d."""
    parts = []
    for key, value in params.items():
        name = key if prefix is None else f"{prefix}[{key}]"
        if isinstance(value, dict):
            nested = http_build_query(value, name)
            if nested:
                parts.append(nested)
        else:
            parts.append(f"{_urlencode(name)}={_urlencode(value)}")
    return "&".join(parts)


def _urlencode(text: str) -> str:
    return quote_plus(text, safe="").replace("~", "%7E")


def host_redirect(shop_domain: str | None, host: str, path: str, query: str):
    """The 302 Shop::initialize sends when Host is not the shop's domain (else None).

    The Location keeps only the query, re-encoded: orders/124-134.
    """
    if shop_domain is None or host.lower() == shop_domain.lower():
        return None
    query = http_build_query(php_get(path, query))
    location = f"http://{shop_domain}/" + (f"?{query}" if query else "")
    return 302, [("Location", location), PHP_CONTENT_TYPE], b""


def shop_not_found():
    """/api/... on a server without the rewrite rule: the shop's front-office 404 page (146)."""
    headers = [
        ("Expires", "Thu, 19 Nov 1981 08:52:00 GMT"),
        ("Cache-Control", "no-store, no-cache, must-revalidate"),
        ("Pragma", "no-cache"),
        PHP_CONTENT_TYPE,
    ]
    return 404, headers, pages.shop_page_not_found()


def php_fatal():
    """A PHP fatal error (e.g. the JSON renderer's TypeError on GET /api/, transcript 10)."""
    return 500, [PHP_CONTENT_TYPE], b""
