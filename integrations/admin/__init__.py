"""The operator's panel for the integrations (Polish through Django i18n)."""

from integrations.admin import failed, integration, links, orders, runs, technical

__all__ = ["failed", "integration", "links", "orders", "runs", "technical"]
