"""PrestaShop's stock limit: the bound of every quantity the ledger holds.

PrestaShop stores ``stock_available.quantity`` as a signed 32-bit INT, so a balance above
2,147,483,647 could never reach a shop. Lines, balances and movements are held to it by the
services, by the admin forms and by check constraints in the database.
"""

from django.utils.formats import number_format

MAX_QUANTITY = 2_147_483_647


def limit_text() -> str:
    """The limit written for the active language (2,147,483,647 or 2 147 483 647)."""
    return number_format(MAX_QUANTITY, force_grouping=True)
