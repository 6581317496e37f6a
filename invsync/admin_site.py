"""The project's admin site: the start page ("Pulpit") and Polish object names in titles.

Installed through invsync.apps.AdminConfig (Django's documented way to replace the default
site), so every ``@admin.register`` in the apps registers here.
"""

import functools

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from integrations.panel.start_page import dashboard_context
from invsync.grammar import fix_admin_response


class InvsyncAdminSite(admin.AdminSite):
    site_header = _("invsync administration")
    site_title = _("invsync admin")
    index_title = _("Dashboard")
    # The sections are on the start page and in the breadcrumbs; without the side menu a list
    # has the screen's width for its columns (1,366 px laptops show them without scrolling).
    enable_nav_sidebar = False

    def admin_view(self, view, cacheable=False):
        """Every admin view, with its titles in correct Polish (invsync.grammar)."""
        inner = super().admin_view(view, cacheable)

        @functools.wraps(inner)
        def polished(request, *args, **kwargs):
            response = inner(request, *args, **kwargs)
            fix_admin_response(response)
            return response

        return polished

    def index(self, request, extra_context=None):
        """The start page: a tile per shop and the last day's and month's activity."""
        return super().index(request, {**dashboard_context(request), **(extra_context or {})})
