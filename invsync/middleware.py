"""The admin's language: Polish unless the operator chose another one."""

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers


def chosen_language(request) -> str:
    """The language named by the language cookie if the site offers it, else LANGUAGE_CODE."""
    wanted = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    offered = {code for code, _name in settings.LANGUAGES}
    return wanted if wanted in offered else settings.LANGUAGE_CODE


class CookieLocaleMiddleware:
    """Activates the language from the language cookie, ignoring Accept-Language.

    Django's LocaleMiddleware follows the browser's Accept-Language, so an operator with an
    English browser would get an English admin while the guides describe Polish menus. Here
    the language is LANGUAGE_CODE until the operator switches (set_language sets the cookie).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = chosen_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        try:
            response = self.get_response(request)
        finally:
            # Do not leak the operator's language into whatever the thread runs next.
            translation.deactivate()
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ("Cookie",))
        return response
