"""The demo shop's state kept after the demo: its catalogue with the quantities it ended with,
and the simulator's port and key, so that scripts/admin.sh can bring the same shop back.

The catalogue keeps the simulator's product, combination and stock row ids: the demo's
product links point at those rows, so a shop restarted from the file is the shop they know.
"""

import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from integrations.models import Integration
from warehouse.selectors import stock_totals

CATALOGUE_FILE = "shop-catalogue.json"
RECORD_FILE = "shop-simulator.json"


@dataclass(frozen=True)
class ShopRecord:
    url: str
    key: str
    seed: int

    @property
    def port(self) -> int:
        return urlsplit(self.url).port


def catalogue_items(entries: list[dict], rows: list[dict], names: dict[str, str]) -> list[dict]:
    """`--catalogue-file` items from GET /_sim/catalogue and /_sim/stock (one stock scope)."""
    quantities = {row["id"]: row["quantity"] for row in rows}
    items: dict[int, dict] = {}
    for entry in entries:
        stock_id = entry["stock_ids"][0] if entry["stock_ids"] else None
        row = {
            "id": entry["id_product_attribute"] or entry["id_product"],
            "stock_id": stock_id,
            "reference": entry["reference"],
            "ean13": entry["ean13"],
            "quantity": quantities.get(stock_id, 0),
        }
        if entry["id_product_attribute"]:
            items[entry["id_product"]]["combinations"].append(row)
        else:
            name = names.get(entry["reference"], "")
            items[entry["id_product"]] = {**row, "name": name, "combinations": []}
    for item in items.values():
        if item["combinations"]:
            del item["quantity"]  # the product row holds their sum
        else:
            del item["combinations"]
    return list(items.values())


def save_shop_state(handle, var_dir: Path, *, names: dict[str, str], seed: int) -> Path:
    """Write the running shop's catalogue (current quantities) and its URL and key."""
    items = catalogue_items(handle.catalogue(), handle.stock_rows(), names)
    catalogue = var_dir / CATALOGUE_FILE
    catalogue.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    record = {"url": handle.url, "key": handle.key, "seed": seed}
    (var_dir / RECORD_FILE).write_text(json.dumps(record), encoding="utf-8")
    return catalogue


def read_shop_record(var_dir: Path) -> ShopRecord | None:
    """The shop the last demo left (None if no demo finished in this folder)."""
    path = var_dir / RECORD_FILE
    if not path.is_file() or not (var_dir / CATALOGUE_FILE).is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return ShopRecord(url=data["url"], key=data["key"], seed=int(data["seed"]))


def shop_differences(handle, integration: Integration) -> tuple[int, dict[str, tuple[int, int]]]:
    """(linked rows compared, {SKU: (shop, ledger)} for those that differ)."""
    links = list(integration.links.filter(ps_stock_id__isnull=False).select_related("product"))
    shop = {row["id"]: row["quantity"] for row in handle.stock_rows()}
    ledger = stock_totals([link.product_id for link in links])
    differing = {
        link.product.sku: (shop.get(link.ps_stock_id), ledger.get(link.product_id, 0))
        for link in links
        if shop.get(link.ps_stock_id) != ledger.get(link.product_id, 0)
    }
    return len(links), differing
