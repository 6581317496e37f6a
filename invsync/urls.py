from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

admin.site.site_header = _("invsync administration")
admin.site.site_title = _("invsync admin")
admin.site.index_title = _("Warehouse and shop sync")

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    # set_language: the operator's language switch (a cookie read by CookieLocaleMiddleware).
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
