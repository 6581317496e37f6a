"""Shop failures in the operator's words: one sentence by kind, then the technical detail.

The sentence comes from the error's `kind` (integrations.prestashop.errors.Failure), set where
the error was raised; a configuration stop says what to check. The English message is only
the technical detail, shown after „Details:”, never searched.

Every place that stores or shows a failure (an integration's stop reason, a link's last error,
an audit entry, a chunk or run error, the connection test, the discrepancy report) uses
describe_failure(), so an operator reads the same sentence everywhere. Workers run in
settings.LANGUAGE_CODE, so the stored text is already in the operator's language.
"""

import re
from urllib.parse import urlsplit

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from integrations.encryption import ApiKeyUnreadable
from integrations.prestashop.errors import Failure, PrestaShopError
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
    """The same failure, its text replaced by the operator's description (attributes kept)."""
    if isinstance(error, DescribedFailure):
        return error
    copy = DescribedFailure(describe_failure(error, key=key))
    copy.__dict__.update({k: v for k, v in vars(error).items() if k != "message"})
    return copy


def reason_for(error: BaseException) -> str:
    """One sentence saying what went wrong and what to check, by the failure's kind."""
    if isinstance(error, LimiterTimeout):
        return _("The shop's request limit left no free slot in time; the sync will try again.")
    kind = getattr(error, "kind", None)
    special = _WITH_VALUES.get(kind)
    if special is not None:
        return special(error)
    if kind in _SENTENCES:
        return _(_SENTENCES[kind])
    return _("The shop gave an unexpected answer.")


def _rate_limited_reason(error: PrestaShopError) -> str:
    if error.retry_after is None:
        return _("The shop is limiting requests (HTTP 429); the sync will try again later.")
    return _(
        "The shop is limiting requests (HTTP 429); the sync will try again in %(seconds)s s."
    ) % {"seconds": f"{error.retry_after:g}"}


def _server_error_reason(error: PrestaShopError) -> str:
    return _("The shop reported an error (HTTP %(status)s); the sync will try again later.") % {
        "status": error.status
    }


def _redirect_reason(error: PrestaShopError) -> str:
    if not error.location:
        return _(
            "The shop redirects its webservice to another address. Check the shop URL in the "
            "integration (https, www, a folder)."
        )
    return _(
        "The shop redirects its webservice to %(location)s. Enter that address (e.g. with "
        "https or www) as the shop URL in the integration."
    ) % {"location": error.location}


def _too_long_reason(error: PrestaShopError) -> str:
    return _(
        "The shop's server refused a request as too long (HTTP %(status)s: the URL or the "
        "headers exceed its limit). Check the limits of the server and of any proxy or CDN "
        "in front of it (LimitRequestLine in Apache, large_client_header_buffers in nginx, "
        "maxQueryString in IIS): the sync needs at least 4 KB."
    ) % {"status": error.status}


def _batch_row_reason(error: PrestaShopError) -> str:
    sentence = _(
        "The shop refused one of the stock rows sent together in one request: the rows "
        "before it were saved, the rows after it were not; a new read of the rows shows "
        "which one."
    )
    cause = getattr(error, "cause", None)  # the single-write error that row would get
    return sentence if cause is None else f"{sentence} {reason_for(cause)}"


_WITH_VALUES = {
    Failure.RATE_LIMITED: _rate_limited_reason,
    Failure.SERVER_ERROR: _server_error_reason,
    Failure.REDIRECT: _redirect_reason,
    Failure.REQUEST_TOO_LONG: _too_long_reason,
    Failure.BATCH_ROW_REFUSED: _batch_row_reason,
}
_NOT_WEBSERVICE = gettext_noop(
    "The reply is not the shop webservice's (a maintenance page, a proxy error or a "
    "cut-off reply); the sync will try again. If it lasts, open the shop URL followed by "
    "/api/ in a browser: it should ask for a key, not show a page (check the maintenance "
    "mode and what sits in front of the shop)."
)
_HOSTILE = gettext_noop(
    "The shop's reply has a form no webservice reply has (a DTD, or nesting too deep) and "
    "was refused as possibly hostile; check what sits in front of the shop."
)
_SENTENCES = {
    Failure.KEY_INVALID: gettext_noop(
        "The shop refused the API key: it is empty or not 32 characters long. Check that the "
        "whole key from the shop's back office (Advanced Parameters → Webservice) is entered "
        "in the integration."
    ),
    Failure.KEY_REFUSED: gettext_noop(
        "The shop refused the API key: it is wrong or disabled. Check in the shop's back "
        "office (Advanced Parameters → Webservice) that the key exists and is enabled, and "
        "that the integration has the same key."
    ),
    Failure.NO_CREDENTIALS: gettext_noop(
        "The shop received no API key (a 401 that is not PrestaShop's own): the web server "
        "drops the Authorization header and the ws_key parameter did not get through "
        "either, or a password protection in front of the shop asks for its own login. "
        "Check the server's configuration (CGIPassAuth On, or a SetEnvIf Authorization rule "
        "in .htaccess) and any password protection of /api/."
    ),
    Failure.PERMISSION_MISSING: gettext_noop(
        "The API key lacks a permission the sync needs. Check in the shop's back office "
        "(Advanced Parameters → Webservice) that the key has GET and PUT (on PrestaShop 8 "
        "also PATCH) on stock_availables and GET on products and combinations."
    ),
    Failure.SHOP_NOT_ALLOWED: gettext_noop(
        "The API key is not linked to the shop the integration syncs (multistore). Check "
        "the key's shops in the shop's back office (Advanced Parameters → Webservice), or "
        "the shop id set in the integration."
    ),
    Failure.FIREWALL: gettext_noop(
        "A firewall in front of the shop blocked the request (an HTTP 403 page that is not "
        "PrestaShop's own error), e.g. mod_security, Cloudflare or the hosting panel. Check "
        "its log and rules and allow this server's requests to /api/ (PUT and PATCH "
        "included)."
    ),
    Failure.METHOD_BLOCKED: gettext_noop(
        "The web server in front of PrestaShop does not accept the method (an HTTP 405 that "
        "is not PrestaShop's own error). Check the server's configuration and firewall rules "
        "(e.g. Limit or LimitExcept in Apache, mod_security) and allow PUT and PATCH to /api/."
    ),
    Failure.METHOD_UNSUPPORTED: gettext_noop(
        "The shop's webservice does not support a method the sync uses. Check the "
        "PrestaShop version shown by the connection test and tell the integration's "
        "administrator."
    ),
    Failure.NOT_FOUND: gettext_noop(
        "There is no webservice at this address (HTTP 404): check the shop URL in the "
        "integration, and that the shop's friendly URLs or its .htaccess pass /api/ to "
        "PrestaShop (the address …/api/ should ask for a key). Without friendly URLs, enter "
        "the shop address ending in /webservice/dispatcher.php."
    ),
    Failure.WEBSERVICE_DISABLED: gettext_noop(
        "The webservice is disabled in the shop's back office. Turn it on: Advanced "
        "Parameters → Webservice → Enable PrestaShop's webservice."
    ),
    Failure.BAD_PARAMETERS: gettext_noop(
        "The shop does not know a field or filter the sync asks for (HTTP 400). Check the "
        "PrestaShop version and any module that changes the webservice; the details below "
        "name the field."
    ),
    Failure.TLS_CERTIFICATE: gettext_noop(
        "The shop's TLS certificate could not be verified. Check that it is valid, issued "
        "for this domain and served with its intermediate certificates; turn verification "
        "off only for a test shop."
    ),
    Failure.INVALID_URL: gettext_noop("The shop URL is not valid: check it in the integration."),
    Failure.CONFIG: gettext_noop("The shop's configuration does not allow the sync."),
    Failure.ROW_NOT_FOUND: gettext_noop("The product or its stock row does not exist in the shop."),
    Failure.REFUSED_DATA: gettext_noop(
        "The shop refused the data: it did not pass the shop's validation."
    ),
    Failure.NOT_APPLIED: gettext_noop(
        "The shop accepted the change but did not apply it (a module or an override in "
        "the shop may undo it)."
    ),
    Failure.QUANTITY_OUT_OF_RANGE: gettext_noop(
        "The quantity is outside what PrestaShop can store; it was not sent."
    ),
    Failure.DEPENDS_ON_STOCK: gettext_noop(
        "The product uses advanced stock management (depends_on_stock) and PrestaShop does "
        "not let the webservice change its stock. Turn it off for the product in the shop, "
        "or leave the product out of the sync."
    ),
    Failure.UNEXPECTED_STATUS: gettext_noop("The shop gave an unexpected answer."),
    Failure.TIMEOUT: gettext_noop(
        "The shop did not answer in time; the sync will try again later."
    ),
    Failure.DEADLINE: gettext_noop(
        "The shop did not send its whole answer in time (it came too slowly); the sync will "
        "try again later."
    ),
    Failure.CONNECTION: gettext_noop(
        "The shop cannot be reached: it is down, or the address or the network is wrong."
    ),
    Failure.CONNECTION_LOST: gettext_noop(
        "The connection to the shop broke before its answer arrived; the sync will try again later."
    ),
    Failure.TEMPORARY: gettext_noop(
        "The shop cannot be reached or did not answer as a PrestaShop webservice."
    ),
    Failure.NOT_WEBSERVICE: _NOT_WEBSERVICE,
    Failure.BROKEN_BODY: _NOT_WEBSERVICE,
    Failure.TOO_LARGE: gettext_noop(
        "The shop's reply was larger than the client accepts and was refused (the shop may "
        "be ignoring filters); the sync will try again."
    ),
    Failure.OVER_LIMITS: _HOSTILE,
    Failure.DOCTYPE: _HOSTILE,
    Failure.WRONG_DATA: gettext_noop(
        "The shop sent other data than asked for (it may be ignoring filters or the shop "
        "id); the sync will try again."
    ),
    Failure.BATCH_NOT_SUPPORTED: gettext_noop(
        "The shop does not accept several stock rows in one request (its webservice, or a "
        "server or firewall in front of it, refuses such a request); the rows have to be "
        "written one at a time, which takes longer."
    ),
}


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
