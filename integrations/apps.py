from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = _("Integrations")

    def ready(self):
        from integrations import ratelimit
        from integrations.limiter_state import ceiling_hook
        from integrations.panel import schedules
        from integrations.receivers import mark_links
        from warehouse.signals import stock_changed

        stock_changed.connect(mark_links, dispatch_uid="integrations.mark_links")
        ratelimit.use_ceiling_hooks(ceiling_hook)
        schedules.connect_receivers(self)
