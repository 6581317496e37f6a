"""Wire builders shared by the PrestaShop client tests (bodies as the webservice renders them).

No tests here; the module is named test_client_* so it sits with the files it serves.
"""

import json
from contextlib import contextmanager
from dataclasses import asdict
from urllib.parse import parse_qsl, urlsplit

import pytest
import responses

from integrations.prestashop import NO_RETRIES, PrestaShopClient, RetryPolicy, StockRow

SHOP = "https://shop.example/"
API = SHOP + "api/"
KEY = "ABCDEFGHIJKLMNOPQRSTUVWXYZ123456"
BASIC = "Basic QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVoxMjM0NTY6"
XML = "text/xml;charset=UTF-8"
JSON = "application/json"
V8 = {"PSWS-Version": "8.1.7"}
V17 = {"PSWS-Version": "1.7.8.11"}


def stock(stock_id, product, attr=0, quantity=0, *, shop=1, group=0, location="", oos=2):
    """A StockRow with the defaults of a single-shop PrestaShop."""
    return StockRow(
        id=stock_id,
        id_product=product,
        id_product_attribute=attr,
        id_shop=shop,
        id_shop_group=group,
        quantity=quantity,
        depends_on_stock=0,
        out_of_stock=oos,
        location=location,
    )


def client(**options) -> PrestaShopClient:
    """A client for SHOP; it does not retry unless given a `retry` policy."""
    options.setdefault("retry", NO_RETRIES)
    return PrestaShopClient(SHOP, KEY, **options)


def stock_read_error(rsps, error, *, shop=None, match=None, **reply):
    """The `error` a stock read raises when the shop gives `reply` (keywords of rsps.add)."""
    rsps.add(responses.GET, API + "stock_availables", **reply)
    with pytest.raises(error, match=match) as caught:
        (shop or client()).fetch_stock([7])
    return caught.value


def retrying(sleeps: list[float], **options) -> RetryPolicy:
    """A RetryPolicy that records its waits in `sleeps` instead of sleeping (jitter fixed)."""
    return RetryPolicy(sleep=sleeps.append, random=lambda: 1.0, **options)


def stock_json(rows, *, as_ints=False) -> str:
    """A JSON list of stock rows; values are strings (PHP < 8.1) or ints (PS 8.0/8.1 on 8.1+)."""
    if not rows:
        return "[]"
    items = []
    for row in rows:
        item = asdict(row)
        items.append({k: (v if k == "id" or as_ints else str(v)) for k, v in item.items()})
    return json.dumps({"stock_availables": items})


def _fields_xml(row) -> str:
    return "".join(f"\t<{k}><![CDATA[{v}]]></{k}>\n" for k, v in asdict(row).items())


def stock_xml(rows) -> str:
    """An XML list of stock rows as PrestaShop 8 renders it (CDATA, tab-indented fields)."""
    items = "".join(f"<stock_available>\n{_fields_xml(r)}</stock_available>\n" for r in rows)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<prestashop xmlns:xlink="http://www.w3.org/1999/xlink">\n'
        f"<stock_availables>\n{items}</stock_availables>\n</prestashop>\n"
    )


def echo_xml(row) -> str:
    """The reply to a PUT or PATCH: the saved row, in full."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<prestashop xmlns:xlink="http://www.w3.org/1999/xlink">\n'
        f"<stock_available>\n{_fields_xml(row)}</stock_available>\n</prestashop>\n"
    )


def error_xml(*errors) -> str:
    """A webservice error body with (code, message) entries."""
    entries = "".join(
        f"<error>\n<code><![CDATA[{c}]]></code>\n<message><![CDATA[{m}]]></message>\n</error>\n"
        for c, m in errors
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<prestashop xmlns:xlink="http://www.w3.org/1999/xlink">\n'
        f"<errors>\n{entries}</errors>\n</prestashop>\n"
    )


def resources_xml(permissions: dict[str, str]) -> str:
    """GET /api/: each resource with its get/put/patch/... attributes ("GP" = get + put)."""
    letters = {"get": "G", "put": "P", "post": "O", "patch": "A", "delete": "D", "head": "H"}
    items = ""
    for name, allowed in permissions.items():
        attrs = " ".join(
            f'{method}="{"true" if letter in allowed else "false"}"'
            for method, letter in letters.items()
        )
        items += f'<{name} xlink:href="{API}{name}" {attrs}>\n<description>{name}</description>\n'
        items += f"</{name}>\n"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<prestashop xmlns:xlink="http://www.w3.org/1999/xlink">\n'
        f'<api shopName="Test shop">\n{items}</api>\n</prestashop>\n'
    )


class RecordingLimiter:
    """A Limiter that counts slots and records backoff calls."""

    def __init__(self):
        self.slots = 0
        self.active = 0
        self.backoffs: list[float | None] = []

    @contextmanager
    def slot(self):
        self.slots += 1
        self.active += 1
        try:
            yield
        finally:
            self.active -= 1

    def backoff(self, retry_after):
        self.backoffs.append(retry_after)


def query_of(call) -> dict[str, str]:
    """The decoded query parameters of a recorded call (or of a request)."""
    request = getattr(call, "request", call)
    return dict(parse_qsl(urlsplit(request.url).query))


def add_stock_list(rsps: responses.RequestsMock, body: str, *, content_type=JSON, headers=V8):
    rsps.add(
        responses.GET,
        API + "stock_availables",
        body=body,
        content_type=content_type,
        headers=headers,
    )
