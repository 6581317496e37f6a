"""PrestaShop webservice client: HTTP and parsing only, no Django."""

from .address import ShopAddress, parse_address
from .batch import BatchNotSupported, BatchRowRefused, BatchWriteError
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
from .orders import OrderHead, OrderLine, OrderStateInfo
from .records import AccessReport, BatchSupport, BatchWrite, CatalogueItem, StockRead, StockRow
from .retry import NO_RETRIES, RetryPolicy
from .transport import Limiter

__all__ = [
    "NO_RETRIES",
    "AccessReport",
    "BatchNotSupported",
    "BatchRowRefused",
    "BatchSupport",
    "BatchWrite",
    "BatchWriteError",
    "CatalogueItem",
    "Failure",
    "Limiter",
    "OrderHead",
    "OrderLine",
    "OrderStateInfo",
    "PrestaShopClient",
    "PrestaShopError",
    "RateLimited",
    "RetryPolicy",
    "ShopAddress",
    "ShopConfigError",
    "ShopPermanentError",
    "ShopTemporaryError",
    "StockRead",
    "StockRow",
    "StockRowNotFound",
    "UnexpectedResponse",
    "WriteNotApplied",
    "parse_address",
]
