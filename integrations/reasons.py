"""Shop failures in the operator's words: one sentence by category, then the technical detail.

Every place that stores or shows a failure (an integration's stop reason, a link's last error,
an audit entry, a chunk or run error, the connection test, the discrepancy report) uses
describe_failure(), so an operator reads the same sentence everywhere. Workers run in
settings.LANGUAGE_CODE, so the stored text is already in the operator's language.
"""

import re
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from integrations.encryption import ApiKeyUnreadable
from integrations.prestashop.errors import (
    PrestaShopError,
    RateLimited,
    ShopConfigError,
    ShopPermanentError,
    ShopTemporaryError,
    StockRowNotFound,
    UnexpectedResponse,
    WriteNotApplied,
)
from integrations.ratelimit.slots import LimiterTimeout

DETAILS_MAX = 600
# A URL or a query ends before a space, a quote, a bracket or a final punctuation mark.
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s'\"<>()]*[^\s'\"<>().,:;]", re.IGNORECASE)
_QUERY = re.compile(r"\?[^\s'\"<>()]*[^\s'\"<>().,:;]")
# requests' own text ("HTTPConnectionPool(host=…): Max retries exceeded with url: … (Caused
# by …)") repeats the URL and is cut at 300 characters by the transport: keep only the cause.
_REQUESTS_REASON = re.compile(r"\((\w+): \w*Pool\(.*$", re.DOTALL)
_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\"()\[\]]+)")
_CAUSED_BY = re.compile(r"Caused by (\w+)")


class DescribedFailure(PrestaShopError):
    """A shop failure already put in the operator's words; its text is the description."""


def describe_failure(error: object, *, key: str = "") -> str:
    """The operator's sentence for this failure, followed by „Details: …” (never the key)."""
    return " ".join(failure_lines(error, key=key))


def failure_lines(error: object, *, key: str = "") -> list[str]:
    """[the sentence by category, „Details: …”]; a described failure, an unreadable key or a
    text is kept as it is."""
    if isinstance(error, DescribedFailure | ApiKeyUnreadable) or not isinstance(
        error, BaseException
    ):
        return [mask(str(error), key)]
    return [reason_for(error), _("Details: %(error)s") % {"error": details(error, key=key)}]


def described(error: PrestaShopError, *, key: str = "") -> DescribedFailure:
    """The same failure, its text replaced by the operator's description (status kept)."""
    if isinstance(error, DescribedFailure):
        return error
    return DescribedFailure(
        describe_failure(error, key=key), status=error.status, codes=error.codes
    )


def reason_for(error: BaseException) -> str:
    """One sentence saying what went wrong and who must act, by the failure's category."""
    if isinstance(error, LimiterTimeout):
        return _("The shop's request limit left no free slot in time; the sync will try again.")
    if isinstance(error, RateLimited):
        return _rate_limited_reason(error)
    if isinstance(error, WriteNotApplied):
        return _(
            "The shop accepted the change but did not apply it (a module or an override in "
            "the shop may undo it)."
        )
    if isinstance(error, StockRowNotFound):
        return _("The product or its stock row does not exist in the shop.")
    if isinstance(error, UnexpectedResponse):
        return _(
            "The reply is not the shop webservice's (a maintenance page, a proxy error or a "
            "cut-off reply); the sync will try again."
        )
    if isinstance(error, ShopConfigError):
        return _config_reason(error)
    if isinstance(error, ShopPermanentError):
        if error.status == 400 or (error.status or 0) >= 500:
            return _("The shop refused the data: it did not pass the shop's validation.")
        return _("The shop gave an unexpected answer.")
    if isinstance(error, ShopTemporaryError):
        return _temporary_reason(error)
    return _("The shop gave an unexpected answer.")


def _rate_limited_reason(error: RateLimited) -> str:
    if error.retry_after is None:
        return _("The shop is limiting requests (HTTP 429); the sync will try again later.")
    return _(
        "The shop is limiting requests (HTTP 429); the sync will try again in %(seconds)s s."
    ) % {"seconds": f"{error.retry_after:g}"}


def _config_reason(error: ShopConfigError) -> str:
    status, text = error.status, error.message
    if status == 401:
        return _("The shop refused the API key: it is wrong, disabled or has no rights.")
    if status in (403, 405):
        return _("The shop refused access: the key lacks a permission, or a firewall blocks it.")
    if status == 503:
        return _("The webservice is disabled in the shop's back office.")
    if status == 404 or (status is not None and 300 <= status < 400):
        return _("There is no webservice at this address: check the shop URL.")
    # Failures before any reply carry no status; the transport names them in its text.
    if status is None and "TLS certificate" in text:
        return _("The shop's TLS certificate could not be verified.")
    if status is None and "URL is not valid" in text:
        return _("The shop URL is not valid: check it in the integration.")
    return _("The shop's configuration does not allow the sync.")


def _temporary_reason(error: ShopTemporaryError) -> str:
    status = error.status
    if status is not None and status >= 500:
        return _("The shop reported an error (HTTP %(status)s); the sync will try again later.") % {
            "status": status
        }
    if status == 408 or "did not answer in time" in error.message:
        return _("The shop did not answer in time; the sync will try again later.")
    if status is None:
        return _("The shop cannot be reached: it is down, or the address or the network is wrong.")
    return _("The shop cannot be reached or did not answer as a PrestaShop webservice.")


def details(error: BaseException, *, key: str = "") -> str:
    """The technical text: method and path, no URL, no query string, never the key."""
    text = mask(str(error) or type(error).__name__, key)
    text = _URL.sub(lambda match: urlsplit(match.group()).path or "/", text)
    text = _QUERY.sub("", text)
    # The transport raises `from None`, which hides but keeps the requests exception.
    origin = str(error.__context__ or "")
    text = _REQUESTS_REASON.sub(lambda match: _short_requests_reason(match, origin), text)
    return text if len(text) <= DETAILS_MAX else text[: DETAILS_MAX - 1] + "…"


def mask(text: str, key: str) -> str:
    """`text` without the API key, in case a message ever carried it."""
    return text.replace(key, "***") if key else text


def _short_requests_reason(match: re.Match, origin: str) -> str:
    """(ConnectionError: Connection refused): the error's name and its root cause, if known."""
    name = match.group(1)
    for pattern in (_ERRNO, _CAUSED_BY):
        for text in (match.group(0), origin):
            cause = pattern.search(text)
            if cause:
                return f"({name}: {cause.group(1).strip()})"
    return f"({name})"
