"""Writing planned changes one row per request, and what a pass's writes came to.

Multi-row writes (batch_writes.py) fill the same PushResult and fall back to push_changes()
for the rows a shop will not take several at a time.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from integrations.engine.plan import Change
from integrations.prestashop import (
    PrestaShopError,
    ShopConfigError,
    ShopPermanentError,
    ShopTemporaryError,
    StockRow,
    StockRowNotFound,
    WriteNotApplied,
)
from integrations.reasons import describe_failure

STOCK_ROW_NOT_FOUND = _("stock row not found in the shop")


@dataclass
class PushResult:
    written: dict[int, StockRow] = field(default_factory=dict)  # link id -> echoed row
    not_applied: dict[int, str] = field(default_factory=dict)
    broken: dict[int, str] = field(default_factory=dict)
    untouched: list[int] = field(default_factory=list)  # not attempted after an abort
    unverified: list[int] = field(default_factory=list)  # written, but the re-read failed
    aborted: PrestaShopError | None = None
    batch_size: int = 0  # rows per multi-row write in force at the end; 0: none was sent

    def merge(self, other: "PushResult") -> None:
        """Add the outcomes of another set of writes of the same pass."""
        self.written.update(other.written)
        self.not_applied.update(other.not_applied)
        self.broken.update(other.broken)
        self.untouched += other.untouched
        self.unverified += other.unverified
        self.aborted = self.aborted or other.aborted


def push_changes(client, changes: Iterable[Change]) -> PushResult:
    """Write each change; stop at the first shop-wide failure (rate limit, key, outage)."""
    result = PushResult()
    pending = list(changes)
    for position, change in enumerate(pending):
        try:
            result.written[change.link_id] = client.write_quantity(change.row, change.quantity)
        except WriteNotApplied as exc:
            result.not_applied[change.link_id] = describe_failure(exc)
        except StockRowNotFound:
            result.broken[change.link_id] = str(STOCK_ROW_NOT_FOUND)
        except ShopPermanentError as exc:
            result.broken[change.link_id] = describe_failure(exc)
        except (ShopConfigError, ShopTemporaryError) as exc:
            result.aborted = exc
            result.untouched = [c.link_id for c in pending[position:]]
            break
    return result
