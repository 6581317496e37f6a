"""Writing a pass's changes several rows per request, and resolving the writes that fail.

A multi-row write is no transaction (transcripts 27-29): a refused row stops the request
there, the rows before it stay written and the answer names no row; a timeout or a lost
answer says nothing at all. So a failed batch is resolved by reading its rows again (one list
read) to learn which were applied, and only the rest is sent again:
- a row refused by the shop (BatchRowRefused): a row gone from the shop is seen missing in the
  re-read; otherwise the first row not applied, in the body's order, is where the shop
  stopped. It is written alone, so the shop's own answer names what is wrong with it and only
  that link breaks; the rows after it go on in batches;
- a timeout, a 5xx or a lost answer: the size halves and the rows not applied go on in smaller
  batches; after MAX_TEMPORARY_FAILURES in one pass the pass stops (its task retries later);
- a refusal of multi-row writes as such (BatchNotSupported): it is remembered, and these rows
  and the rest of the pass are written one per request;
- a rate limit, a key or a permission error stops the pass, as it stops single writes.
"""

import logging
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from integrations.engine import batching
from integrations.engine.plan import Change
from integrations.engine.writes import STOCK_ROW_NOT_FOUND, PushResult, push_changes
from integrations.models import Integration
from integrations.prestashop import (
    BatchNotSupported,
    BatchRowRefused,
    PrestaShopError,
    RateLimited,
    ShopTemporaryError,
    StockRow,
)
from integrations.ratelimit.slots import LimiterTimeout
from integrations.reasons import describe_failure

logger = logging.getLogger("integrations.sync")

MAX_TEMPORARY_FAILURES = 3


class _Abort(Exception):
    """A shop-wide failure: the pass stops; `pending` were not (knowingly) written."""

    def __init__(self, error: PrestaShopError, pending: Sequence[Change]):
        super().__init__(str(error))
        self.error, self.pending = error, list(pending)


@dataclass
class BatchPass:
    """The multi-row writes of one pass: one client, one sizer, one result."""

    client: object
    integration: Integration
    sizer: batching.BatchSizer
    timer: batching.ExchangeTimer
    result: PushResult
    temporary_failures: int = 0

    def send(self, batch: list[Change]) -> list[Change]:
        """Write one batch; returns the changes that must be sent again."""
        if len(batch) == 1:
            return self.send_alone(batch[0])
        try:
            outcome = self.client.write_quantities([(c.row, c.quantity) for c in batch])
        except BatchRowRefused as error:
            return self.after_refusal(batch, error)
        except (BatchNotSupported, RateLimited, LimiterTimeout):
            raise
        except ShopTemporaryError as error:
            return self.after_lost_answer(batch, error)
        batching.learn_from_write(self.integration, method=outcome.method)
        self.sizer.succeeded(len(batch), self.timer.last)
        self.record(batch, outcome)
        return []

    def record(self, batch: list[Change], outcome) -> None:
        """Every row of an answered batch: written, not applied, or refused before sending."""
        for change in batch:
            stock_id, link_id = change.row.id, change.link_id
            if stock_id in outcome.written:
                self.result.written[link_id] = outcome.written[stock_id]
            elif stock_id in outcome.not_applied:
                self.result.not_applied[link_id] = describe_failure(outcome.not_applied[stock_id])
            else:
                self.result.broken[link_id] = describe_failure(outcome.refused[stock_id])

    def send_alone(self, change: Change) -> list[Change]:
        """One row per request, as push_changes writes it; a shop-wide failure aborts."""
        single = push_changes(self.client, [change])
        if single.aborted is not None:
            raise _Abort(single.aborted, [change])
        self.result.merge(single)
        return []

    def after_refusal(self, batch: list[Change], error: BatchRowRefused) -> list[Change]:
        """Learn from a re-read which rows were applied; write the first row left alone."""
        missing_before = len(self.result.broken)
        pending = self.settle(batch)
        if not pending or (error.missing and len(self.result.broken) > missing_before):
            return pending  # a row gone from the shop stopped it: the rest was not reached
        first, rest = pending[0], pending[1:]
        try:
            self.send_alone(first)
        except _Abort as abort:
            raise _Abort(abort.error, [*abort.pending, *rest]) from None
        return rest

    def after_lost_answer(self, batch: list[Change], error: ShopTemporaryError) -> list[Change]:
        """A timeout, a 5xx or a lost answer: halve the size, re-read, go on with the rest."""
        self.temporary_failures += 1
        self.sizer.failed(len(batch))
        logger.warning(
            "Integration multi-row write failed: integration=%s rows=%s size_now=%s error=%s",
            self.integration.pk,
            len(batch),
            self.sizer.size,
            error,
        )
        if self.temporary_failures > MAX_TEMPORARY_FAILURES:
            raise _Abort(error, batch)
        return self.settle(batch)

    def settle(self, batch: list[Change]) -> list[Change]:
        """Re-read the batch's rows (one list read): record the applied and the missing ones,
        return the rest with the rows as they are now."""
        now = self.reread(batch)
        pending = []
        for change in batch:
            row = now.get(change.row.id)
            if row is None:
                self.result.broken[change.link_id] = str(STOCK_ROW_NOT_FOUND)
            elif row.quantity == change.quantity:
                self.result.written[change.link_id] = row
            else:
                pending.append(Change(change.link_id, row, change.quantity))
        return pending

    def reread(self, batch: list[Change]) -> dict[int, StockRow]:
        try:
            read = self.client.fetch_stock({change.row.id_product for change in batch})
        except PrestaShopError as error:
            raise _Abort(error, batch) from None
        return {row.id: row for row in read.rows.values()}


def push_in_batches(
    client, changes: Sequence[Change], *, integration: Integration, timer, stop=None, hand_over=None
) -> PushResult:
    """Write the changes several rows per request; every change ends written, not applied,
    broken, handed over or untouched (after an abort or a stop, for the next pass).

    ``stop()`` and ``hand_over(link ids)`` are asked before each batch, as push_changes asks
    them before each row.
    """
    sizer = batching.BatchSizer.for_integration(integration)
    state = BatchPass(client, integration, sizer, timer, PushResult())
    queue = deque(changes)
    while queue:
        if stop is not None and stop():
            state.result.untouched += [change.link_id for change in queue]
            break
        if hand_over is not None:
            queue = _hand_over(queue, hand_over, state.result)
            if not queue:
                break
        batch = [queue.popleft() for _ in range(sizer.take(len(queue)))]
        try:
            queue.extendleft(reversed(state.send(batch)))
        except BatchNotSupported as refusal:
            batching.learn_from_write(integration, method=refusal.method, refusal=refusal)
            rest = push_changes(client, [*batch, *queue], stop=stop, hand_over=hand_over)
            state.result.merge(rest)
            _keep_size(integration, sizer)
            return state.result  # batch_size stays 0: these rows went one per request
        except _Abort as abort:
            _abort(state.result, abort.error, [*abort.pending, *queue])
            break
        except PrestaShopError as error:  # rate limit, key, permission: nothing was written
            _abort(state.result, error, [*batch, *queue])
            break
    _keep_size(integration, sizer)
    state.result.batch_size = sizer.size
    return state.result


def _hand_over(queue: deque, hand_over, result: PushResult) -> deque:
    """The changes still to write once those a drain takes over are left out."""
    handed = hand_over([change.link_id for change in queue])
    if not handed:
        return queue
    result.handed_over += sorted(handed)
    return deque(change for change in queue if change.link_id not in handed)


def _keep_size(integration: Integration, sizer: batching.BatchSizer) -> None:
    sizer.save()
    integration.batch_size = sizer.size  # the drain's next pass starts from it


def _abort(result: PushResult, error: PrestaShopError, pending: list[Change]) -> None:
    result.aborted = error
    result.untouched += [change.link_id for change in pending]
