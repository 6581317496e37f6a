"""What a failed link or pass leaves behind: back-off, marks kept dirty, uncertain rows.

A failing link stays dirty (in the pushing modes) with its next attempt 30 s after the first
failure, doubled up to an hour; from the eighth failure in a row it is retried hourly and shows
as needing attention (ProductLink.attention_q). A write whose answer was lost leaves its link
uncertain until its row is read again. Every function here is a constant number of queries.
"""

import logging
import random
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Case, F, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from integrations.engine import shop
from integrations.models import Integration, ProductLink
from integrations.prestashop import PrestaShopError, RateLimited, ShopConfigError
from integrations.reasons import describe_failure

logger = logging.getLogger("integrations.sync")

BACKOFF_MAX_SECONDS = 3600


def backoff_delay(failed_attempts: int) -> timedelta:
    """Exponential delay with jitter before a failing link is tried again by a drain: from
    INVSYNC_LINK_RETRY_SECONDS (default 30) doubled up to an hour."""
    base = settings.INVSYNC_LINK_RETRY_SECONDS
    seconds = min(base * 2 ** max(failed_attempts - 1, 0), BACKOFF_MAX_SECONDS)
    return timedelta(seconds=seconds * random.uniform(0.8, 1.2))


def mark_failures(
    links: list[ProductLink],
    reasons: dict[int, str],
    *,
    state: str,
    now: datetime,
    dirty: bool = True,
) -> None:
    """Record failing or broken links, marked dirty so the drain retries them when due.

    A link a full sync found wrong is thus retried on the back-off like any other (30 s
    doubled up to an hour). ``dirty=False`` (the shop-to-ledger mode, which has no drain)
    leaves the marks as they are. One UPDATE; its CASEs grow with the distinct reasons and
    attempt counts, not the links (a chunk failing on one outage shares one reason).
    """
    failed = [link for link in links if link.pk in reasons]
    if not failed:
        return
    by_reason = defaultdict(list)
    for link in failed:
        link.failed_attempts += 1
        by_reason[reasons[link.pk][:2000]].append(link)
    # One jittered delay per attempt count: links that failed together retry together, in
    # one bulk read; tasks and passes still spread apart.
    retry_at = {
        attempts: now + backoff_delay(attempts) if state == ProductLink.State.FAILING else None
        for attempts in {link.failed_attempts for link in failed}
    }
    by_retry = defaultdict(list)
    for link in failed:
        link.state, link.last_error = state, reasons[link.pk][:2000]
        link.next_attempt_at = retry_at[link.failed_attempts]
        by_retry[link.next_attempt_at].append(link)
    marks = {"dirty": True, "dirty_since": Coalesce(F("dirty_since"), Value(now))}
    ProductLink.objects.filter(pk__in=[link.pk for link in failed]).update(
        state=state,
        failed_attempts=F("failed_attempts") + 1,
        last_error=_by_group(by_reason),
        next_attempt_at=_by_group(by_retry),
        **(marks if dirty else {}),
    )


def _by_group(groups: dict) -> Case | Value:
    """The value of each group of links: a plain value if there is one, else a CASE."""
    if len(groups) == 1:
        return Value(next(iter(groups)))
    return Case(
        *[
            When(pk__in=[link.pk for link in group], then=Value(value))
            for value, group in groups.items()
        ]
    )


def pushes(integration: Integration) -> bool:
    """Whether failed links of this integration wait for the drain (not in shop-to-ledger)."""
    return integration.mode != Integration.Mode.PRESTASHOP_TO_LOCAL


def record_abort(integration: Integration, links: list[ProductLink], error: PrestaShopError):
    """A shop-wide failure: stop the integration, or back the links off (a 429 is not theirs)."""
    if isinstance(error, ShopConfigError):
        shop.halt(integration, error)
    elif not isinstance(error, RateLimited):
        reason = describe_failure(error, key=integration.readable_api_key)
        mark_failures(
            links,
            {link.pk: reason for link in links},
            state=ProductLink.State.FAILING,
            now=timezone.now(),
            dirty=pushes(integration),
        )
    logger.warning(
        "Integration inventory sync aborted: integration=%s links=%s error=%s: %s",
        integration.pk,
        len(links),
        type(error).__name__,
        error,
    )


def keep_dirty(link_ids: Iterable[int], *, now: datetime) -> int:
    """Mark dirty links written but not verified (the re-read failed): the drain checks them."""
    ids = list(link_ids)
    if not ids:
        return 0
    return ProductLink.objects.filter(pk__in=ids).update(
        dirty=True, dirty_since=Coalesce(F("dirty_since"), Value(now))
    )


def mark_uncertain(link_ids: Iterable[int], *, now: datetime) -> int:
    """Links whose write lost its answer: uncertain, read again after the shop's own limit.

    That write may land late, over a newer value; at ``recheck_at`` the housekeeping marks the
    link dirty (outbox.make_rechecks_due) and the drain reads the row again.
    """
    ids = list(link_ids)
    if not ids:
        return 0
    recheck_at = now + timedelta(seconds=settings.INVSYNC_UNCERTAIN_RECHECK)
    return ProductLink.objects.filter(pk__in=ids).update(
        state=ProductLink.State.UNCERTAIN, recheck_at=recheck_at
    )


def describe_crash(error: BaseException) -> str:
    """The operator's sentence for an error that is not the shop's (a bug, the database)."""
    details = f"{type(error).__name__}: {error}"
    return _(
        "The sync stopped on an unexpected error in invsync; it will be tried again later. "
        "Details: %(error)s"
    ) % {"error": details[:1000]}


def record_crash(integration: Integration, link_ids: Iterable[int], error: BaseException):
    """An unexpected error stopped a pass: its links fail with the reason, on the back-off."""
    links = list(ProductLink.objects.filter(pk__in=list(link_ids)))
    reason = describe_crash(error)
    mark_failures(
        links,
        dict.fromkeys((link.pk for link in links), reason),
        state=ProductLink.State.FAILING,
        now=timezone.now(),
        dirty=pushes(integration),
    )
    logger.error(
        "Integration inventory sync crashed: integration=%s links=%s",
        integration.pk,
        len(links),
        exc_info=error,
    )
