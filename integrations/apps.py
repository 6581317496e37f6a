from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = _("Integrations")

    def ready(self):
        from celery.signals import task_failure

        from integrations import ratelimit
        from integrations.failure_log import record_failure
        from integrations.limiter_state import ceiling_hook
        from integrations.panel import schedules
        from integrations.receivers import mark_links, mark_reserved, name_followers
        from warehouse.signals import reservations_changed, stock_changed, stock_followers

        stock_changed.connect(mark_links, dispatch_uid="integrations.mark_links")
        stock_followers.connect(name_followers, dispatch_uid="integrations.name_followers")
        reservations_changed.connect(mark_reserved, dispatch_uid="integrations.mark_reserved")
        ratelimit.use_ceiling_hooks(ceiling_hook)
        task_failure.connect(record_failure, dispatch_uid="integrations.record_failure")
        schedules.connect_receivers(self)
