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
    RateLimited,
    ShopConfigError,
    ShopPermanentError,
    ShopTemporaryError,
    StockRow,
    StockRowNotFound,
    WriteNotApplied,
)
from integrations.reasons import describe_failure

STOCK_ROW_NOT_FOUND = _("stock row not found in the shop")


# Temporary failures in a row that end a pass: a shop that is down costs three requests, a
# flaky one still gets every other row written.
TEMPORARY_STREAK = 3


@dataclass
class PushResult:
    written: dict[int, StockRow] = field(default_factory=dict)  # link id -> echoed row
    not_applied: dict[int, str] = field(default_factory=dict)
    broken: dict[int, str] = field(default_factory=dict)
    temporary: dict[int, PrestaShopError] = field(default_factory=dict)  # to try again
    untouched: list[int] = field(default_factory=list)  # not attempted after an abort
    unverified: list[int] = field(default_factory=list)  # written, but the re-read failed
    uncertain: set[int] = field(default_factory=set)  # a write whose answer was lost
    handed_over: list[int] = field(default_factory=list)  # left to a drain (a newer change)
    aborted: PrestaShopError | None = None
    batch_size: int = 0  # rows per multi-row write in force at the end; 0: none was sent

    @property
    def error(self) -> PrestaShopError | None:
        """The failure the caller must retry after: the abort, else the first temporary one."""
        return self.aborted or next(iter(self.temporary.values()), None)

    def merge(self, other: "PushResult") -> None:
        """Add the outcomes of another set of writes of the same pass."""
        self.written.update(other.written)
        self.not_applied.update(other.not_applied)
        self.broken.update(other.broken)
        self.temporary.update(other.temporary)
        self.untouched += other.untouched
        self.unverified += other.unverified
        self.uncertain |= other.uncertain
        self.handed_over += other.handed_over
        self.aborted = self.aborted or other.aborted


def push_changes(
    client, changes: Iterable[Change], *, wrote=None, stop=None, hand_over=None
) -> PushResult:
    """Write each change; a temporary failure costs its row only, until TEMPORARY_STREAK in a
    row or a shop-wide one (rate limit, key, permissions) stops the pass.

    ``wrote()``, if given, is called after each accepted write (live counts). ``stop()``,
    asked before each write, ends the writes early: the rest are left untouched. Before each
    write ``hand_over(link ids still to write)`` names those not to write any more (a drain
    sends a newer quantity).
    """
    result = PushResult()
    pending = list(changes)
    handed: set[int] = set()
    streak = 0
    for position, change in enumerate(pending):
        if stop is not None and stop():
            result.untouched = _left(pending[position:], handed)
            break
        if hand_over is not None:
            handed |= hand_over(_left(pending[position:], handed))
        if change.link_id in handed:
            continue
        try:
            result.written[change.link_id] = client.write_quantity(change.row, change.quantity)
            if wrote is not None:
                wrote()
        except WriteNotApplied as exc:
            result.not_applied[change.link_id] = describe_failure(exc)
        except StockRowNotFound:
            result.broken[change.link_id] = str(STOCK_ROW_NOT_FOUND)
        except ShopPermanentError as exc:
            result.broken[change.link_id] = describe_failure(exc)
        except (ShopConfigError, RateLimited) as exc:
            result.aborted = exc
            result.untouched = _left(pending[position:], handed)
            break
        except ShopTemporaryError as exc:
            result.temporary[change.link_id] = exc
            streak += 1
            if streak >= TEMPORARY_STREAK:
                result.aborted = exc
                result.untouched = _left(pending[position + 1 :], handed)
                break
            continue
        streak = 0
    result.handed_over = sorted(handed)
    return result


def _left(changes: Iterable[Change], handed: set[int]) -> list[int]:
    """The link ids of these changes not handed over."""
    return [change.link_id for change in changes if change.link_id not in handed]
