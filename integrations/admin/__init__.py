"""The operator's panel for the integrations (Polish through Django i18n)."""

from integrations.admin import alerts, failed, integration, links, orders, reports, runs, technical

__all__ = ["alerts", "failed", "integration", "links", "orders", "reports", "runs", "technical"]
