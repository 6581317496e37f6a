"""The ledger's one outward signal.

``stock_changed`` is sent inside the approve/cancel transaction with
``document`` (the Document), ``product_ids`` and ``warehouse_ids`` (frozensets of the ids
whose balance changed). Receivers may only write to the database there; anything else
(HTTP, enqueueing) must wait for ``transaction.on_commit``.
"""

from django.dispatch import Signal

stock_changed = Signal()

# Sent inside the transaction that opens, changes, issues or releases a reservation, with
# ``reservation``, ``product_ids`` and ``warehouse_ids`` (frozensets of the ids whose reserved
# quantity changed). The same rules as for stock_changed apply to its receivers.
reservations_changed = Signal()
