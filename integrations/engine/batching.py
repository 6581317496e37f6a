"""Multi-row writes: whether an integration uses them, and how many rows go in one request.

Whether a shop takes several rows in one PUT/PATCH is learned, not assumed (a real 8.1.2 does,
transcripts 25-30; a module, an older webservice or a proxy may not): the connection test
probes it and the first multi-row write of a sync settles it; the answer is kept on the
integration with its reason and time. The operator's switch (Integration.batch_writes) says
what to do with it: auto follows what was learned, on always tries (a refusal still falls
back to single writes for those rows), off writes one row per request.

The size adapts: it starts at 50 rows, doubles (up to 500) while a write twice as big would
still finish within INVSYNC_WRITE_BATCH_SECONDS by the last write's time per row, and halves
after a timeout or a server error (shared hosts stop PHP after 30 s). It is kept per
integration, so the next pass and the next run start where the last one ended. A remainder
of at most a quarter of the size joins the last request rather than costing one of its own.
"""

import logging
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass

from django.conf import settings
from django.db.models import F
from django.db.models.functions import Least
from django.utils import timezone
from django.utils.translation import gettext as _

from integrations.models import BATCH_START, Integration
from integrations.prestashop import BatchNotSupported, BatchSupport
from integrations.reasons import details

logger = logging.getLogger("integrations.sync")

BATCH_MAX = 500
BATCH_MIN = 2  # below two rows a batch is a single write


def uses_batches(integration: Integration) -> bool:
    """Whether the engine writes this shop's rows several per request."""
    if integration.batch_writes == Integration.BatchWrites.OFF:
        return False
    if integration.batch_writes == Integration.BatchWrites.ON:
        return True
    return integration.batch_support != Integration.BatchSupport.UNSUPPORTED


def refusal_reason(error: BatchNotSupported) -> str:
    """The operator's sentence for a shop that refused several rows in one request."""
    return " ".join(
        [
            _("The shop does not take several stock rows in one request."),
            _("Details: %(error)s") % {"error": details(error)},
        ]
    )


def record_support(integration: Integration, support: BatchSupport) -> bool:
    """Remember what a probe or a write learned; True (and one log line) if it changed."""
    state = Integration.BatchSupport
    learned = state.SUPPORTED if support.supported else state.UNSUPPORTED
    reason = ""
    if not support.supported:
        reason = refusal_reason(support.error) if support.error else support.reason
    now = timezone.now()
    changed = (
        Integration.objects.filter(pk=integration.pk)
        .exclude(batch_support=learned)
        .update(batch_support=learned, batch_support_reason=reason, batch_support_checked_at=now)
        > 0
    )
    if not changed:
        Integration.objects.filter(pk=integration.pk).update(
            batch_support_reason=reason, batch_support_checked_at=now
        )
    integration.batch_support, integration.batch_support_reason = learned, reason
    integration.batch_support_checked_at = now
    if changed:
        _log_change(integration, support)
    return changed


def _log_change(integration: Integration, support: BatchSupport) -> None:
    if support.supported:
        logger.info(
            "Integration multi-row writes: integration=%s supported method=%s",
            integration.pk,
            support.method,
        )
        return
    logger.warning(
        "Integration multi-row writes refused, writing one row per request: integration=%s "
        "reason=%s",
        integration.pk,
        support.reason,
    )


def learn_from_write(integration: Integration, *, method: str, refusal=None) -> None:
    """Record the outcome of a real multi-row write, once: nothing if it is already known."""
    state = Integration.BatchSupport
    learned = state.UNSUPPORTED if refusal is not None else state.SUPPORTED
    if integration.batch_support == learned:
        return
    if refusal is None:
        support = BatchSupport(True, method)
    else:
        support = BatchSupport(False, refusal.method, refusal.message, refusal)
    record_support(integration, support)


@dataclass
class BatchSizer:
    """The rows per request in force for one integration, adapted after every write."""

    integration_id: int
    size: int
    budget: float  # seconds a multi-row write may take
    stored: int  # the integration's value as this pass last saw it

    @classmethod
    def for_integration(cls, integration: Integration) -> "BatchSizer":
        stored = integration.batch_size
        size = min(max(stored or BATCH_START, BATCH_MIN), BATCH_MAX)
        return cls(integration.pk, size, settings.INVSYNC_WRITE_BATCH_SECONDS, stored)

    def take(self, pending: int) -> int:
        """Rows for the next request out of `pending`: the size in force, except that a
        remainder of at most a quarter of it rides along instead of costing a request of its
        own (a pass of 57 rows at 50 is one request; a request never exceeds BATCH_MAX)."""
        rows = min(self.size, pending)
        rest = pending - rows
        if 0 < rest <= self.size // 4 and pending <= BATCH_MAX:
            rows = pending
        return rows

    def succeeded(self, rows: int, seconds: float) -> None:
        """Grow if a write twice the size would still fit the budget (linear in the rows)."""
        grown = min(self.size * 2, BATCH_MAX)
        if grown > self.size and seconds * grown / max(rows, 1) <= self.budget:
            self.size = grown

    def failed(self, rows: int) -> None:
        """Halve after a timeout or a server error on a write of `rows` rows; stored at once,
        so the other workers of the integration send smaller batches from their next pass."""
        self.size = max(BATCH_MIN, min(self.size, rows) // 2)
        Integration.objects.filter(pk=self.integration_id).update(
            batch_size=Least(F("batch_size"), self.size)
        )
        self.stored = self.size

    def save(self) -> None:
        """Keep a grown size for the next pass (one UPDATE, none when unchanged); only from
        the value this pass saw, so a halving by another worker meanwhile wins."""
        if self.size == self.stored:
            return
        Integration.objects.filter(pk=self.integration_id, batch_size=self.stored).update(
            batch_size=self.size
        )
        self.stored = self.size


class ExchangeTimer:
    """Wraps a limiter: how long the last request held its slot, i.e. the HTTP exchange
    itself, without the time spent waiting for the shop's rate or a free slot."""

    def __init__(self, limiter=None):
        self._limiter = limiter
        self.last = 0.0

    def wrap(self, limiter) -> "ExchangeTimer":
        """Time the exchanges `limiter` admits (for shop.client_for's wrap_limiter)."""
        self._limiter = limiter
        return self

    @contextmanager
    def slot(self, *args, **kwargs):
        held = self._limiter.slot(*args, **kwargs) if self._limiter else nullcontext()
        with held:
            started = time.monotonic()
            try:
                yield
            finally:
                self.last = time.monotonic() - started

    def __getattr__(self, name):
        return getattr(self._limiter, name)
