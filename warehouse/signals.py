"""The ledger's outward signals.

``stock_changed`` is sent inside the approve/cancel transaction with
``document`` (the Document), ``product_ids`` and ``warehouse_ids`` (frozensets of the ids
whose balance changed; an MM transfer names both of its warehouses). Receivers may only
write to the database there; anything else (HTTP, enqueueing) must wait for
``transaction.on_commit``.

``stock_followers`` asks, before a change (outside any transaction, read only), who follows
the balances of ``product_ids`` in ``warehouse_ids``: each receiver returns a list of names
(the shops that will follow), so the admin can say so without the ledger knowing of shops.
"""

from collections.abc import Iterable

from django.dispatch import Signal

stock_changed = Signal()
stock_followers = Signal()
# Sent inside the transaction that opens, changes, issues or releases a reservation, with
# ``reservation``, ``product_ids`` and ``warehouse_ids`` (frozensets of the ids whose reserved
# quantity changed). The same rules as for stock_changed apply to its receivers.
reservations_changed = Signal()


def ask_followers(product_ids: Iterable[int], warehouse_ids: Iterable[int]) -> list[str] | None:
    """The sorted names every stock_followers receiver gave; None when no receiver answers."""
    answers = stock_followers.send(
        sender=None, product_ids=frozenset(product_ids), warehouse_ids=frozenset(warehouse_ids)
    )
    if not answers:
        return None
    return sorted({str(name) for _receiver, names in answers for name in names or ()})
