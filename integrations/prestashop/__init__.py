"""PrestaShop webservice client: HTTP and parsing only, no Django."""

from .client import PrestaShopClient
from .errors import (
    Failure,
    PrestaShopError,
    RateLimited,
    ShopConfigError,
    ShopPermanentError,
    ShopTemporaryError,
    StockRowNotFound,
    UnexpectedResponse,
    WriteNotApplied,
)
from .records import AccessReport, CatalogueItem, StockRead, StockRow
from .retry import NO_RETRIES, RetryPolicy
from .transport import Limiter

__all__ = [
    "NO_RETRIES",
    "AccessReport",
    "CatalogueItem",
    "Failure",
    "Limiter",
    "PrestaShopClient",
    "PrestaShopError",
    "RateLimited",
    "RetryPolicy",
    "ShopConfigError",
    "ShopPermanentError",
    "ShopTemporaryError",
    "StockRead",
    "StockRow",
    "StockRowNotFound",
    "UnexpectedResponse",
    "WriteNotApplied",
]
