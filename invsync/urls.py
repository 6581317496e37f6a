from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    # set_language: the operator's language switch (a cookie read by CookieLocaleMiddleware).
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
