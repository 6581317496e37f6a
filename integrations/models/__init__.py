"""The integrations app's models, one module per concept; import them from here.

Migrations refer to the defaults and validators below by this package's path
(``integrations.models.default_mode``), so each stays importable from it.
"""

from integrations.models.alerts import Alert
from integrations.models.failures import FailedTask
from integrations.models.integration import (
    BATCH_START,
    Integration,
    default_chunk_size,
    default_interval_minutes,
    default_mode,
    email_list,
    validate_email_list,
)
from integrations.models.links import ProductLink
from integrations.models.orders import OrderFeed, ShopOrder, ShopOrderState
from integrations.models.reports import StockReport
from integrations.models.runs import SyncChunk, SyncLogEntry, SyncRun

__all__ = [
    "BATCH_START",
    "Alert",
    "FailedTask",
    "Integration",
    "OrderFeed",
    "ProductLink",
    "ShopOrder",
    "ShopOrderState",
    "StockReport",
    "SyncChunk",
    "SyncLogEntry",
    "SyncRun",
    "default_chunk_size",
    "default_interval_minutes",
    "default_mode",
    "email_list",
    "validate_email_list",
]
