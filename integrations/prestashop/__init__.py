"""PrestaShop webservice client: HTTP and parsing only, no Django."""

from .client import PrestaShopClient
from .errors import (
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
from .transport import Limiter

__all__ = [
    "AccessReport",
    "CatalogueItem",
    "Limiter",
    "PrestaShopClient",
    "PrestaShopError",
    "RateLimited",
    "ShopConfigError",
    "ShopPermanentError",
    "ShopTemporaryError",
    "StockRead",
    "StockRow",
    "StockRowNotFound",
    "UnexpectedResponse",
    "WriteNotApplied",
]
