"""Request bodies for stock writes. Input is XML in every PrestaShop version (reference §2.1)."""

from dataclasses import replace
from xml.sax.saxutils import escape

from .errors import Failure, ShopPermanentError
from .records import STOCK_FIELDS, StockRow

# stock_available.quantity is a signed INT column, validated to at most 10 characters on 8+.
MIN_QUANTITY = -999_999_999
MAX_QUANTITY = 2_147_483_647


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


def patch_body(row: StockRow, quantity: int) -> bytes:
    """PATCH (8.0+): only the id and the quantity; every other column stays as it is."""
    return (
        f"<prestashop><stock_available><id>{row.id}</id><quantity>{quantity}</quantity>"
        "</stock_available></prestashop>"
    ).encode()


def put_body(row: StockRow, quantity: int) -> bytes:
    """PUT (1.7): the full row as read, only the quantity changed.

    A field left out is written as 0 or '' (reference §4.3): a missing id_shop detaches the
    row from its shop, so every field is sent back exactly as the bulk read returned it.
    """
    changed = replace(row, quantity=quantity)
    fields = "".join(
        f"<{name}>{escape(str(getattr(changed, name)))}</{name}>" for name in STOCK_FIELDS
    )
    return f"<prestashop><stock_available>{fields}</stock_available></prestashop>".encode()
