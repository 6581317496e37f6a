"""The PrestaShop 8.1.2 demo shop the reference transcripts were recorded on.

19 products, 39 combinations, 58 stock rows (row id = product id for product rows, 19 +
combination id for combination rows), two languages. What the transcripts show is kept as
they show it: references (07, 08, 58), combinations per product (08), first quantities
(01, 11, 45 and the NOTEs of 16-30), out_of_stock 1 on products 12-14 (16, 18), the option
values and images of product 9's combinations (61). The rest is the demo data's shape as
far as it matters here: references of products 8, 12-15 and 19 and the quantities of rows
no transcript reads before they are written are not shown by any transcript.
"""

from prestashop_sim.catalogue import CombinationItem, Item

LANGUAGES = (1, 2)
# id_product: (reference, name, first combination id, [quantity of each combination])
_WITH_COMBINATIONS = {
    1: ("demo_1", "Hummingbird printed t-shirt", 1, [300] * 8),
    2: ("demo_3", "Hummingbird printed sweater", 9, [1200, 300, 300, 300]),
    3: ("demo_6", "The best is yet to come' Framed poster", 13, [900, 300, 300]),
    4: ("demo_5", "The adventure begins Framed poster", 16, [900, 300, 300]),
    5: ("demo_7", "Today is a good day Framed poster", 19, [900, 300, 300]),
    9: ("demo_15", "Mountain fox cushion", 22, [300, 300]),
    10: ("demo_16", "Brown bear cushion", 24, [300, 300]),
    11: ("demo_17", "Hummingbird cushion", 26, [300, 300]),
    16: ("demo_8", "Mountain fox notebook", 28, [300] * 4),
    17: ("demo_9", "Brown bear notebook", 32, [300] * 4),
    18: ("demo_10", "Hummingbird notebook", 36, [300] * 4),
}
# id_product: (reference, name, out_of_stock)
_SIMPLE = {
    6: ("demo_11", "Mug The best is yet to come", 2),
    7: ("demo_12", "Mug The adventure begins", 2),
    8: ("demo_13", "Mug Today is a good day", 2),
    12: ("demo_18", "Mountain fox - Vector graphics", 1),
    13: ("demo_19", "Brown bear - Vector graphics", 1),
    14: ("demo_20", "Hummingbird - Vector graphics", 1),
    15: ("demo_21", "Pack Mug + Framed poster", 2),
    19: ("demo_14", "Customizable mug", 2),
}
_SIMPLE_QUANTITY = 300
# id_product_attribute: (option value ids, image ids), as 61 lists them
_ASSOCIATIONS = {22: ((8,), (10,)), 23: ((11,), (9,))}


def items() -> list[Item]:
    """The catalogue as catalogue.load() items, in product id order."""
    loaded = []
    for pid in range(1, 20):
        if pid in _SIMPLE:
            reference, name, out_of_stock = _SIMPLE[pid]
            loaded.append(
                Item(
                    reference,
                    "",
                    _SIMPLE_QUANTITY,
                    name=name,
                    id=pid,
                    stock_id=pid,
                    out_of_stock=out_of_stock,
                )
            )
            continue
        reference, name, first, quantities = _WITH_COMBINATIONS[pid]
        combinations = [
            _combination(reference, first + offset, quantity)
            for offset, quantity in enumerate(quantities)
        ]
        loaded.append(
            Item(reference, "", name=name, id=pid, stock_id=pid, combinations=combinations)
        )
    return loaded


def _combination(reference: str, cid: int, quantity: int) -> CombinationItem:
    option_values, images = _ASSOCIATIONS.get(cid, ((), ()))
    return CombinationItem(
        reference,
        "",
        quantity,
        id=cid,
        stock_id=19 + cid,
        option_values=option_values,
        images=images,
    )


def relabel_combinations(store) -> None:
    """What the recording did between 08 and 61: every combination's reference C-<product>-<id>."""
    with store.lock:
        for combination in store.combinations.values():
            combination.reference = f"C-{combination.id_product}-{combination.id}"
