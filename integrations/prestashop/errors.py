"""Typed failures of the PrestaShop webservice, split by what the caller does next.

- ShopConfigError: stop the integration and show why (key, permissions, URL, shop setup).
- ShopPermanentError: this one object cannot be written; mark its link broken.
- ShopTemporaryError: retry later (5xx, timeouts, replies that are not the webservice's).

Each error also carries a machine-readable `kind` (a Failure), set where it is raised, so
nobody has to read the English message to know what happened (integrations.reasons turns the
kind into the operator's sentence). Attributes every error has:

- kind: Failure; status: HTTP status or None (no reply); codes: PrestaShop error codes
- location: where a 3xx pointed (query cut off), else None
- retry_after: seconds the shop or its proxy asked to wait (429, 503), else None
- answer_lost: the request may have reached the shop but its answer did not come back
- attempts: tries of the request that failed, retries included (1 when not retried)
"""

from enum import StrEnum


class Failure(StrEnum):
    """What went wrong, one value per sentence the operator may need."""

    # configuration: a human must act (ShopConfigError)
    KEY_INVALID = "key_invalid"  # 401/17, 401/18: empty or not 32 characters
    KEY_REFUSED = "key_refused"  # 401/20: unknown or disabled
    NO_CREDENTIALS = "no_credentials"  # plain 401: the key never reached PrestaShop
    PERMISSION_MISSING = "permission_missing"  # 401/21, 401/26, 405/25, another 403
    SHOP_NOT_ALLOWED = "shop_not_allowed"  # 403/132: key not linked to the shop (multistore)
    FIREWALL = "firewall"  # 403 that is not PrestaShop's error (mod_security, Cloudflare)
    METHOD_BLOCKED = "method_blocked"  # 405 that is not PrestaShop's error (server config)
    METHOD_UNSUPPORTED = "method_unsupported"  # 405/23, 405/101
    REDIRECT = "redirect"  # 3xx (see `location`)
    NOT_FOUND = "not_found"  # 404 that is not a row: wrong address or no webservice
    WEBSERVICE_DISABLED = "webservice_disabled"  # 503/22
    REQUEST_TOO_LONG = "request_too_long"  # 414, 431
    BAD_PARAMETERS = "bad_parameters"  # 400/27-39: a field or filter the shop does not know
    TLS_CERTIFICATE = "tls_certificate"  # the certificate could not be verified
    INVALID_URL = "invalid_url"
    CONFIG = "config"  # any other configuration error
    # one object (ShopPermanentError)
    ROW_NOT_FOUND = "row_not_found"
    REFUSED_DATA = "refused_data"  # 400 validation, 500/127, 500/133
    NOT_APPLIED = "not_applied"  # 200, but the echo shows another quantity
    QUANTITY_OUT_OF_RANGE = "quantity_out_of_range"  # refused before sending
    DEPENDS_ON_STOCK = "depends_on_stock"  # advanced stock management row; refused before sending
    UNEXPECTED_STATUS = "unexpected_status"  # a status nothing else explains
    # temporary (ShopTemporaryError)
    RATE_LIMITED = "rate_limited"  # 429
    SERVER_ERROR = "server_error"  # 5xx
    TIMEOUT = "timeout"  # connect or read timeout, 408
    DEADLINE = "deadline"  # the whole exchange took longer than the client's deadline
    CONNECTION = "connection"  # no connection (nothing was sent)
    CONNECTION_LOST = "connection_lost"  # the connection broke after the request was sent
    TEMPORARY = "temporary"  # any other temporary error
    # replies that are not the webservice's (UnexpectedResponse)
    NOT_WEBSERVICE = "not_webservice"  # HTML page, other content type or root, PHP output
    BROKEN_BODY = "broken_body"  # empty, cut off or malformed XML/JSON
    TOO_LARGE = "too_large"  # over the body size cap
    OVER_LIMITS = "over_limits"  # nested deeper than any webservice reply, or parser limits
    DOCTYPE = "doctype"  # XML with a DTD (entities)
    WRONG_DATA = "wrong_data"  # well-formed, but not what was asked for (filters ignored)
    # multi-row writes (batch.BatchWriteError)
    BATCH_NOT_SUPPORTED = "batch_not_supported"  # several rows in one request refused as such
    BATCH_ROW_REFUSED = "batch_row_refused"  # one row of several refused; `cause` says why


class PrestaShopError(Exception):
    """Any failure talking to a PrestaShop webservice."""

    kind: Failure = Failure.TEMPORARY

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        codes: list[int] | None = None,
        kind: Failure | None = None,
        location: str | None = None,
        retry_after: float | None = None,
        answer_lost: bool = False,
    ):
        super().__init__(message)
        self.message = message
        self.status = status
        self.codes = list(codes or [])
        self.kind = kind or type(self).kind
        self.location = location
        self.retry_after = retry_after
        self.answer_lost = answer_lost
        self.attempts = 1

    def __reduce__(self):
        # Celery pickles errors for retries and results; keep every attribute, not just args.
        return (_rebuild, (type(self), self.message, dict(self.__dict__)))


def _rebuild(cls, message, state):
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class ShopConfigError(PrestaShopError):
    """Wrong or disabled key, missing permission, webservice off, wrong URL: a human must act."""

    kind = Failure.CONFIG


class ShopPermanentError(PrestaShopError):
    """A problem with one object that retrying will not fix (validation, unknown row)."""

    kind = Failure.REFUSED_DATA


class StockRowNotFound(ShopPermanentError):
    """The stock row does not exist (or not in the shop the client works for)."""

    kind = Failure.ROW_NOT_FOUND

    def __init__(
        self, message: str, *, stock_id: int | None = None, status: int | None = 404, codes=None
    ):
        super().__init__(message, status=status, codes=codes)
        self.stock_id = stock_id


class WriteNotApplied(ShopPermanentError):
    """The shop answered 200 to a write but echoed another quantity than the one sent."""

    kind = Failure.NOT_APPLIED

    def __init__(
        self,
        message: str,
        *,
        expected: int | None = None,
        actual: int | None = None,
        stock_id: int | None = None,
    ):
        super().__init__(message, status=200)
        self.expected = expected
        self.actual = actual
        self.stock_id = stock_id


class ShopTemporaryError(PrestaShopError):
    """Server errors, timeouts and connection errors: worth retrying later."""


class UnexpectedResponse(ShopTemporaryError):
    """A reply that is not what the webservice sends, or rows that were not asked for."""

    kind = Failure.WRONG_DATA


class RateLimited(ShopTemporaryError):
    """HTTP 429 from the shop or the proxy in front of it."""

    kind = Failure.RATE_LIMITED

    def __init__(self, message: str, *, retry_after: float | None = None, status: int | None = 429):
        super().__init__(message, status=status, retry_after=retry_after)


__all__ = [
    "Failure",
    "PrestaShopError",
    "RateLimited",
    "ShopConfigError",
    "ShopPermanentError",
    "ShopTemporaryError",
    "StockRowNotFound",
    "UnexpectedResponse",
    "WriteNotApplied",
]
