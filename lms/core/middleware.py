from django.conf import settings
from django.http import HttpRequest
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.translation import check_for_language


class KoreanFirstLocaleMiddleware(LocaleMiddleware):
    """Korean unless the visitor chose another language with the switch.

    Django's LocaleMiddleware follows the browser's Accept-Language, so a member on an
    English-language work PC would get English pages; this community reads Korean first.
    """

    def process_request(self, request: HttpRequest) -> None:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen and check_for_language(chosen) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
