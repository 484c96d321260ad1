from django.conf import settings
from django.http import HttpRequest
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.translation import check_for_language


def chosen_language(request: HttpRequest) -> str:
    """The language the visitor chose with the switch (its cookie), else Korean."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    return chosen if chosen and check_for_language(chosen) else settings.LANGUAGE_CODE


class KoreanFirstLocaleMiddleware(LocaleMiddleware):
    """Korean unless the visitor chose another language with the switch.

    Django's LocaleMiddleware follows the browser's Accept-Language, so a member on an
    English-language work PC would get English pages; this community reads Korean first.
    """

    def process_request(self, request: HttpRequest) -> None:
        translation.activate(chosen_language(request))
        request.LANGUAGE_CODE = translation.get_language()
