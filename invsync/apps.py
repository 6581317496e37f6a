"""The project's replacement of django.contrib.admin's app config (its own admin site)."""

from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    default_site = "invsync.admin_site.InvsyncAdminSite"
