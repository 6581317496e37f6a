"""Request bodies for stock writes. Input is XML in every PrestaShop version (reference §2.1).

Bodies are laid out byte for byte as the requests the real 8.1.2 shop took (transcripts 13,
25, 26, 30; orders/116): the XML declaration, `<prestashop xmlns:xlink=...>`, one
`<stock_available>` per row directly under it, fields on their own tab-indented lines. Rows
are never wrapped in `<stock_availables>`: the shop then fails 400/90 and writes nothing (16, 17).
"""

from collections.abc import Sequence
from dataclasses import replace

from .errors import Failure, ShopPermanentError
from .records import STOCK_FIELDS, StockRow

# stock_available.quantity is a signed INT column, validated to at most 10 characters on 8+.
MIN_QUANTITY = -999_999_999
MAX_QUANTITY = 2_147_483_647

_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<prestashop xmlns:xlink="http://www.w3.org/1999/xlink">\n'
)
_TAIL = "</prestashop>\n"

Change = tuple[StockRow, int]  # a row as read and the quantity to write there


def check_quantity(row: StockRow, quantity: int) -> None:
    """Refuse, before any request, a write the shop is known to reject."""
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise TypeError(f"quantity must be an int, not {type(quantity).__name__}")
    if not MIN_QUANTITY <= quantity <= MAX_QUANTITY:
        raise ShopPermanentError(
            f"stock row {row.id}: quantity {quantity} is outside what PrestaShop can store",
            kind=Failure.QUANTITY_OUT_OF_RANGE,
        )
    if row.depends_on_stock:
        # The shop answers 500/133 to any write of such a row (reference §4.7).
        raise ShopPermanentError(
            f"stock row {row.id} depends on advanced stock management (depends_on_stock=1); "
            "PrestaShop refuses webservice writes to it",
            kind=Failure.DEPENDS_ON_STOCK,
        )


def patch_body(changes: Sequence[Change]) -> bytes:
    """PATCH (8.0+): only the id and the quantity of each row; other columns stay as they are."""
    entities = "".join(
        f"<stock_available>\n\t<id>{row.id}</id>\n\t<quantity>{quantity}</quantity>\n"
        "</stock_available>\n"
        for row, quantity in changes
    )
    return (_HEAD + entities + _TAIL).encode()


def put_body(changes: Sequence[Change]) -> bytes:
    """PUT (1.7, or a key without PATCH): each row in full as read, only the quantity changed.

    A field left out is written as 0 or '' (reference §4.3): a missing id_shop detaches the
    row from its shop, so every field is sent back exactly as the bulk read returned it.
    Values go in CDATA as the shop's own XML has them (the xlink attributes it adds are
    not needed: transcript 25 without them).
    """
    entities = "".join(_full_entity(replace(row, quantity=quantity)) for row, quantity in changes)
    return (_HEAD + entities + _TAIL).encode()


def _full_entity(row: StockRow) -> str:
    fields = "".join(
        f"\t<{name}>{_cdata(str(getattr(row, name)))}</{name}>\n" for name in STOCK_FIELDS
    )
    return f"<stock_available>\n{fields}</stock_available>\n"


def _cdata(text: str) -> str:
    # "]]>" cannot stand inside CDATA: close the section between "]]" and ">".
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"
