"""A reproducible demo catalogue: two warehouses, products with SKU/name/EAN, opening stock.

``demo_products()`` is pure (no database), so other parts (e.g. the shop simulator) can build
a catalogue that matches the ledger's demo data from the same ``n_products`` and ``seed``.
"""

import random
from dataclasses import dataclass, field

from django.db import transaction

from warehouse import services
from warehouse.models import Document, Product, Warehouse

WAREHOUSES = (("MAG", "Magazyn główny"), ("ZAP", "Magazyn zapasowy"))
_NOUNS = ("Kubek", "Talerz", "Półmisek", "Dzbanek", "Wazon", "Słoik", "Kieliszek", "Garnek")
_KINDS = ("ceramiczny", "szklany", "emaliowany", "porcelanowy", "kamionkowy")
_COLOURS = ("biały", "czarny", "zielony", "niebieski", "szary", "miodowy")


@dataclass(frozen=True)
class DemoProduct:
    sku: str
    name: str
    ean: str
    quantities: dict[str, int] = field(default_factory=dict)  # warehouse code -> opening stock


@dataclass
class DemoCatalogue:
    warehouses: list[Warehouse]
    products: list[Product]
    receipts: list[Document]


def ean13(body: str) -> str:
    """Append the EAN-13 check digit to 12 digits."""
    total = sum(int(digit) * (3 if index % 2 else 1) for index, digit in enumerate(body))
    return body + str((10 - total % 10) % 10)


def demo_products(n_products: int = 200, *, seed: int = 2026) -> list[DemoProduct]:
    """The demo catalogue as plain data; the same arguments always give the same products."""
    rng = random.Random(seed)
    products = []
    for number in range(1, n_products + 1):
        name = f"{rng.choice(_NOUNS)} {rng.choice(_KINDS)} {rng.choice(_COLOURS)}"
        quantities = {"MAG": rng.choice((0, rng.randint(1, 60)))}
        if rng.random() < 0.4:
            quantities["ZAP"] = rng.randint(1, 25)
        products.append(
            DemoProduct(
                sku=f"DEMO-{number:05d}",
                name=f"{name} {number}",
                ean=ean13(f"590{seed % 1000:03d}{number:06d}"),
                quantities={code: q for code, q in quantities.items() if q},
            )
        )
    return products


@transaction.atomic
def load_demo_catalogue(n_products: int = 200, *, seed: int = 2026, user=None) -> DemoCatalogue:
    """Create the demo warehouses and products and book their opening stock as approved PZs."""
    warehouses = {
        code: Warehouse.objects.get_or_create(code=code, defaults={"name": name})[0]
        for code, name in WAREHOUSES
    }
    data = demo_products(n_products, seed=seed)
    Product.objects.bulk_create(
        [Product(sku=item.sku, name=item.name, ean=item.ean) for item in data], batch_size=500
    )
    by_sku = Product.objects.in_bulk([item.sku for item in data], field_name="sku")
    receipts = []
    for code, warehouse in warehouses.items():
        lines = [
            (by_sku[item.sku], item.quantities[code]) for item in data if code in item.quantities
        ]
        if lines:
            receipt = services.create_document(
                Document.Kind.PZ, warehouse, lines, user=user, note="Stan początkowy (demo)"
            )
            receipts.append(services.approve(receipt, user=user))
    products = sorted(by_sku.values(), key=lambda product: product.sku)
    return DemoCatalogue(list(warehouses.values()), products, receipts)
