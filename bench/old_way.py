"""The old system's full sync, as a baseline: every product pushed one at a time.

For each linked product the old Laravel job found the product's stock row, read it and
wrote the ledger's quantity back with a full PUT, whether it differed or not: three
requests per product, one after another. This replays exactly that with plain `requests`
(XML, as the old client spoke), on as many workers as invsync gets (each its own queue
worker, products dealt out in turn), honouring the shop's rate limit the way it did: on a
429, sleep for Retry-After (60 s without it) and try again. It is generous to the old way:
the ledger's quantities are read once in bulk beforehand instead of one query per product.
"""

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from xml.sax.saxutils import escape

import requests
from defusedxml import ElementTree

from integrations.prestashop.records import STOCK_FIELDS

DEFAULT_RETRY_AFTER = 60.0


@dataclass
class OldWayResult:
    products: int = 0
    requests: int = 0
    rate_limited: int = 0
    seconds: float = 0.0


def push_all(api_url: str, key: str, targets: list, *, workers: int) -> OldWayResult:
    """Push every (id_product, id_product_attribute, quantity) on `workers` threads."""
    shares = [targets[n::workers] for n in range(workers)]
    started = time.monotonic()

    def work(share):
        old = OldWay(api_url, key)
        try:
            return old.push_all(share)
        finally:
            old.close()

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="old-way") as pool:
        results = list(pool.map(work, shares))
    return OldWayResult(
        products=sum(r.products for r in results),
        requests=sum(r.requests for r in results),
        rate_limited=sum(r.rate_limited for r in results),
        seconds=time.monotonic() - started,
    )


class OldWay:
    """One worker pushing one product at a time over a keep-alive session."""

    def __init__(self, api_url: str, key: str, *, timeout: float = 30.0):
        self.api_url = api_url
        self.session = requests.Session()
        self.session.auth = (key, "")
        self.timeout = timeout
        self.result = OldWayResult()

    def push_all(self, targets: list[tuple[int, int, int]]) -> OldWayResult:
        """Push (id_product, id_product_attribute, quantity) for every target, in order."""
        started = time.monotonic()
        for ps_product_id, ps_combination_id, quantity in targets:
            self.push(ps_product_id, ps_combination_id, quantity)
            self.result.products += 1
        self.result.seconds = time.monotonic() - started
        return self.result

    def push(self, ps_product_id: int, ps_combination_id: int, quantity: int) -> None:
        """Find the row, read it, PUT it back with the new quantity."""
        found = self._send(
            "GET",
            "stock_availables",
            params={
                "filter[id_product]": f"[{ps_product_id}]",
                "filter[id_product_attribute]": f"[{ps_combination_id}]",
            },
        )
        stock_id = (
            ElementTree.fromstring(found).find("./stock_availables/stock_available").get("id")
        )
        row = ElementTree.fromstring(self._send("GET", f"stock_availables/{stock_id}"))
        fields = {name: row.findtext(f"./stock_available/{name}") or "" for name in STOCK_FIELDS}
        fields["quantity"] = str(quantity)
        self._send("PUT", f"stock_availables/{stock_id}", data=put_body(fields))

    def _send(self, method: str, path: str, **kwargs) -> bytes:
        while True:
            self.result.requests += 1
            response = self.session.request(
                method, self.api_url + path, timeout=self.timeout, **kwargs
            )
            if response.status_code != 429:
                response.raise_for_status()
                return response.content
            self.result.rate_limited += 1
            time.sleep(float(response.headers.get("Retry-After") or DEFAULT_RETRY_AFTER))

    def close(self) -> None:
        """Close the HTTP session."""
        self.session.close()


def put_body(fields: dict[str, str]) -> bytes:
    """The full stock_available object, as a 1.7-era client sends it."""
    inner = "".join(f"<{name}>{escape(fields[name])}</{name}>" for name in STOCK_FIELDS)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<prestashop><stock_available>{inner}</stock_available></prestashop>"
    ).encode()
