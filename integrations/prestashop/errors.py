"""Typed failures of the PrestaShop webservice, split by what the caller does next.

- ShopConfigError: stop the integration and show why (key, permissions, URL, shop setup).
- ShopPermanentError: this one object cannot be written; mark its link broken.
- ShopTemporaryError: retry later (5xx, timeouts, replies that are not the webservice's).
"""


class PrestaShopError(Exception):
    """Any failure talking to a PrestaShop webservice."""

    def __init__(self, message: str, *, status: int | None = None, codes: list[int] | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.codes = list(codes or [])

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


class ShopPermanentError(PrestaShopError):
    """A problem with one object that retrying will not fix (validation, unknown row)."""


class StockRowNotFound(ShopPermanentError):
    """The stock row does not exist (or not in the shop the client works for)."""

    def __init__(
        self, message: str, *, stock_id: int | None = None, status: int | None = 404, codes=None
    ):
        super().__init__(message, status=status, codes=codes)
        self.stock_id = stock_id


class WriteNotApplied(ShopPermanentError):
    """The shop answered 200 to a write but echoed another quantity than the one sent."""

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


class RateLimited(ShopTemporaryError):
    """HTTP 429 from the shop or the proxy in front of it."""

    def __init__(self, message: str, *, retry_after: float | None = None, status: int | None = 429):
        super().__init__(message, status=status)
        self.retry_after = retry_after


__all__ = [
    "PrestaShopError",
    "RateLimited",
    "ShopConfigError",
    "ShopPermanentError",
    "ShopTemporaryError",
    "StockRowNotFound",
    "UnexpectedResponse",
    "WriteNotApplied",
]
