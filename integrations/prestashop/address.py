"""Where the webservice answers: `/api/...` (URL rewriting) or `webservice/dispatcher.php?url=...`.

The form is decided by the address the operator enters (reference §1.1; transcripts
orders/113-147): an address ending in `dispatcher.php` is used as it is, with the resource and
id sent in the `url` parameter (`?url=stock_availables/1`); any other address is the shop's
root, under which `/api/` is rewritten to the dispatcher. Both forms run the same code and
answer the same way; links inside answers always say `/api/`.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from .query import encode

API = "api"  # https://shop/base/api/stock_availables?...
DISPATCHER = "dispatcher"  # https://shop/base/webservice/dispatcher.php?url=stock_availables&...
DISPATCHER_PATH = "webservice/dispatcher.php"


@dataclass(frozen=True)
class ShopAddress:
    form: str  # API or DISPATCHER
    root: str  # "https://shop/base/api/" or "https://shop/base/webservice/dispatcher.php"

    @property
    def origin(self) -> str:
        """`https://shop` (scheme and host), what a request target is appended to."""
        parts = urlsplit(self.root)
        return urlunsplit((parts.scheme, parts.netloc, "", "", ""))

    @property
    def host(self) -> str:
        return urlsplit(self.root).hostname or "?"

    def target(self, path: str, params: Sequence[tuple[str, str]] = ()) -> str:
        """The request target (path and query) of `path` ("stock_availables/6") with params."""
        base = urlsplit(self.root).path
        if self.form == DISPATCHER:
            return f"{base}?{encode([('url', path), *params])}"
        query = encode(list(params))
        return f"{base}{path}" + (f"?{query}" if query else "")

    def url(self, path: str, params: Sequence[tuple[str, str]] = ()) -> str:
        """The full URL of `path` with params."""
        return self.origin + self.target(path, params)

    def dispatcher_form(self) -> "ShopAddress":
        """The same shop reached without URL rewriting (what the connection test tries on a
        404 at /api/)."""
        parts = urlsplit(self.root)
        base = parts.path.removesuffix("api/") + DISPATCHER_PATH
        return ShopAddress(DISPATCHER, urlunsplit((parts.scheme, parts.netloc, base, "", "")))


def parse_address(base_url: str) -> ShopAddress:
    """The webservice address for what the operator entered.

    `https://shop/`, `https://shop/base`, `https://shop/api/` -> /api/ form;
    `https://shop/webservice/dispatcher.php` (query ignored) -> dispatcher form.
    """
    parts = urlsplit(base_url.strip())
    path = parts.path.rstrip("/")
    if path.lower().endswith("/dispatcher.php") or path.lower() == "dispatcher.php":
        root = urlunsplit((parts.scheme, parts.netloc, path, "", ""))
        return ShopAddress(DISPATCHER, root)
    if path.endswith("/api"):
        path = path[: -len("/api")]
    return ShopAddress(API, urlunsplit((parts.scheme, parts.netloc, path + "/api/", "", "")))
