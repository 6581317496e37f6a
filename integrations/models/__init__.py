"""The integrations app's models; import them from here.

Migrations refer to the defaults and validators below by this package's path
(``integrations.models.default_mode``), so each stays importable from it.
"""

from integrations.models.integration import (
    BATCH_START,
    Alert,
    FailedTask,
    Integration,
    OrderFeed,
    ProductLink,
    ShopOrder,
    ShopOrderState,
    StockReport,
    SyncChunk,
    SyncLogEntry,
    SyncRun,
    default_chunk_size,
    default_interval_minutes,
    default_mode,
    email_list,
    validate_email_list,
)

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
